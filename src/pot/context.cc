#include "pot/context.h"

#include <unistd.h>

#include "core/error.h"
#include "core/names.h"

namespace pot {

Context::Context(Settings settings)
    : settings_(std::move(settings)), storage_(make_storage(settings_)) {}

CgroupManager& Context::cgroups() {
  if (!cgroups_) cgroups_ = make_cgroup_manager(settings_.cgroup);
  return *cgroups_;
}

CgroupManager& Context::cgroups_for(const std::string& version) {
  if (version.empty() || version == cgroups().version()) return cgroups();
  if (!other_cgroups_) other_cgroups_ = make_cgroup_manager(version);
  return *other_cgroups_;
}

bool Context::pot_exists(const std::string& name) const {
  return is_valid_name(name) && ::access(settings_.conf_path(name).c_str(), F_OK) == 0;
}

void Context::require_pot(const std::string& name) const {
  validate_name("pot", name);
  // Mounts the pool again after a reboot; one statfs when it is there.
  storage_->ensure_ready();
  if (!pot_exists(name)) throw Error("pot " + quote_name(name) + " not found");
}

void Context::require_base(const std::string& name) const {
  validate_name("base", name);
  if (::access(settings_.base_path(name).c_str(), F_OK) != 0)
    throw Error("base " + quote_name(name) + " not found");
}

PotConf Context::load_conf(const std::string& name) const {
  return PotConf::load(settings_.conf_path(name));
}

void Context::save_conf(const std::string& name, const PotConf& conf) const {
  conf.save(settings_.conf_path(name));
}

std::string Context::cgroup_group(const std::string& pot) const {
  return cgroup_group_name(settings_.root_tag(), pot);
}

}  // namespace pot
