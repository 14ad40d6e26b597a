// Starting one base-system tool, the step both runners share (system_command.cc captures its
// output, command_stream.cc streams through it): argv[0] from PATH, never a shell.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace pot::freebsd {

// Starts argv with `in`, `out` and `err` as its fds 0, 1 and 2 and no other fd of ours (a
// lock or a pipe end must not leak into a tool that may outlive us, such as a jexec'd
// daemon), with default signal dispositions and an empty mask (a reader that goes away
// ends `zfs send` with SIGPIPE, whatever ours are). Throws Error "`zfs`: not found".
pid_t spawn_tool(const std::vector<std::string>& argv, int in, int out, int err);

// Waits for the tool: its exit code, 128+N when signal N killed it.
int wait_tool(pid_t pid);

// "`zfs create zroot/pot/x` failed: <its first stderr line, or its exit code>".
[[noreturn]] void throw_tool_failure(const std::vector<std::string>& argv, int exit_code,
                                     const std::string& err);

}  // namespace pot::freebsd
