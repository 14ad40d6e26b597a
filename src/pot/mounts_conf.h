// `jails/<pot>/conf/fscomp.conf`, the original's list of mounts: one `<source> <mountpoint>
// [ro]` line each. Sources here are host directories or files (mount-in -d).
#pragma once

#include <string>
#include <vector>

#include "core/settings.h"
#include "runtime/jail_spec.h"

namespace pot {

std::vector<BindMount> load_mounts(const Settings& settings, const std::string& pot);
void save_mounts(const Settings& settings, const std::string& pot,
                 const std::vector<BindMount>& mounts);

}  // namespace pot
