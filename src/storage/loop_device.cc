#include "storage/loop_device.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>

#include <cstring>

#include "core/error.h"

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

}  // namespace pot
