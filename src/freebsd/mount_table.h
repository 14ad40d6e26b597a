// The host's mount table as `mount -p` prints it (fstab lines), and the part of it that
// belongs to a pot: what a stop must unmount, read from the host rather than from memory so
// that the cleanup after a crash is the same as after a normal run. Pure.
#pragma once

#include <string>
#include <vector>

namespace pot::freebsd {

struct MountEntry {
  std::string source;       // device, directory (nullfs) or dataset (zfs)
  std::string mount_point;  // unescaped
  std::string fstype;
};

// `mount -p` output: SOURCE MOUNTPOINT FSTYPE OPTIONS DUMP PASS per line, whitespace
// separated, spaces in paths written as \040 (octal escapes).
std::vector<MountEntry> parse_mount_p(const std::string& text);

// The mounts a pot's run made on `root`, in the order to undo them (the reverse of the
// table's): everything below `root`, and the nullfs and unionfs mounts on `root` itself (a
// multi pot's base and its own layer). Not `root`'s own filesystem (the pot's dataset, which
// storage owns).
std::vector<MountEntry> pot_mounts_to_undo(const std::vector<MountEntry>& table,
                                           const std::string& root);

}  // namespace pot::freebsd
