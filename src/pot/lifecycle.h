// Starting, stopping and entering pots: the status machine, the locks, the monitor that
// waits for a pot, and the cleanup that also finishes what a killed `pot` left behind.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pot/context.h"
#include "pot/run_state.h"
#include "runtime/jail_spec.h"
#include "runtime/output_sink.h"
#include "runtime/runtime.h"

namespace pot {

// The exit code `pot start` returns when a non-persistent pot's command failed.
inline constexpr int kExitApplicationError = 125;

// Starts the pot (its dependencies first). Persistent: returns 0 once the command runs.
// Non-persistent: runs the command in the foreground and returns 0 or kExitApplicationError.
int start_pot(Context& ctx, const std::string& name);

// Starts the pot as a Nomad task: like a persistent start the monitor is detached and this
// returns once the command runs (or throws its error, leaving nothing behind), but the pot
// ends when its command does, as a non-persistent pot, and the monitor then records the end
// (.last_run_stats, last_run.h) and cleans up. The command's stdout and stderr go to the
// two paths, FIFOs of Nomad's log collector or plain files (output_sink.h).
void start_pot_detached(Context& ctx, const std::string& name, const TaskOutput& output);

// Runs `argv` as a one-shot, non-persistent run of the pot (used by flavour scripts);
// returns the command's exit code.
int run_pot_once(Context& ctx, const std::string& name, const std::vector<std::string>& argv);

// Stops a running pot (SIGTERM, then SIGKILL after POT_STOP_TIMEOUT) and removes what its
// run made. A pot left half-started or half-stopped by a killed `pot` is cleaned instead.
void stop_pot(Context& ctx, const std::string& name);

// Cleans stale state (dead monitor and init) if there is any; returns true if the pot runs.
bool refresh_pot_state(Context& ctx, const std::string& name);
bool pot_is_running(Context& ctx, const std::string& name);

int exec_in_pot(Context& ctx, const std::string& name, const std::vector<std::string>& argv,
                const std::vector<std::string>& extra_env);
// An interactive login shell on a pty of the pot's own (pot term).
int open_shell_in_pot(Context& ctx, const std::string& name);
void signal_pot(Context& ctx, const std::string& name, int signal);

// The runtime's handle of the pot's run that `state` records.
JailHandle jail_handle(Context& ctx, const std::string& name, const RunState& state);

// The pot's state, after checking that it exists and runs (else a one-line error).
RunState require_running(Context& ctx, const std::string& name);

// The part of the spec that says where the pot's root is: its path, a multi pot's layers,
// its mounts.
JailSpec root_spec(Context& ctx, const std::string& name, const PotConf& conf);
// The spec a start of this pot would use (exposed for tests and `pot info`).
JailSpec build_jail_spec(Context& ctx, const std::string& name, const PotConf& conf);

// The pot's environment: defaults, then pot.env.
std::vector<std::string> pot_environment(const PotConf& conf, const std::string& hostname);

}  // namespace pot
