// A script check: the command (through the scheduler's script_argv, `pot exec` into the
// task's pot) runs as a child of potd, with stdout and stderr on one pipe read by the loop.
//
// potd has many threads, so the child is started with posix_spawn (never fork), with a
// clean signal mask and dispositions and in its own process group; every fd we open is
// close-on-exec, so the child holds only the pipe's write end as fds 1 and 2. Its end is
// seen through a pidfd, which the loop watches like a socket, then it is reaped. At the
// timeout its whole process group is killed (a shell's children too) and the run reports
// once the child has been reaped, so two runs of one check never overlap. Exit code 0 is
// passing, 1 warning, anything else critical (Consul's and Nagios' rule).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "agent/services/check_runs.h"
#include "core/unique_fd.h"

extern char** environ;

namespace pot::agent::checks {

namespace {

// How long output is still read after the script exited, when something else holds the pipe.
constexpr std::chrono::milliseconds kOutputGrace{100};

// posix_spawn's two attribute objects, destroyed on every path.
struct SpawnAttributes {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnAttributes() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnAttributes() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnAttributes(const SpawnAttributes&) = delete;
  SpawnAttributes& operator=(const SpawnAttributes&) = delete;
};

struct Spawned {
  pid_t pid = -1;
  UniqueFd output;  // read end of the child's stdout+stderr
  int error = 0;    // errno when it could not be started
};

Spawned spawn_with_output_pipe(const std::vector<std::string>& argv) {
  Spawned spawned;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {-1, {}, errno};
  UniqueFd read_end(fds[0]), write_end(fds[1]);

  SpawnAttributes spawn;
  posix_spawn_file_actions_addopen(&spawn.actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&spawn.actions, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&spawn.actions, write_end.get(), 2);
  // potd's threads block signals for its signal handling: the child must not inherit that.
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&spawn.attr, &none);
  posix_spawnattr_setsigdefault(&spawn.attr, &all);
  posix_spawnattr_setpgroup(&spawn.attr, 0);  // its own group, killed whole at the timeout
  posix_spawnattr_setflags(&spawn.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);

  std::vector<char*> c_argv;
  for (const auto& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  int rc =
      ::posix_spawnp(&spawned.pid, c_argv[0], &spawn.actions, &spawn.attr, c_argv.data(), environ);
  if (rc != 0) return {-1, {}, rc};
  spawned.output = std::move(read_end);
  return spawned;
}

class ScriptRun : public CheckRun, public std::enable_shared_from_this<ScriptRun> {
 public:
  ScriptRun(asio::io_context& io, const CheckDefinition& check, RunCompletion done)
      : output_pipe_(io), exit_watch_(io), timeout_(io), check_(check), done_(std::move(done)) {}

  ~ScriptRun() override { kill_and_reap(); }
  ScriptRun(const ScriptRun&) = delete;
  ScriptRun& operator=(const ScriptRun&) = delete;

  // False (with errno's text in `error`) when the command could not be started.
  bool start(const std::vector<std::string>& argv, std::string& error) {
    Spawned spawned = spawn_with_output_pipe(argv);
    if (spawned.pid < 0) {
      error = argv[0] + ": " + std::strerror(spawned.error);
      return false;
    }
    pid_ = spawned.pid;
    // pidfd_open's fd is close-on-exec by the kernel's rule.
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0)));
    if (!pidfd) {
      error = std::string("pidfd_open: ") + std::strerror(errno);
      kill_and_reap();
      return false;
    }
    output_pipe_.assign(spawned.output.release());
    output_pipe_.non_blocking(true);
    exit_watch_.assign(pidfd.release());

    auto self = shared_from_this();
    timeout_.expires_after(check_.timeout);
    timeout_.async_wait([self](const std::error_code& wait_error) {
      if (wait_error || self->exited_) return;
      // Reported once the child is reaped (watch_exit), so runs never overlap.
      self->timed_out_ = true;
      self->kill_group();
    });
    exit_watch_.async_wait(asio::posix::stream_descriptor::wait_read,
                           [self](const std::error_code& wait_error) {
                             if (!wait_error) self->on_exit();
                           });
    read_output();
    return true;
  }

  void cancel() override {
    done_ = nullptr;
    kill_and_reap();
    close();
  }

 private:
  void read_output() {
    auto self = shared_from_this();
    output_pipe_.async_read_some(asio::buffer(buffer_),
                                 [self](const std::error_code& error, size_t size) {
                                   if (!self->done_) return;
                                   self->keep_output(size);
                                   if (!error) return self->read_output();
                                   self->output_ended_ = true;  // EOF: every writer is gone
                                   if (self->wait_status_) self->finish();
                                 });
  }

  // Keeps the last kMaxOutput bytes, as Consul does: the end of a script's output is where
  // its verdict usually is.
  void keep_output(size_t size) {
    total_output_ += size;
    output_.append(buffer_.data(), size);
    if (output_.size() > kMaxOutput) output_.erase(0, output_.size() - kMaxOutput);
  }

  void on_exit() {
    int status = 0;
    pid_t reaped;
    do {
      reaped = ::waitpid(pid_, &status, WNOHANG);
    } while (reaped < 0 && errno == EINTR);
    exited_ = true;
    pid_ = -1;
    // -1: reaped by someone else (a waitpid(-1) elsewhere in the process).
    wait_status_ = reaped > 0 ? status : -1;
    if (output_ended_) return finish();
    // The rest of its output is in the pipe and comes with EOF; but a grandchild (`cmd &`)
    // may hold the pipe open, so the wait for EOF is short.
    auto self = shared_from_this();
    timeout_.expires_after(kOutputGrace);
    timeout_.async_wait([self](const std::error_code& error) {
      if (!error) self->finish();
    });
  }

  RunResult result() const {
    std::string output = output_;
    if (total_output_ > output_.size())
      output = "Captured " + std::to_string(output_.size()) + " of " +
               std::to_string(total_output_) + " bytes\n...\n" + output;
    if (timed_out_) {
      std::string message = "Timed out (" + go_duration(check_.timeout) + ") running check";
      return {CheckStatus::kCritical, output.empty() ? message : message + "\n\n" + output};
    }
    int wait_status = wait_status_.value_or(-1);
    if (wait_status < 0) return {CheckStatus::kCritical, "exit status lost (reaped elsewhere)"};
    if (WIFEXITED(wait_status)) {
      int code = WEXITSTATUS(wait_status);
      if (code == 0) return {CheckStatus::kPassing, output};
      if (code == 1) return {CheckStatus::kWarning, output};
      return {CheckStatus::kCritical, output};
    }
    const char* name = ::sigabbrev_np(WTERMSIG(wait_status));  // NULL for real-time signals
    std::string killed =
        std::string("killed by signal ") + (name ? name : std::to_string(WTERMSIG(wait_status)));
    return {CheckStatus::kCritical, output.empty() ? killed : output + "\n" + killed};
  }

  void finish() {
    close();
    if (done_) std::exchange(done_, nullptr)(result());
  }

  void kill_group() {
    // The group id is the child's pid, which cannot be reused while the child is unreaped.
    if (pid_ > 0) ::kill(-pid_, SIGKILL);
  }

  // Synchronous: a SIGKILLed child ends at once, and a cancel must leave nothing behind.
  void kill_and_reap() {
    if (pid_ <= 0) return;
    kill_group();
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
  }

  void close() {
    std::error_code ignored;
    output_pipe_.close(ignored);
    exit_watch_.close(ignored);
    timeout_.cancel();
  }

  asio::posix::stream_descriptor output_pipe_;
  asio::posix::stream_descriptor exit_watch_;  // the child's pidfd
  asio::steady_timer timeout_;
  CheckDefinition check_;
  RunCompletion done_;
  pid_t pid_ = -1;
  bool exited_ = false;
  std::optional<int> wait_status_;  // once reaped
  bool output_ended_ = false;
  bool timed_out_ = false;
  std::array<char, 4096> buffer_{};
  std::string output_;
  size_t total_output_ = 0;
};

}  // namespace

std::shared_ptr<CheckRun> start_script_run(asio::io_context& io, const CheckDefinition& check,
                                           const std::vector<std::string>& argv,
                                           RunCompletion done) {
  if (argv.empty())
    return start_known_result(io, {CheckStatus::kCritical, "task not running"}, std::move(done));
  auto run = std::make_shared<ScriptRun>(io, check, done);
  std::string error;
  if (!run->start(argv, error))
    return start_known_result(io, {CheckStatus::kCritical, error}, std::move(done));
  return run;
}

}  // namespace pot::agent::checks
