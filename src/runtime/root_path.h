// Opening paths inside a pot's root from the host side, so that nothing the pot put there (an
// absolute symlink, `..`, a magic link) can send the host to a file outside that root.
// openat2(RESOLVE_IN_ROOT) makes the kernel treat `root_fd` as `/` for the whole walk,
// symlinks included: it is the equivalent of chroot for one lookup, without a race.
#pragma once

#include <sys/types.h>

#include <string_view>

#include "core/unique_fd.h"

namespace pot {

// Opens `path` (absolute or relative, read as relative to the root) under `root_fd`.
UniqueFd open_in_root(int root_fd, std::string_view path, int flags, mode_t mode = 0);

// mkdir -p of `path` under `root_fd`; returns an O_PATH|O_DIRECTORY fd of the last directory.
UniqueFd make_dirs_in_root(int root_fd, std::string_view path, mode_t mode = 0755);

// Opens a host directory as a root for the calls above.
UniqueFd open_root_dir(const char* host_path);

}  // namespace pot
