#include "storage/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"
#include "core/mountinfo.h"

namespace pot {

LoopDevice attach_loop_device(const std::filesystem::path& image) {
  UniqueFd backing(::open(image.c_str(), O_RDWR | O_CLOEXEC));
  if (!backing) throw_sys("opening pool image " + quote_name(image.string()));
  UniqueFd control(::open("/dev/loop-control", O_RDWR | O_CLOEXEC));
  if (!control) throw_sys("opening /dev/loop-control");
  for (int attempt = 0; attempt < 16; ++attempt) {
    int number = ::ioctl(control.get(), LOOP_CTL_GET_FREE);
    if (number < 0) throw_sys("finding a free loop device");
    std::string path = "/dev/loop" + std::to_string(number);
    UniqueFd device(::open(path.c_str(), O_RDWR | O_CLOEXEC));
    if (!device) throw_sys("opening " + quote_name(path));
    loop_config config{};
    config.fd = static_cast<__u32>(backing.get());
    config.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    std::strncpy(reinterpret_cast<char*>(config.info.lo_file_name), image.c_str(),
                 LO_NAME_SIZE - 1);
    if (::ioctl(device.get(), LOOP_CONFIGURE, &config) == 0)
      return LoopDevice{path, std::move(device)};
    if (errno != EBUSY)
      throw_sys("attaching " + quote_name(image.string()) + " to " + quote_name(path));
    // Another process took this device between GET_FREE and CONFIGURE: ask again.
  }
  throw Error("attaching " + quote_name(image.string()) + ": no free loop device");
}

namespace {

// The source of the topmost mount at `mount_point` (a canonical path), or "" when none: of
// the mounts there, the one no other is mounted on.
std::string mount_source(const std::string& mount_point) {
  std::vector<MountInfo> stack;
  for (auto& mount : read_mountinfo()) {
    if (mount.mount_point == mount_point) stack.push_back(std::move(mount));
  }
  for (const auto& mount : stack) {
    bool covered = std::any_of(stack.begin(), stack.end(),
                               [&](const MountInfo& other) { return other.parent == mount.id; });
    if (!covered) return mount.source;
  }
  return "";
}

}  // namespace

bool is_loop_mount_of(const std::filesystem::path& mount_point,
                      const std::filesystem::path& image) {
  std::error_code ec;
  std::filesystem::path point = std::filesystem::canonical(mount_point, ec);
  if (ec) return false;
  std::string source = mount_source(point.string());
  constexpr std::string_view kLoop = "/dev/loop";
  if (source.rfind(kLoop, 0) != 0 ||
      source.find_first_not_of("0123456789", kLoop.size()) != std::string::npos)
    return false;
  std::optional<std::string> backing =
      read_file_if_exists("/sys/block/" + source.substr(5) + "/loop/backing_file");
  if (!backing) return false;
  std::string file = backing->substr(0, backing->find('\n'));
  constexpr std::string_view kDeleted = " (deleted)";  // the image was unlinked: still ours
  if (file.size() > kDeleted.size() && file.ends_with(kDeleted))
    file.resize(file.size() - kDeleted.size());
  // The image lies under the mount, hidden by it: only its directory can be resolved.
  std::filesystem::path dir = std::filesystem::canonical(image.parent_path(), ec);
  return !ec && file == (dir / image.filename()).string();
}

}  // namespace pot
