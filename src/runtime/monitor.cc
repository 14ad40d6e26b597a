#include "runtime/monitor.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/process.h"
#include "core/unique_fd.h"

namespace pot {
namespace {

// Signals that reach a monitor in the foreground are passed to the pot instead.
pid_t g_foreground_init = -1;
void forward_to_init(int sig) {
  if (g_foreground_init > 0) ::kill(g_foreground_init, sig);
}

CommandExit wait_forwarding_signals(RunningJail& jail) {
  g_foreground_init = jail.init_pid;
  struct sigaction forward {};
  forward.sa_handler = forward_to_init;
  sigemptyset(&forward.sa_mask);
  forward.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &forward, nullptr);
  CommandExit exit = wait_jail(jail);
  g_foreground_init = -1;
  return exit;
}

// One of the pot's output streams: the read end of its pipe, and where its data goes.
struct OutputStream {
  UniqueFd pipe;
  std::function<void(std::string_view)> sink;
};

// A pipe for the pot's output: the read end non-blocking (we drain it), both close-on-exec.
std::pair<UniqueFd, UniqueFd> make_output_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("creating the pot's output pipe");
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  if (::fcntl(read_end.get(), F_SETFL, O_NONBLOCK) != 0) throw_sys("fcntl O_NONBLOCK");
  return {std::move(read_end), std::move(write_end)};
}

// Makes `write_end` our fd `target` (1 or 2), for the init to inherit.
void redirect(const UniqueFd& write_end, int target) {
  if (::dup2(write_end.get(), target) < 0) throw_sys("redirecting the pot's output");
}

enum class Pumped { kEmpty, kMore, kEof };

// Moves what is there now from the pot's output pipe to its sink. At most a few buffers at
// a time (kMore: there may be more): a stream that never runs dry must not starve the other.
Pumped pump(OutputStream& stream) {
  char buffer[65536];
  for (int reads = 0; reads < 16; ++reads) {
    ssize_t n = ::read(stream.pipe.get(), buffer, sizeof buffer);
    if (n > 0) {
      stream.sink(std::string_view(buffer, static_cast<size_t>(n)));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 ? Pumped::kEmpty : Pumped::kEof;  // 0: every writer is gone
  }
  return Pumped::kMore;
}

// Until the init exits: its output into the sinks. The pipes' writers are the pot's
// processes only, and they all end with the init (its pid namespace goes with it).
CommandExit wait_pumping_output(RunningJail& jail, std::vector<OutputStream>& streams) {
  UniqueFd pidfd = open_pidfd(jail.init_pid);
  if (!pidfd) throw_sys("opening the pot's init");
  std::vector<pollfd> fds;
  for (const auto& stream : streams) fds.push_back({stream.pipe.get(), POLLIN, 0});
  fds.push_back({pidfd.get(), POLLIN, 0});
  size_t init = streams.size();
  for (;;) {
    int ready = ::poll(fds.data(), fds.size(), -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_sys("waiting for the pot");
    for (size_t i = 0; i < init; ++i) {
      if (fds[i].revents != 0 && pump(streams[i]) == Pumped::kEof) fds[i].fd = -1;
    }
    if (fds[init].revents != 0) break;
  }
  for (size_t i = 0; i < init; ++i) {
    // What was written just before the end.
    while (fds[i].fd >= 0 && pump(streams[i]) == Pumped::kMore) {
    }
  }
  return wait_jail(jail);
}

// A persistent pot: stdout and stderr through one pipe into the rotated log.
CommandExit run_logged(const LaunchPot& launch, const MonitorHooks& hooks, const LogRotation& log) {
  RotatingLog sink(log);
  auto [output_read, output_write] = make_output_pipe();
  // The init inherits our stdout and stderr: the pipe, for its launch; then ours go to the
  // log file itself, so that only the pot's processes hold the pipe.
  redirect(output_write, 1);
  redirect(output_write, 2);
  output_write.reset();
  RunningJail jail;
  try {
    jail = launch();
  } catch (...) {
    sink.own_stdio();  // the monitor's own report of the failure goes to the log
    throw;
  }
  sink.own_stdio();
  hooks.running(jail);
  std::vector<OutputStream> streams;
  streams.push_back({std::move(output_read), [&](std::string_view data) { sink.write(data); }});
  return wait_pumping_output(jail, streams);
}

// One of a task's two outputs, whichever kind: a file or FIFO, or numbered files.
struct TaskStreamSink {
  std::function<void(std::string_view)> write;
  std::function<void(int)> own_fd;
};

template <typename Sink, typename... Args>
TaskStreamSink make_stream_sink(Args&&... args) {
  auto sink = std::make_shared<Sink>(std::forward<Args>(args)...);
  return {[sink](std::string_view data) { sink->write(data); },
          [sink](int fd) { sink->own_fd(fd); }};
}

TaskStreamSink open_task_stream(const std::string& path, const TaskOutput& task) {
  if (task.numbered) return make_stream_sink<NumberedLog>(path, *task.numbered);
  return make_stream_sink<OutputSink>(path);
}

// A task: stdout and stderr through two pipes into the task's two outputs.
CommandExit run_task(const LaunchPot& launch, const MonitorHooks& hooks, const TaskOutput& task) {
  TaskStreamSink out = open_task_stream(task.stdout_path, task);
  TaskStreamSink err = open_task_stream(task.stderr_path, task);
  auto [out_read, out_write] = make_output_pipe();
  auto [err_read, err_write] = make_output_pipe();
  redirect(out_write, 1);
  redirect(err_write, 2);
  out_write.reset();
  err_write.reset();
  // Ours follow the sinks once the init has the pipes (our messages go to the task's stderr).
  auto own_stdio = [&] {
    out.own_fd(1);
    err.own_fd(2);
  };
  RunningJail jail;
  try {
    jail = launch();
  } catch (...) {
    own_stdio();
    throw;
  }
  own_stdio();
  hooks.running(jail);
  std::vector<OutputStream> streams;
  streams.push_back({std::move(out_read), out.write});
  streams.push_back({std::move(err_read), err.write});
  return wait_pumping_output(jail, streams);
}

}  // namespace

CommandExit run_monitor(const LaunchPot& launch, const MonitorHooks& hooks,
                        const PotOutput& output) {
  if (const auto* log = std::get_if<LogRotation>(&output)) return run_logged(launch, hooks, *log);
  if (const auto* task = std::get_if<TaskOutput>(&output)) return run_task(launch, hooks, *task);
  RunningJail jail = launch();
  hooks.running(jail);
  return wait_forwarding_signals(jail);
}

void detach_process(std::initializer_list<int> keep) {
  // A `pot start` killed before the pot runs must not take its monitor with it through the
  // report pipe: a write to a reader that is gone then fails with EPIPE instead. (The pot's
  // command gets default dispositions back from its init.)
  ::signal(SIGPIPE, SIG_IGN);
  close_fds_except(keep);
  if (::setsid() < 0) throw_sys("setsid");
  // Neither the caller's directory (an unmount of it would be busy) nor its terminal.
  if (::chdir("/") != 0) throw_sys("chdir /");
  UniqueFd null_fd(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!null_fd || ::dup2(null_fd.get(), 0) < 0) throw_sys("opening /dev/null");
}

}  // namespace pot
