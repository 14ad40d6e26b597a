#include "platform/platform.h"

#include <sys/utsname.h>

#include "core/error.h"
#include "freebsd/jail_runtime.h"
#include "freebsd/pf_network.h"
#include "freebsd/system_command.h"
#include "freebsd/zfs_storage.h"
#include "net/linux_network.h"
#include "runtime/linux_runtime.h"

namespace pot {

std::string platform_name(const Settings& settings) {
  if (!settings.platform.empty()) return settings.platform;
  struct utsname host {};
  if (::uname(&host) != 0) throw_sys("uname");
  std::string kernel = host.sysname;
  if (kernel == "Linux") return "linux";
  if (kernel == "FreeBSD") return "freebsd";
  throw Error("this host runs " + quote_name(kernel) + ": pot runs on Linux and FreeBSD");
}

Platform make_platform(const Settings& settings) {
  Platform platform;
  platform.name = platform_name(settings);
  if (platform.name == "freebsd") {
    // One runner for the three: the base system's tools, found on PATH.
    std::shared_ptr<freebsd::SystemCommands> commands = freebsd::make_system_commands();
    platform.storage = freebsd::make_zfs_storage(settings, *commands);
    platform.runtime = freebsd::make_jail_runtime(settings, *commands);
    platform.network = freebsd::make_pf_network(settings, *commands);
    platform.shared = std::move(commands);
    return platform;
  }
  platform.storage = make_storage(settings);
  platform.runtime = make_linux_runtime(settings);
  platform.network = net::make_linux_network(settings);
  return platform;
}

}  // namespace pot
