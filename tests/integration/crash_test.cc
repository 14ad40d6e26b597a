// `pot` processes killed at the worst moment: the pot's processes must not outlive the
// process in charge of them, and the next command must find the debris and clean it up.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>

#include "harness.h"

namespace potit {
namespace {

class CrashTest : public PotTest {
 protected:
  pid_t state_pid(const std::string& name, const std::string& key) {
    auto state = root().state(name);
    return state.count(key) ? static_cast<pid_t>(std::stol(state[key])) : 0;
  }

  // Host pids of every process in the pot's cgroups.
  std::set<pid_t> pot_processes(const std::string& name) {
    std::set<pid_t> pids;
    for (const auto& dir : root().pot_cgroup_dirs(name)) {
      for (const auto& line : split_lines(read_text(dir / "cgroup.procs")))
        pids.insert(std::stoi(line));
    }
    return pids;
  }

  bool all_gone(const std::set<pid_t>& pids) {
    for (pid_t pid : pids) {
      if (process_running(pid)) return false;
    }
    return true;
  }

  // Starts the one-shot pot (`sleep 30`) in the background, waits until it runs and kills
  // `pot start` with SIGKILL. Returns the pot's processes as they were.
  std::set<pid_t> start_and_kill_foreground(const std::string& name) {
    auto start = root().pot_background({"start", name});
    bool started = wait_until([&] { return root().status(name) == "started"; }, 10000);
    if (!started) throw StepFailed("the pot did not start:\n" + start->out() + start->err());
    std::set<pid_t> pids;
    wait_until(
        [&] {
          pids = pot_processes(name);
          return pids.size() >= 2;  // init and sleep
        },
        5000);
    pid_t init = state_pid(name, "init_pid");
    if (!pids.count(init))
      throw StepFailed("the pot's init " + std::to_string(init) + " is not in its cgroup");
    start->kill(SIGKILL);
    start->wait(5000);
    return pids;
  }
};

TEST_F(CrashTest, KilledForegroundStartTakesThePotDownAndStopCleansUp) {
  std::string name = create_one_shot("fg-stop", "sleep 30");
  std::set<pid_t> pids = start_and_kill_foreground(name);
  EXPECT_TRUE(wait_until([&] { return all_gone(pids); }, 5000))
      << "the pot's processes outlived the killed `pot start`";
  EXPECT_FALSE(is_running(name));

  RunResult stop = pot({"stop", name});
  EXPECT_POT_OK(stop);
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty())
      << "stop removes the cgroup the killed start left";
  RunResult again = pot({"stop", name});
  EXPECT_NE(again.code, 0) << "now it is really stopped\n" << again;
}

TEST_F(CrashTest, KilledForegroundStartThenStartAgainWorks) {
  std::string name = create_one_shot("fg-start", "sleep 30");
  std::set<pid_t> pids = start_and_kill_foreground(name);
  EXPECT_TRUE(wait_until([&] { return all_gone(pids); }, 5000))
      << "the pot's processes outlived the killed `pot start`";

  RunResult start = run_once(name, "/bin/true");
  EXPECT_POT_OK(start);
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":0,"Signal":0,"OOMKilled":false})");
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CrashTest, KilledMonitorTakesThePotDownAndStopCleansUp) {
  std::string name = create_pot("mon");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", name}));
  pid_t monitor = state_pid(name, "monitor_pid");
  ASSERT_GT(monitor, 0) << read_text(root().fs_root() / "run" / (name + ".state"));
  ASSERT_TRUE(process_running(monitor));
  std::set<pid_t> pids = pot_processes(name);
  ASSERT_GE(pids.size(), 2U);

  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return all_gone(pids); }, 5000)) << "the pot outlived its monitor";
  EXPECT_FALSE(is_running(name));

  RunResult stop = pot({"stop", name});
  EXPECT_POT_OK(stop);
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "stop removes the cgroup";
  EXPECT_POT_OK(pot({"start", name})) << "and the pot starts again";
  EXPECT_TRUE(is_running(name));
  EXPECT_POT_OK(pot({"stop", name}));
}

TEST_F(CrashTest, KilledStopIsFinishedByTheNextStart) {
  std::string name = create_pot("half-stopped");
  // A command that ignores SIGTERM keeps `pot stop` waiting for POT_STOP_TIMEOUT.
  ASSERT_POT_OK(
      pot({"set-cmd", "-p", name, "-c", "sh -c 'trap \"\" TERM; while true; do sleep 1; done'"}));
  ASSERT_POT_OK(pot({"start", name}));
  std::set<pid_t> pids = pot_processes(name);
  kill_stop_midway(name);
  EXPECT_EQ(root().status(name), "stopping");

  RunResult start = pot({"start", name});
  EXPECT_POT_OK(start) << "start finishes the killed stop's work first";
  EXPECT_TRUE(all_gone(pids)) << "the old run's processes survived";
  EXPECT_TRUE(is_running(name));
  RunOptions quick;
  quick.env = root().env({"POT_STOP_TIMEOUT=1"});
  EXPECT_POT_OK(pot({"stop", name}, quick));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CrashTest, KilledInitIsNoticedByTheMonitor) {
  std::string name = create_pot("init");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", name}));
  pid_t init = state_pid(name, "init_pid");
  ASSERT_GT(init, 0);
  ASSERT_EQ(::kill(init, SIGKILL), 0);

  EXPECT_TRUE(wait_until([&] { return root().status(name) == "stopped"; }, 10000))
      << "the monitor did not record the end: " << root().status(name);
  EXPECT_TRUE(wait_until([&] { return root().pot_cgroup_dirs(name).empty(); }, 10000))
      << "the monitor did not remove the cgroup";
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":137,"Signal":9,"OOMKilled":false})");
  RunResult stop = pot({"stop", name});
  EXPECT_NE(stop.code, 0) << "nothing left to stop\n" << stop;
  EXPECT_EQ(stop.err_lines().size(), 1U) << stop;
}

TEST_F(CrashTest, TermToForegroundStartIsPassedToTheCommand) {
  std::string name = create_one_shot("fg-term", "sleep 30");
  auto start = root().pot_background({"start", name});
  ASSERT_TRUE(wait_until([&] { return root().status(name) == "started"; }, 10000)) << start->err();
  std::this_thread::sleep_for(
      std::chrono::milliseconds(200));  // its handlers are set after "started"
  start->kill(SIGTERM);
  auto code = start->wait(10000);
  ASSERT_TRUE(code.has_value()) << "pot start still runs after SIGTERM";
  EXPECT_EQ(*code, 125) << "the command ended by SIGTERM, `pot start` reports a failed command\n"
                        << start->err();
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":143,"Signal":15,"OOMKilled":false})");
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CrashTest, StopOfAForegroundPot) {
  std::string name = create_one_shot("fg-stopped", "sleep 30");
  auto start = root().pot_background({"start", name});
  ASSERT_TRUE(wait_until([&] { return root().status(name) == "started"; }, 10000)) << start->err();
  RunResult stop = pot({"stop", name});
  EXPECT_POT_OK(stop);
  auto code = start->wait(10000);
  ASSERT_TRUE(code.has_value()) << "pot start still runs after pot stop";
  EXPECT_EQ(*code, 125) << start->err();
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CrashTest, ConcurrentStartsStartThePotOnce) {
  std::string name = create_pot("twice");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  std::vector<std::unique_ptr<Background>> starts;
  for (int i = 0; i < 4; ++i) starts.push_back(root().pot_background({"start", name}));
  int succeeded = 0;
  for (auto& start : starts) {
    auto code = start->wait(30000);
    ASSERT_TRUE(code.has_value());
    if (*code == 0) {
      ++succeeded;
    } else {
      EXPECT_EQ(split_lines(start->err()).size(), 1U) << start->err();
    }
  }
  EXPECT_EQ(succeeded, 1) << "exactly one of four concurrent starts starts the pot";
  EXPECT_TRUE(is_running(name));
  std::set<pid_t> pids = pot_processes(name);
  EXPECT_EQ(pids.size(), 2U) << "one init and one command";
  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CrashTest, KilledExecLeavesThePotRunning) {
  std::string name = create_pot("exec");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", name}));
  auto exec = root().pot_background({"exec", "-p", name, "sleep", "30"});
  ASSERT_TRUE(wait_until([&] { return pot_processes(name).size() >= 3; }, 5000))
      << "the exec'd command did not join the pot's cgroup";
  exec->kill(SIGKILL);
  exec->wait(5000);
  EXPECT_TRUE(is_running(name));
  RunResult ps = pot({"exec", "-p", name, "ps", "-o", "pid,args"});
  EXPECT_POT_OK(ps);
  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

}  // namespace
}  // namespace potit
