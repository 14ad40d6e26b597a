// What every operation needs: the settings and the platform's backends (storage, runtime,
// network: platform/platform.h), made cheaply (nothing is opened before first use).
#pragma once

#include <memory>
#include <string>

#include "core/pot_conf.h"
#include "core/settings.h"
#include "platform/platform.h"

namespace pot {

class Context {
 public:
  explicit Context(Settings settings);
  const Settings& settings() const { return settings_; }
  const std::string& platform_name() const { return platform_.name; }
  Storage& storage() { return *platform_.storage; }
  const Storage& storage() const { return *platform_.storage; }
  Runtime& runtime() { return *platform_.runtime; }
  net::NetworkBackend& network() { return *platform_.network; }

  // Throws "pot `x` not found" unless the pot exists (after checking the name).
  void require_pot(const std::string& name) const;
  bool pot_exists(const std::string& name) const;
  void require_base(const std::string& name) const;
  PotConf load_conf(const std::string& name) const;
  void save_conf(const std::string& name, const PotConf& conf) const;
  // The group the pot's runs live in (runtime.h).
  std::string jail_group(const std::string& pot) const;

 private:
  Settings settings_;
  Platform platform_;
};

}  // namespace pot
