// The fault-injection harness: runs a `pot` command under strace, kills it with a real
// SIGKILL at a chosen system call, and reads what the kill left from the kernel and the disk.
//
// A kill point is a pair (system call, n): strace's `-e inject=SYSCALL:signal=KILL:when=N`
// counts the calls of SYSCALL in each traced process on its own, so the kill hits the first
// process of the command (the command itself, a monitor it forks, a pot's init) that reaches
// its n-th call of that syscall, before the call runs. The kill points of a command come from
// one traced run of it: every call that changes something outside the process (a file, a
// directory, a mount, a cgroup, a link, an nftables rule, another process, a message to
// another pot process) is a step, and a kill before each step leaves every state a crash can
// leave. docs/fault_injection.md says which calls count and why.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "harness.h"

namespace potit::fault {

namespace fs = std::filesystem;

// Before the `occurrence`-th call of `syscall` in any one process of the command.
struct KillPoint {
  std::string syscall;
  int occurrence = 0;
  std::string process;  // who made that call in the traced run: "command", "child", ...
  std::string call;     // the call as strace showed it, shortened
  std::string id() const { return syscall + "#" + std::to_string(occurrence); }
};

// One system call in a trace.
struct TracedCall {
  pid_t pid = 0;
  std::string syscall;
  int occurrence = 0;  // the n-th call of this syscall by this process
  std::string text;    // arguments and result, as strace printed them
  std::string result;  // what follows " = ", "?" when the process died in the call
};

struct TracedRun {
  RunResult result;  // of the pot command itself: 128 + 9 when the kill hit it
  std::vector<TracedCall> calls;
  pid_t command_pid = 0;
  std::map<pid_t, std::string> roles;  // "command", "child", "grandchild", "thread of child"...
  std::optional<TracedCall> killed;    // the call the injected SIGKILL stopped, when it fired
  std::string killed_role;
  // Every process the trace saw that was still alive when strace detached, with its start
  // time (so a reused pid is not taken for it).
  std::map<pid_t, unsigned long long> survivors;
};

// The system calls traced to find the steps of a command.
extern const char* const kTracedSyscalls;

// Runs `pot ARGS` (in the root's environment, with `extra_env`) under strace -f, tracing
// `kTracedSyscalls`, or with a kill point only that call. When the command itself has
// exited, strace detaches from what it leaves running (a persistent pot's monitor and init).
TracedRun run_traced(const PotRoot& root, const std::vector<std::string>& args,
                     const std::optional<KillPoint>& kill, const fs::path& trace_file,
                     const std::vector<std::string>& extra_env = {}, int timeout_seconds = 120);

// The kill points of a run traced without a kill, in the order the trace reached them.
std::vector<KillPoint> kill_points_of(const TracedRun& run, const fs::path& root_prefix);

// Which kill points to run: all with POT_FAULT_FULL=1; else POT_FAULT_SAMPLE (default
// `default_limit`) spread evenly over the list, the first and the last among them, and the
// first and the last of each system call. POT_FAULT_POINTS=rename#2,write#5 picks those.
std::vector<KillPoint> choose_kill_points(const std::vector<KillPoint>& all, size_t default_limit);

// The shell command that reproduces a kill by hand.
std::string reproduction(const PotRoot& root, const KillPoint& point,
                         const std::vector<std::string>& args);

// A process seen in a traced run: alive only while its pid has this start time.
bool process_alive_since(pid_t pid, unsigned long long start_time);
// The decimal number at the start of `text` (a pid in strace's lines or /proc), 0 if none.
long leading_number(std::string_view text);
std::optional<unsigned long long> process_start_time(pid_t pid);

// ---------------------------------------------------------------------------------------------
// What is left on the host, read from the kernel and the disk (never by asking pot)
// ---------------------------------------------------------------------------------------------

struct LeakScope {
  std::vector<std::string> pots;    // pots the case made or touched, all destroyed by now
  std::set<std::string> kept;       // pots of the test that stay (a clone source, an image)
  std::set<std::string> addresses;  // IP addresses the case's pots had
  std::map<pid_t, unsigned long long> processes;  // processes of the case that must be gone
};

// One line per thing found: hidden or stray entries in jails/, btrfs subvolumes of pots
// that are gone, mounts under the root other than the pool, loop devices other than the
// pool's, the pots' cgroups, host links named for the pots, port forwards in the root's
// nftables table, run files naming the pots, and processes of the pots still alive.
std::vector<std::string> find_leftovers(const PotRoot& root, const LeakScope& scope);

// Removes by force what find_leftovers finds, so that one failing kill point does not fail
// the next; returns what it could not remove.
std::vector<std::string> scrub_leftovers(const PotRoot& root, const LeakScope& scope);

// True when `text` names `pot` as a whole word (pot names may hold '-', '_' and '.').
bool names_pot(const std::string& text, const std::string& pot);

}  // namespace potit::fault
