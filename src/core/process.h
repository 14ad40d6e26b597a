// Process helpers: run a program with only fds 0-2 passed in, wait for it, name signals,
// and a guard that kills and reaps a child unless told it is in good hands.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/unique_fd.h"

namespace pot {

struct RunOptions {
  bool quiet = false;            // stdout/stderr to /dev/null
  std::vector<std::string> env;  // extra VAR=value entries on top of ours
};

// Runs argv[0] (searched in PATH) and returns its exit code (128+signal when killed).
// Throws Error when it cannot be started at all.
int run_program(const std::vector<std::string>& argv, const RunOptions& options = {});

// The exec-error pipe: a child that cannot exec writes its errno into a close-on-exec pipe;
// the parent reads 0 (EOF: the exec happened) or that errno.
void report_exec_errno(int pipe_write_fd, int err);
int read_exec_errno(int pipe_read_fd);

// Waits for `pid` and returns its exit code, 128+signal when killed.
int wait_exit_code(pid_t pid);
int exit_code_from_wait_status(int status);

// "TERM", "SIGTERM", "sigterm" or "15" -> 15; throws naming the text otherwise.
int parse_signal(std::string_view text);

// The kernel's start time of `pid` (clock ticks since boot), to tell a pid from its reuse.
// Also for a zombie, so a parent can record a child that has already exited.
std::optional<uint64_t> process_start_time(pid_t pid);
// Running (not a zombie) and the same process as the one that started at `start_time`.
bool process_alive(pid_t pid, uint64_t start_time);

// Closes every fd above 2 except those in `keep` (after a fork that must not hold on to
// its parent's files: a lock inherited this way would stay held).
void close_fds_except(std::initializer_list<int> keep);

// Sends `sig` to the process only if it is still the one that started at `start_time`,
// through a pidfd, so a pid reused meanwhile is never hit. False when it is gone.
bool signal_process(pid_t pid, uint64_t start_time, int sig);

// A pidfd for `pid` (invalid, with errno set, when there is no such process): a handle that
// stays on that process even if its pid is reused.
UniqueFd open_pidfd(pid_t pid);

// Waits until the process that started at `start_time` has exited (or is a zombie), or
// `timeout_ms` passed; true when it is gone. Works for processes that are not our children.
bool wait_for_process_exit(pid_t pid, uint64_t start_time, int timeout_ms);

// This boot's identity, so state written before a reboot is recognised as stale.
std::string boot_id();

// Kills (SIGKILL) and reaps the child on destruction unless release()d.
class ChildGuard {
 public:
  explicit ChildGuard(pid_t pid = -1) : pid_(pid) {}
  ChildGuard(ChildGuard&& other) noexcept : pid_(other.release()) {}
  ChildGuard& operator=(ChildGuard&& other) noexcept;
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;
  ~ChildGuard();

  pid_t get() const { return pid_; }
  pid_t release() {
    pid_t pid = pid_;
    pid_ = -1;
    return pid;
  }
  // Waits for the child and returns its exit code; the guard no longer owns it.
  int wait();

 private:
  pid_t pid_;
};

}  // namespace pot
