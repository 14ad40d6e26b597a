#include "runtime/root_path.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "core/error.h"

namespace pot {

static int sys_openat2(int dirfd, const char* path, int flags, mode_t mode, uint64_t resolve) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = resolve;
  return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

static constexpr uint64_t kInRoot = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;

static std::string relative(std::string_view path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  return path.empty() ? "." : std::string(path);
}

UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode) {
  std::string rel = relative(path);
  int fd;
  do {
    fd = sys_openat2(root_fd, rel.c_str(), flags | O_CLOEXEC, mode, kInRoot);
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
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
