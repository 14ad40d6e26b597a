#include "core/open_beneath.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#if defined(__linux__)
#include <linux/openat2.h>
#include <sys/syscall.h>
#endif

namespace pot {

int open_beneath(int dirfd, const char* path, int flags, mode_t mode, Symlinks symlinks) {
  int fd;
#if defined(__linux__)
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  if (symlinks == Symlinks::kRefused) how.resolve |= RESOLVE_NO_SYMLINKS;
  do {
    fd = static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
  } while (fd < 0 && (errno == EAGAIN || errno == EINTR));
#elif defined(__FreeBSD__)
  // O_NOFOLLOW covers the last component only; O_RESOLVE_BENEATH keeps every other inside.
  int extra = O_CLOEXEC | O_RESOLVE_BENEATH | (symlinks == Symlinks::kRefused ? O_NOFOLLOW : 0);
  do {
    fd = ::openat(dirfd, path, flags | extra, mode);
  } while (fd < 0 && errno == EINTR);
#else
#error "open_beneath: pot runs on Linux and FreeBSD"
#endif
  return fd;
}

}  // namespace pot
