// Nomad's configuration values (cty, cty_value.h) into the driver core's types: a task's
// `config` block and the client's `plugin "nomad-pot-driver" { config { ... } }` block.
// Each wrong shape is one error naming the attribute and what it must be.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "driver/task.h"
#include "nomad/cty_value.h"

namespace pot::nomad {

driver::TaskConfig decode_task_config(const CtyValue& value);

struct PluginConfig {
  bool enabled = true;
  std::filesystem::path signing_key;  // images must be signed by this key
  std::vector<std::string> host_paths;
  std::string pot_path;  // empty: the pot beside the driver, else PATH's
  // POT_* settings for the driver and every `pot` it runs (fs_root -> POT_FS_ROOT, ...).
  std::map<std::string, std::string> pot_settings;
};

PluginConfig decode_plugin_config(const CtyValue& value);

}  // namespace pot::nomad
