#include "pot/context.h"

#include <unistd.h>

#include "core/error.h"
#include "core/names.h"

namespace pot {

Context::Context(Settings settings)
    : settings_(std::move(settings)), platform_(make_platform(settings_)) {}

bool Context::pot_exists(const std::string& name) const {
  return is_valid_name(name) && ::access(settings_.conf_path(name).c_str(), F_OK) == 0;
}

void Context::require_pot(const std::string& name) const {
  validate_name("pot", name);
  // Mounts the pool again after a reboot; one statfs when it is there.
  platform_.storage->ensure_ready();
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

std::string Context::jail_group(const std::string& pot) const {
  return platform_.runtime->group_name(settings_.root_tag(), pot);
}

}  // namespace pot
