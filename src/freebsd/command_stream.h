// Running a tool whose input or output is a stream too large for a string: `zfs send -R`
// writing a pot's datasets to an export file, `zfs receive` reading them back. The tool gets
// the caller's fds as its stdin and stdout; only its stderr comes back, for the message.
#pragma once

#include <string>
#include <vector>

#include "freebsd/system_command.h"

namespace pot::freebsd {

// Runs argv (found on PATH, no shell) with `stdin_fd` and `stdout_fd` as its stdin and
// stdout (-1: /dev/null) and waits for it. `out` of the result stays empty; `err` is its
// stderr. Throws Error only when the program cannot be started at all.
CommandResult run_streaming(const std::vector<std::string>& argv, int stdin_fd, int stdout_fd);

// Throws the Error SystemCommands::check throws for a failed run: "`zfs send -R x@1` failed:
// <the tool's first stderr line, or its exit code>". Does nothing when it exited 0.
void check_result(const std::vector<std::string>& argv, const CommandResult& result);

}  // namespace pot::freebsd
