#include "agent/server/agent_token.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/server/ids.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"

namespace pot::agent {

std::string load_or_create_token(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if ((info.st_mode & 077) != 0)
      throw Error("token file " + quote_name(path.string()) +
                  " is readable by other users: remove it and restart potd to make a new one");
    std::string text = read_file(path);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    if (text.size() < 32)
      throw Error("token file " + quote_name(path.string()) + " holds no token");
    return text;
  }
  if (errno != ENOENT) throw_sys("reading token file " + quote_name(path.string()));
  std::string token = random_hex(32);
  std::filesystem::path temporary = path.string() + ".tmp";
  {
    UniqueFd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) throw_sys("creating token file " + quote_name(temporary.string()));
    std::string line = token + "\n";
    if (::write(fd.get(), line.data(), line.size()) != static_cast<ssize_t>(line.size()) ||
        ::fsync(fd.get()) != 0)
      throw_sys("writing token file " + quote_name(temporary.string()));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0)
    throw_sys("renaming token file to " + quote_name(path.string()));
  return token;
}

}  // namespace pot::agent
