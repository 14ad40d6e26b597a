// Running the FreeBSD base system's tools (zfs, jail, jexec, jls, ifconfig, pfctl, rctl,
// cpuset, mount_nullfs, ...): the one place the FreeBSD backend leaves the process. The
// tools' command lines are stable, documented interfaces, and running them is the only way
// this backend can be tested on a Linux host (against fakes on PATH), so the backend drives
// them as the original pot does, with argv, never through a shell. On a FreeBSD host that can
// test it, libjail(3) and libzfs_core(3) would replace the hottest of these calls.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace pot::freebsd {

struct CommandResult {
  int exit_code = 0;  // 128+N when signal N killed it
  std::string out;    // stdout, whole
  std::string err;    // stderr, whole
};

// How the backend runs a tool. The real one spawns it; tests of pure sequences may pass
// their own. Every call is one argv, found on PATH.
class SystemCommands {
 public:
  virtual ~SystemCommands() = default;
  // Runs argv with `input` on stdin (empty: /dev/null) and returns what it did. Throws
  // Error only when the program cannot be started at all.
  virtual CommandResult run(const std::vector<std::string>& argv,
                            const std::string& input = {}) = 0;

  // Runs argv and returns its stdout; throws Error "`zfs create zroot/pot/x` failed: <the
  // tool's first stderr line, or its exit code>" when it exits nonzero.
  std::string check(const std::vector<std::string>& argv, const std::string& input = {});
  // True when argv exits 0 (a question such as `jls -j NAME`); output is dropped.
  bool succeeds(const std::vector<std::string>& argv);
  // A cleanup step: runs argv; a failure is said on stderr in one line ("pot: `zfs ...`
  // failed: ...") and the caller goes on. Never throws; true when it succeeded.
  bool attempt(const std::vector<std::string>& argv, const std::string& input = {});
};

// Spawns the tools found on PATH (posix_spawnp, fds above 2 closed in the child).
std::unique_ptr<SystemCommands> make_system_commands();

// "zfs create zroot/pot/x" for messages; words with spaces or quotes are single-quoted.
std::string format_argv(const std::vector<std::string>& argv);

}  // namespace pot::freebsd
