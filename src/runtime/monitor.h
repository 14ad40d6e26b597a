// The monitor: the process that owns a running pot. It launches the pot's init
// (jail_launcher.h), has it recorded as running, and then waits for it, pumping the pot's
// output where it goes: a persistent pot's into rotated log files, a Nomad task's stdout
// and stderr into two files of the task's (output_sink.h) or two sets of numbered files
// (numbered_log.h); a pot in the foreground writes
// to our own stdout and stderr, and signals sent to us are passed on to it. When the pot
// ends it returns how the pot's command ended, for the caller to record.
#pragma once

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <variant>

#include "runtime/jail_spec.h"
#include "runtime/output_sink.h"
#include "runtime/rotating_log.h"
#include "runtime/running_jail.h"

namespace pot {

struct MonitorHooks {
  // From outside, before the pot's command runs: its network.
  NamespacesReady namespaces_ready;
  // The pot runs: record it (and let whoever waits for the start go).
  std::function<void(const RunningJail&)> running;
};

// Where the pot's stdout and stderr go: ours (a pot in the foreground), one rotated log
// (a persistent pot), or a task's two files.
using PotOutput = std::variant<std::monostate, LogRotation, TaskOutput>;

// Starts the pot's first process, a child of the caller, with the caller's stdout and stderr
// (which run_monitor has pointed where the output goes): Linux launch_jail, FreeBSD jexec.
// Without RunningJail::command_status the child's own exit status is the command's.
using LaunchPot = std::function<RunningJail()>;

// Runs the pot from the calling process until it ends; returns how its command ended.
// With a log or task output our own stdout and stderr follow the pot's there (our messages
// belong with its output); in the foreground SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to us
// go to the pot. Throws Error (after removing what the launch made) when the pot does not
// start.
CommandExit run_monitor(const LaunchPot& launch, const MonitorHooks& hooks,
                        const PotOutput& output);

// Cuts a forked monitor loose from the command that started it: a session of its own, /
// as its directory, stdin from /dev/null, no inherited fds but `keep`. (The Linux runtime
// then moves it into cgroups of its own, monitor_cgroups.h.) From then on only `pot stop`
// (or the pot's end) ends it.
void detach_process(std::initializer_list<int> keep);

}  // namespace pot
