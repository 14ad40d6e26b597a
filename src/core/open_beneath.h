// Opening a path under a directory without ever leaving it: the one file-system call pot
// needs whose form differs between kernels (the OS seam for paths inside a pot's root and
// inside an image being extracted).
//   Linux:   openat2(2) with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: `..` and absolute
//            symlinks resolve against `dirfd` as if it were `/`.
//   FreeBSD: openat(2) with O_RESOLVE_BENEATH: a lookup that would leave `dirfd` fails with
//            ENOTCAPABLE instead of being contained (stricter, never wider).
#pragma once

#include <sys/types.h>

namespace pot {

enum class Symlinks {
  kContained,  // followed, resolved inside dirfd
  kRefused,    // any symlink in the path fails the lookup (ELOOP): extraction, where a
               // symlink is an entry of the tree and never a way somewhere else
};

// Returns the fd (O_CLOEXEC added), or -1 with errno set; retries EINTR and EAGAIN.
int open_beneath(int dirfd, const char* path, int flags, mode_t mode, Symlinks symlinks);

}  // namespace pot
