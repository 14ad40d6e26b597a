// The driver's part of a task handle. Nomad keeps the handle and gives it back to
// RecoverTask after the plugin or the whole client restarted, but after a client restart
// without the job's driver config: so everything needed to find, watch, stop and destroy
// the task is here (the original driver kept only the config, and lost its tasks).
#pragma once

#include <string>

#include "driver/task.h"

namespace pot::driver {

struct DriverState {
  static constexpr int kVersion = 1;
  std::string task_id;
  std::string task_name;
  std::string alloc_id;
  std::string pot;      // the pot running the task
  std::string fs_root;  // the POT_FS_ROOT it lives in
  Clock::time_point started_at{};
  NetworkOverride network;
  TaskConfig config;

  std::string encode() const;
  // Throws Error naming what is missing or malformed.
  static DriverState decode(const std::string& text);
};

}  // namespace pot::driver
