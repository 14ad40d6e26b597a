// What every operation needs: the settings, the storage backend they name, and (made on
// first use, since most commands never touch cgroups) the cgroup manager.
#pragma once

#include <memory>
#include <string>

#include "core/pot_conf.h"
#include "core/settings.h"
#include "runtime/cgroup.h"
#include "storage/storage.h"

namespace pot {

class Context {
 public:
  explicit Context(Settings settings);
  const Settings& settings() const { return settings_; }
  Storage& storage() { return *storage_; }
  CgroupManager& cgroups();

  // Throws "pot `x` not found" unless the pot exists (after checking the name).
  void require_pot(const std::string& name) const;
  bool pot_exists(const std::string& name) const;
  void require_base(const std::string& name) const;
  PotConf load_conf(const std::string& name) const;
  void save_conf(const std::string& name, const PotConf& conf) const;
  std::string cgroup_group(const std::string& pot) const;

 private:
  Settings settings_;
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<CgroupManager> cgroups_;
};

}  // namespace pot
