// How a pot's last run ended, `jails/<pot>/conf/.last_run_stats`: one line of JSON,
//
//   {"ExitCode":N,"Signal":S,"OOMKilled":false}
//
// ExitCode is the command's exit code, 128+S when signal S killed it (what the original
// pot wrote, and what `pot last-run-stats` and scripts read); Signal is 0 for a command that
// exited, so `exit 137` and a SIGKILL differ; OOMKilled says the OOM killer killed one of
// the pot's processes during the run (also a `pot exec`'d one: the cgroup counts them all).
// Files written before Signal and OOMKilled existed read as Signal 0 and not OOM-killed.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "pot/context.h"

namespace pot {

struct LastRun {
  int exit_code = 0;
  int signal = 0;
  bool oom_killed = false;
};

std::string format_last_run(const LastRun& run);
// nullopt when the text is not such an object with at least ExitCode.
std::optional<LastRun> parse_last_run(std::string_view text);

// The pot's last run; nullopt when it never ran (or the file is unreadable as one).
std::optional<LastRun> read_last_run(Context& ctx, const std::string& pot);
void write_last_run(Context& ctx, const std::string& pot, const LastRun& run);

}  // namespace pot
