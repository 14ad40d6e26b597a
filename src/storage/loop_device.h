// Attaching an image file to a free loop device. The device is set to auto-clear: the
// kernel detaches it as soon as nothing (our fd, a mount) holds it, so a crash between
// attach and mount, or a later unmount, never leaves a loop device behind.
#pragma once

#include <filesystem>
#include <string>

#include "core/unique_fd.h"

namespace pot {

struct LoopDevice {
  std::string path;  // /dev/loopN
  UniqueFd fd;       // holds the device until the mount does
};

LoopDevice attach_loop_device(const std::filesystem::path& image);

// Whether the filesystem mounted on top at `mount_point` is a loop device whose backing file
// is `image`, as the kernel reports it (/proc/self/mountinfo, then the device's
// loop/backing_file in sysfs). This tells pot's own pool from a filesystem an admin mounted:
// pot unmounts only the first.
bool is_loop_mount_of(const std::filesystem::path& mount_point, const std::filesystem::path& image);

}  // namespace pot
