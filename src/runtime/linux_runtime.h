// The Linux runtime: pots in namespaces, their limits and accounting in cgroups (v1 or v2,
// the manager made on first use: most commands never touch cgroups).
#pragma once

#include <memory>

#include "core/settings.h"
#include "runtime/runtime.h"

namespace pot {

std::unique_ptr<Runtime> make_linux_runtime(const Settings& settings);

}  // namespace pot
