// The pot's view of the filesystem, built inside its own mount namespace:
//
//   1. every mount becomes private, so nothing we do propagates back to the host;
//   2. the pot's root is made a mount point (a bind of its directory, or overlayfs for a
//      multi pot, which therefore never appears in the host's mount table), nodev: device
//      nodes work only in the pot's own /dev, whatever a base or copy-in brought along;
//   3. the sources of mount-in binds are cloned as detached trees while the host is still
//      visible;
//   4. pivot_root into the root and detach the old one: from here on no path leads to the
//      host, so a symlink the pot planted can only point inside the pot;
//   5. /proc, /sys (read-only), a minimal /dev, the mount-in trees, and the /proc paths
//      runc and crun mask or make read-only.
#pragma once

#include "runtime/jail_spec.h"

namespace pot {

// Runs in the pot's init before it drops privileges. Throws Error on any failure.
void setup_root_filesystem(const JailSpec& spec);

// /proc paths hidden from pots (files get /dev/null, directories an empty read-only tmpfs).
const std::vector<std::string>& masked_paths();
// /proc paths pots may read but not write.
const std::vector<std::string>& read_only_paths();

}  // namespace pot
