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
  const Storage& storage() const { return *storage_; }
  CgroupManager& cgroups();
  // The manager of the version a pot was started with ("v1"/"v2"; empty: the current one),
  // so a pot started before POT_CGROUP changed is still cleaned where it lives.
  CgroupManager& cgroups_for(const std::string& version);

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
  std::unique_ptr<CgroupManager> other_cgroups_;
};

}  // namespace pot
