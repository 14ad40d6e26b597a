// The root of a stopped multi pot: its overlay is mounted only while the pot runs (in the
// pot's own mount namespace), so work on its files (copy-in, mount points) mounts it in a
// short-lived child with a private mount namespace; the mount ends with the child, and a
// kill leaves nothing mounted on the host.
#pragma once

#include <functional>
#include <string>

#include "runtime/jail_spec.h"

namespace pot {

// Runs `fn(root_fd)` in a child process where `overlay` is mounted at `root`; returns when
// the child has finished, or throws the Error `fn` (or the mount) threw there.
void with_overlay_mounted(const std::string& root, const OverlayRoot& overlay,
                          const std::function<void(int root_fd)>& fn);

}  // namespace pot
