// Copies a directory tree the way `cp -a` does (modes, owners, times, symlinks as links,
// hard links kept together, device nodes and fifos), with every step relative to directory
// fds and O_NOFOLLOW, so the destination side never follows a symlink it did not make.
#pragma once

#include <string>

namespace pot {

// Copies `src_name` (relative to `src_dirfd`, or absolute) to `dst_name` under `dst_dirfd`.
// `dst_name` must not exist, unless it is an existing directory and `src` is one too, in
// which case the contents are merged into it.
void copy_tree(int src_dirfd, const std::string& src_name, int dst_dirfd,
               const std::string& dst_name);

}  // namespace pot
