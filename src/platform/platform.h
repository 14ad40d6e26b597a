// The platform a root runs on: its storage, runtime and network backends, chosen at run
// time from the host's kernel, or by POT_PLATFORM (linux | freebsd) so that tests run the
// FreeBSD backend on Linux against fake system commands (tests/freebsd/fakes).
#pragma once

#include <memory>
#include <string>

#include "core/settings.h"
#include "net/network_backend.h"
#include "runtime/runtime.h"
#include "storage/storage.h"

namespace pot {

struct Platform {
  std::string name;  // "linux" or "freebsd"
  // What the backends below share and must outlive them (FreeBSD: the command runner).
  std::shared_ptr<void> shared;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<Runtime> runtime;
  std::unique_ptr<net::NetworkBackend> network;
};

// POT_PLATFORM when set (else the kernel's name from uname(2)); throws naming the value
// when it is neither linux nor freebsd.
std::string platform_name(const Settings& settings);
Platform make_platform(const Settings& settings);

}  // namespace pot
