// Running the `pot` program from the driver. The driver lives in a multithreaded gRPC
// server, which must never fork into a jail: whatever enters a pot (start, exec) goes
// through a fresh exec of `pot`, spawned with posix_spawn (no copy of our threads' state).
// Its one-line error (stderr) becomes the driver's error, so the user reads why.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "driver/task.h"

namespace pot::driver {

struct SpawnedPot {
  pid_t pid = -1;
  UniqueFd stdin_fd;   // ours to write (a pipe, or a pty's master)
  UniqueFd stdout_fd;  // ours to read
  UniqueFd stderr_fd;  // ours to read (invalid with a tty: it shares stdout)
};

struct CapturedRun {
  int exit_code = 0;  // 128+N for a signal
  std::string stdout_data;
  std::string stderr_data;
  bool timed_out = false;
};

class PotProgram {
 public:
  // `path`: the pot binary; `env_overrides`: POT_* settings given to every run on top of
  // our environment.
  PotProgram(std::string path, std::map<std::string, std::string> env_overrides);

  // Runs `pot ARGS...`; throws Error with pot's own message when it fails.
  void run(const std::vector<std::string>& args) const;
  // Runs it collecting its output; after `timeout` it is killed (timed_out set).
  CapturedRun capture(const std::vector<std::string>& args,
                      std::optional<std::chrono::milliseconds> timeout) const;
  // Starts `pot ARGS...` with pipes for its stdio, or with `tty` one pty for all three (in a
  // session of its own, the pty its controlling terminal).
  SpawnedPot spawn(const std::vector<std::string>& args, bool tty) const;

  const std::string& path() const { return path_; }

 private:
  std::vector<std::string> environment() const;
  std::string path_;
  std::map<std::string, std::string> env_overrides_;
};

// `pot start` for a task: its stdout and stderr paths and, with request.log_rotation, the
// numbering the pot's monitor applies to them (-N MAX_FILES -Z MAX_FILE_SIZE).
std::vector<std::string> pot_start_argv(const TaskRequest& request, const std::string& pot_name);

// The `pot` beside this program (a build tree, or bin/ of an install), else the installed
// one (a driver copied into Nomad's plugin_dir), else the one in PATH.
std::string default_pot_path();

// Reads both fds until EOF (or the deadline), without either pipe filling up and blocking
// the writer. False when the deadline passed first.
bool read_until_eof(int out_fd, int err_fd, std::string& out, std::string& err,
                    std::optional<std::chrono::steady_clock::time_point> deadline);

}  // namespace pot::driver
