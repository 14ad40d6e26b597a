// The pot of a task: made from the task's image and configured from the task request, in
// one place, before anything runs. `pot prepare` does the image part (import once, clone);
// the rest (environment, hosts, limits, mounts, copies, user, DNS) is written into the
// clone's configuration here, in-process: nothing of it enters a jail. A failure at any
// step removes the pot again.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include "driver/host_paths.h"
#include "driver/task.h"
#include "pot/context.h"

namespace pot::driver {

struct TaskPotOptions {
  HostPathPolicy host_paths;
  std::filesystem::path signing_key;  // empty: POT_DEFAULT_SIGNATURE_PUBKEY, if set
  // Whether a task id is one the driver runs now (a pot of another is left over).
  std::function<bool(const std::string& task_id)> task_is_live;
};

struct PreparedPot {
  std::string name;
  NetworkOverride network;
};

// The pot's name for a task: `<task>_<alloc-id>`, as the original driver named them; a task
// name that is not a pot name as it stands gets a hash of itself, so no two tasks of an
// allocation share a pot.
std::string task_pot_name(const TaskRequest& request);

// The command line (pot.cmd) for `command` plus `args`: every word quoted, so that `args`
// arrive whole whatever they contain.
std::string task_command_line(const std::string& command, const std::vector<std::string>& args);

// Checks what can be checked without touching anything (names, host paths, ports), then
// makes and configures the pot. `progress` reports steps for the task's events.
PreparedPot prepare_task_pot(Context& ctx, const TaskRequest& request,
                             const TaskPotOptions& options,
                             const std::function<void(const std::string&)>& progress);

}  // namespace pot::driver
