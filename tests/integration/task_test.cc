// A pot run as a Nomad task (`pot start -O STDOUT -E STDERR NAME`): started in the
// background, ended by its command, its stdout and stderr in two files or FIFOs of the
// caller's (Nomad's log collector), and the end recorded in .last_run_stats with the exit
// code, the signal and whether the OOM killer struck.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <thread>

#include "core/error.h"
#include "harness.h"
#include "runtime/cgroup.h"

namespace potit {
namespace {

// Reads a FIFO into a string on a thread of its own, as Nomad's log collector would, until
// stop(): opened without waiting for a writer, and waiting (not ending) while there is none.
class FifoReader {
 public:
  explicit FifoReader(const fs::path& fifo) {
    fd_ = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd_ < 0) throw StepFailed("opening " + fifo.string() + " for reading");
    thread_ = std::thread([this] { run(); });
  }
  ~FifoReader() { stop(); }
  FifoReader(const FifoReader&) = delete;
  FifoReader& operator=(const FifoReader&) = delete;

  // Stops reading and closes the FIFO: the writer's next write fails with EPIPE.
  void stop() {
    if (fd_ < 0) return;
    stopping_ = true;
    thread_.join();
    ::close(fd_);
    fd_ = -1;
  }
  std::string text() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return text_;
  }
  bool has(const std::string& part) const { return text().find(part) != std::string::npos; }

 private:
  void run() {
    char buffer[4096];
    while (!stopping_) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 20) <= 0) continue;
      ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n > 0) {
        std::lock_guard<std::mutex> lock(mutex_);
        text_.append(buffer, static_cast<size_t>(n));
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // no writer (yet)
      }
    }
  }

  int fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  mutable std::mutex mutex_;
  std::string text_;
};

class TaskTest : public PotTest {
 protected:
  fs::path path(const std::string& name) { return root().tmp() / unique_name(name); }
  fs::path fifo(const std::string& name) {
    fs::path p = path(name);
    if (::mkfifo(p.c_str(), 0600) != 0) throw StepFailed("mkfifo " + p.string());
    return p;
  }

  RunResult start_task(const std::string& name, const fs::path& out, const fs::path& err) {
    return pot({"start", "-O", out.string(), "-E", err.string(), name});
  }

  // Waits for the task to end: its status back to stopped and its monitor gone (the monitor
  // still leaves its cgroups after recording the end).
  void wait_for_end(const std::string& name, pid_t monitor, int timeout_ms = 20000) {
    bool stopped = wait_until([&] { return root().status(name) == "stopped"; }, timeout_ms);
    if (!stopped) throw StepFailed("task " + name + " still " + root().status(name));
    if (monitor > 0 && !wait_until([&] { return !process_running(monitor); }, 5000))
      throw StepFailed("the monitor of " + name + " outlived its task");
  }

  pid_t monitor_pid(const std::string& name) {
    auto state = root().state(name);
    return state.count("monitor_pid") ? static_cast<pid_t>(std::stol(state["monitor_pid"])) : 0;
  }

  std::string last_run_stats(const std::string& name) {
    return trim(expect_ok(pot({"last-run-stats", "-p", name})).out);
  }
};

TEST_F(TaskTest, RunsInTheBackgroundWithOutputInTwoFiles) {
  // A persistent pot: a task ends with its command all the same.
  std::string name = create_pot("task");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c",
                     "sh -c 'echo out-1; echo err-1 >&2; sleep 2; echo out-2; exit 3'"}));
  fs::path out = path("stdout"), err = path("stderr");

  RunResult start = start_task(name, out, err);
  ASSERT_POT_OK(start);
  EXPECT_LT(start.seconds, 1.5) << "pot start returns once the task runs, not when it ends\n"
                                << start;
  EXPECT_FALSE(start.output_held_open) << start;
  EXPECT_EQ(start.out, "") << start;
  pid_t monitor = monitor_pid(name);
  EXPECT_EQ(root().status(name), "started");
  EXPECT_FALSE(root().pot_cgroup_dirs(name).empty());

  wait_for_end(name, monitor);
  EXPECT_EQ(read_text(out), "out-1\nout-2\n");
  EXPECT_EQ(read_text(err), "err-1\n");
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":3,"Signal":0,"OOMKilled":false})");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "the monitor removes the cgroup";
  EXPECT_FALSE(is_running(name));

  // Started again, it appends.
  ASSERT_POT_OK(start_task(name, out, err));
  wait_for_end(name, monitor_pid(name));
  EXPECT_EQ(read_text(out), "out-1\nout-2\nout-1\nout-2\n");
}

TEST_F(TaskTest, OutputFlagsGoTogetherAndACommandIsNeeded) {
  std::string name = create_pot("task-flags");
  RunResult only_out = pot({"start", "-O", path("o").string(), name});
  EXPECT_NE(only_out.code, 0) << only_out;
  EXPECT_EQ(only_out.err_lines().size(), 1U) << only_out;

  RunResult no_command = start_task(name, path("o"), path("e"));
  EXPECT_NE(no_command.code, 0) << no_command;
  EXPECT_EQ(no_command.err_lines().size(), 1U) << no_command;
  EXPECT_NE(no_command.err.find("no command"), std::string::npos) << no_command;
  EXPECT_EQ(root().status(name), "stopped");

  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "true"}));
  RunResult bad_path = start_task(name, root().tmp() / "no-such-dir" / "o", path("e"));
  EXPECT_NE(bad_path.code, 0) << bad_path;
  EXPECT_NE(bad_path.err.find("no-such-dir"), std::string::npos) << bad_path;
  EXPECT_EQ(root().status(name), "stopped") << "a failed start leaves nothing behind";
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(TaskTest, FifoReaderThatLeavesAndReturnsNeverStopsTheTask) {
  // Two lines per 50 ms for about three seconds, numbered; exit 0 at the end.
  std::string name = create_one_shot(
      "task-fifo",
      "sh -c 'i=0; while [ $i -lt 60 ]; do echo out-$i; echo err-$i >&2; i=$((i+1)); "
      "sleep 0.05; done'");
  fs::path out = fifo("stdout"), err = fifo("stderr");
  auto out_reader = std::make_unique<FifoReader>(out);
  auto err_reader = std::make_unique<FifoReader>(err);
  ASSERT_POT_OK(start_task(name, out, err));
  pid_t monitor = monitor_pid(name);

  ASSERT_TRUE(wait_until([&] { return out_reader->has("out-3\n"); }, 10000)) << out_reader->text();
  EXPECT_TRUE(wait_until([&] { return err_reader->has("err-3\n"); }, 2000)) << err_reader->text();
  EXPECT_EQ(out_reader->text().find("err-"), std::string::npos) << "stderr kept apart";
  // The collector goes away for a while: the task goes on, its output is dropped.
  out_reader.reset();
  err_reader.reset();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(root().status(name), "started") << "the task lives on without a reader";

  out_reader = std::make_unique<FifoReader>(out);
  err_reader = std::make_unique<FifoReader>(err);
  wait_for_end(name, monitor);
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":0,"Signal":0,"OOMKilled":false})")
      << "not killed by SIGPIPE";
  EXPECT_TRUE(wait_until([&] { return out_reader->has("out-59\n"); }, 2000))
      << "output after the reader came back arrives\n"
      << out_reader->text();
  EXPECT_TRUE(err_reader->has("err-59\n")) << err_reader->text();
  EXPECT_FALSE(out_reader->has("out-3\n")) << "output before is not replayed";
}

TEST_F(TaskTest, FifoWithoutAReaderAtStartDoesNotHang) {
  std::string name = create_one_shot(
      "task-noreader",
      "sh -c 'echo early; touch /early-done; sleep 1; echo late; echo late-err >&2'");
  fs::path out = fifo("stdout"), err = fifo("stderr");
  RunResult start = start_task(name, out, err);
  ASSERT_POT_OK(start);  // a blocking open of the FIFO would hang here
  pid_t monitor = monitor_pid(name);
  // Open the FIFOs once "early" was written (and the monitor had a moment to drop it).
  ASSERT_TRUE(
      wait_until([&] { return fs::exists(root().jail_dir(name) / "m" / "early-done"); }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  FifoReader out_reader(out), err_reader(err);
  wait_for_end(name, monitor);
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":0,"Signal":0,"OOMKilled":false})");
  EXPECT_TRUE(wait_until([&] { return out_reader.has("late\n"); }, 2000)) << out_reader.text();
  EXPECT_FALSE(out_reader.has("early")) << "written while nobody read: dropped";
  EXPECT_TRUE(err_reader.has("late-err\n")) << err_reader.text();
}

TEST_F(TaskTest, SignalIsToldApartFromAnExitCode) {
  std::string name = create_one_shot("task-signal", "sh -c 'kill -9 $$'");
  ASSERT_POT_OK(start_task(name, path("o"), path("e")));
  wait_for_end(name, monitor_pid(name));
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":137,"Signal":9,"OOMKilled":false})");

  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sh -c 'exit 137'"}));
  ASSERT_POT_OK(start_task(name, path("o"), path("e")));
  wait_for_end(name, monitor_pid(name));
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":137,"Signal":0,"OOMKilled":false})");
}

TEST_F(TaskTest, StopEndsTheTaskWithItsSignal) {
  std::string name = create_one_shot("task-stop", "sleep 60");
  fs::path out = path("o"), err = path("e");
  ASSERT_POT_OK(start_task(name, out, err));
  pid_t monitor = monitor_pid(name);
  ASSERT_POT_OK(pot({"stop", name}));
  wait_for_end(name, monitor);
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":143,"Signal":15,"OOMKilled":false})");
  EXPECT_EQ(read_text(err), "") << "the monitor had nothing to complain about";
}

TEST_F(TaskTest, MemoryLimitReportsOomKilled) {
  std::string name = create_one_shot("task-oom", "/probe alloc 200");
  copy_probe(name);
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "32M"}));
  fs::path out = path("o");
  ASSERT_POT_OK(start_task(name, out, path("e")));
  wait_for_end(name, monitor_pid(name));
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":137,"Signal":9,"OOMKilled":true})")
      << read_text(out);
  EXPECT_NE(read_text(out).find("allocated 8 MB"), std::string::npos) << read_text(out);
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(TaskTest, TaskOutlivesTheProcessThatStartedIt) {
  std::string name = create_one_shot("task-orphan", "sh -c 'sleep 1; echo still-here; exit 5'");
  fs::path out = path("o"), err = path("e");
  // A driver that starts the task and then dies (SIGKILL).
  std::string script = "'" + root().binary() + "' start -O '" + out.string() + "' -E '" +
                       err.string() + "' " + name + " && exec sleep 60";
  Background driver({"/bin/sh", "-c", script}, root().env(), path("driver.out"),
                    path("driver.err"));
  ASSERT_TRUE(wait_until([&] { return root().status(name) == "started"; }, 10000)) << driver.err();
  pid_t monitor = monitor_pid(name);
  driver.kill(SIGKILL);
  ASSERT_TRUE(driver.wait(5000).has_value());
  EXPECT_EQ(root().status(name), "started");

  wait_for_end(name, monitor);
  EXPECT_EQ(read_text(out), "still-here\n");
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":5,"Signal":0,"OOMKilled":false})");
}

TEST_F(TaskTest, StatsOfARunningTaskComeFromItsCgroup) {
  std::string name =
      create_one_shot("task-stats",
                      "sh -c 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; touch /busy-done; "
                      "exec sleep 60'");
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "64M", "-C", "1"}));
  ASSERT_POT_OK(start_task(name, path("o"), path("e")));
  pid_t monitor = monitor_pid(name);
  ASSERT_TRUE(
      wait_until([&] { return fs::exists(root().jail_dir(name) / "m" / "busy-done"); }, 10000));

  auto cgroups = pot::make_cgroup_manager("auto");
  pot::CgroupStats stats = cgroups->stats("pot-" + root().root_tag() + "/" + name);
  ASSERT_TRUE(stats.memory_usage.has_value());
  EXPECT_GT(*stats.memory_usage, 0U);
  EXPECT_LE(*stats.memory_usage, 64U << 20);
  ASSERT_TRUE(stats.memory_rss.has_value());
  ASSERT_TRUE(stats.memory_cache.has_value());
  ASSERT_TRUE(stats.cpu_total_ns.has_value());
  EXPECT_GT(*stats.cpu_total_ns, 0U) << "the shell counted to 20000";
  ASSERT_TRUE(stats.cpu_user_ns.has_value());
  ASSERT_TRUE(stats.cpu_system_ns.has_value());
  EXPECT_TRUE(stats.cpu_throttled_periods.has_value()) << "the cpu controller limits the pot";
  EXPECT_TRUE(stats.cpu_throttled_ns.has_value());
  if (stats.memory_max_usage) {
    EXPECT_GE(*stats.memory_max_usage, *stats.memory_usage);
  }

  ASSERT_POT_OK(pot({"stop", name}));
  wait_for_end(name, monitor);
  EXPECT_THROW(cgroups->stats("pot-" + root().root_tag() + "/" + name), pot::Error)
      << "no group, no stats";
}

}  // namespace
}  // namespace potit
