#include "runtime/root_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "core/error.h"
#include "core/open_beneath.h"

namespace pot {

static std::string relative(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return path.empty() ? "." : std::string(path);
}

UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode) {
  std::string rel = relative(path);
  int fd = open_beneath(root_fd, rel.c_str(), flags, mode, Symlinks::kContained);
  if (fd < 0) throw_sys("opening " + quote_name("/" + (rel == "." ? "" : rel)) + " inside the pot");
  return UniqueFd(fd);
}

UniqueFd make_dirs_in_root(int root_fd, std::string_view path, mode_t mode) {
  UniqueFd dir = open_in_root(root_fd, "/", O_PATH | O_DIRECTORY);
  std::string rel = relative(path);
  if (rel == ".") return dir;
  std::string done;
  size_t pos = 0;
  while (pos < rel.size()) {
    size_t slash = rel.find('/', pos);
    if (slash == std::string::npos) slash = rel.size();
    std::string part = rel.substr(pos, slash - pos);
    pos = slash + 1;
    if (part.empty() || part == ".") continue;
    done += "/" + part;
    // Each step is resolved inside the root again, so a symlink component stays inside.
    if (::mkdirat(dir.get(), part.c_str(), mode) != 0 && errno != EEXIST)
      throw_sys("creating " + quote_name(done) + " inside the pot");
    dir = open_in_root(root_fd, done, O_PATH | O_DIRECTORY);
  }
  return dir;
}

UniqueFd open_root_dir(const char* host_path) {
  UniqueFd fd(::open(host_path, O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!fd) throw_sys("opening root " + quote_name(host_path));
  return fd;
}

}  // namespace pot
