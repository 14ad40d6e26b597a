// The reproductions of issue 10, as tests: commands killed (a real SIGKILL, delivered by
// strace when the command enters a chosen system call) at their unlucky moments, races
// between commands, and the names and files that used to collide or grow. Each checks
// what a user would: `pot ls` against the disk, the next command succeeding, and nothing
// left on the disk or in the kernel afterwards. The sweep over every kill point of every
// command is fault_injection_test.cc; these are the cases seen, kept as regressions.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"

namespace potit {
namespace {

class CrashSafetyTest : public PotTest {
 protected:
  // `pot ARGS`, killed with SIGKILL when it (or a child) enters `syscall` for the `when`th
  // time. Fails the test unless the kill really happened: a command that finished instead
  // tests nothing.
  void kill_at(const std::string& syscall, int when, const std::vector<std::string>& args,
               const std::vector<std::string>& extra_env = {}) {
    std::vector<std::string> argv = {
        "strace",
        "-f",
        "-qq",
        "-o",
        "/dev/null",
        "-e",
        "inject=" + syscall + ":signal=KILL:when=" + std::to_string(when),
        root().binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = extra_env;
    env.push_back("ASAN_OPTIONS=detect_leaks=0");  // LeakSanitizer cannot run under ptrace
    RunOptions options;
    options.env = root().env(env);
    RunResult result = run_process(argv, options);
    ASSERT_EQ(result.code, 128 + SIGKILL)
        << "the command was not killed at " << syscall << " #" << when << "\n"
        << result;
  }

  bool listed(const std::string& name) {
    for (const auto& line : pot({"ls", "-q"}).out_lines()) {
      if (trim(line) == name) return true;
    }
    return false;
  }

  // A listed pot is whole: its configuration and its root are there.
  void expect_whole_or_gone(const std::string& name) {
    bool on_disk = fs::exists(root().jail_dir(name) / "conf" / "pot.conf");
    EXPECT_EQ(listed(name), on_disk) << "`pot ls` and the disk disagree about " << name;
    if (on_disk) {
      EXPECT_TRUE(fs::is_directory(root().jail_dir(name) / "m")) << name;
    }
  }

  // Hidden work entries (`.creating.*`, `.destroying.*`) in a directory.
  static std::vector<std::string> hidden_entries(const fs::path& dir) {
    std::vector<std::string> hidden;
    for (const auto& entry : dir_entries(dir)) {
      if (entry.rfind(".creating.", 0) == 0 || entry.rfind(".destroying.", 0) == 0)
        hidden.push_back(entry);
    }
    return hidden;
  }

  // Files of the pot in run/: its state, logs and lock.
  std::vector<std::string> run_files(const std::string& name) {
    std::vector<std::string> files;
    for (const auto& entry : dir_entries(root().fs_root() / "run")) {
      if (entry.rfind(name + ".", 0) == 0) files.push_back(entry);
    }
    return files;
  }

  // Subvolumes of the pool under jails/ (the kernel's list, not pot's).
  std::vector<std::string> jail_subvolumes() {
    if (root().storage() != "btrfs") return {};
    RunResult list = run_process({"btrfs", "subvolume", "list", root().fs_root().string()}, {});
    std::vector<std::string> found;
    for (const auto& line : list.out_lines()) {
      if (line.find(" path jails/") != std::string::npos) found.push_back(line);
    }
    return found;
  }

  // Nothing of a pot that is gone: directory, hidden leftovers, run files, cgroups.
  void expect_nothing_left_of(const std::string& name) {
    EXPECT_FALSE(fs::exists(root().jail_dir(name))) << name;
    EXPECT_EQ(hidden_entries(root().fs_root() / "jails"), std::vector<std::string>{});
    EXPECT_EQ(run_files(name), std::vector<std::string>{}) << name;
    EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << name;
  }
};

TEST_F(CrashSafetyTest, KilledDestroyIsFinishedByTheNextDestroy) {
  // Before the pot goes (its cgroups, the rename that hides it), after it went (removing
  // its files), and at the very end (its lock file).
  const std::vector<std::pair<std::string, int>> kill_points = {
      {"rmdir", 1}, {"rename", 1}, {"unlink", 1}, {"unlink", 2}};
  for (const auto& [syscall, when] : kill_points) {
    SCOPED_TRACE(syscall + " #" + std::to_string(when));
    std::string name = create_pot("destroy-killed");
    ASSERT_POT_OK(pot({"snapshot", "-p", name}));  // a nested subvolume, too
    kill_at(syscall, when, {"destroy", "-p", name});
    expect_whole_or_gone(name);
    EXPECT_POT_OK(pot({"destroy", "-p", name})) << "the next destroy finishes the killed one";
    expect_nothing_left_of(name);
    EXPECT_POT_OK(pot({"create", "-p", name, "-b", "bb"})) << "and the name is free again";
    EXPECT_POT_OK(pot({"destroy", "-p", name}));
    expect_nothing_left_of(name);
  }
  EXPECT_EQ(jail_subvolumes(), std::vector<std::string>{});
}

TEST_F(CrashSafetyTest, KilledRevertLeavesTheRootInPlaceAndTheNextRevertFinishes) {
  std::string name = create_pot("revert-killed");
  fs::path marker = host_file("after-snapshot", "written after the snapshot\n");
  ASSERT_POT_OK(pot({"snapshot", "-p", name}));
  ASSERT_POT_OK(pot({"copy-in", "-p", name, "-s", marker.string(), "-d", "/after"}));
  fs::path after = root().jail_dir(name) / "m" / "after";
  ASSERT_TRUE(fs::exists(after));

  // Killed just before the swap: the old root stays, whole.
  kill_at("renameat2", 1, {"revert", "-p", name});
  EXPECT_TRUE(fs::exists(after)) << "the pot kept its root and its content";
  EXPECT_POT_OK(pot({"start", name})) << "the pot still starts";
  EXPECT_POT_OK(pot({"stop", name}));

  EXPECT_POT_OK(pot({"revert", "-p", name}));
  EXPECT_FALSE(fs::exists(after)) << "the revert happened";
  EXPECT_TRUE(fs::is_directory(root().jail_dir(name) / "m" / "bin"));
  EXPECT_EQ(hidden_entries(root().jail_dir(name)), std::vector<std::string>{})
      << "the killed revert's copy was removed";

  // Killed just after the swap, while removing the old root: the new one is in place.
  ASSERT_POT_OK(pot({"copy-in", "-p", name, "-s", marker.string(), "-d", "/after"}));
  kill_at(root().storage() == "btrfs" ? "ioctl" : "unlinkat", 1, {"revert", "-p", name});
  EXPECT_TRUE(fs::is_directory(root().jail_dir(name) / "m" / "bin"));
  EXPECT_POT_OK(pot({"revert", "-p", name})) << "a second revert never loses the root";
  EXPECT_FALSE(fs::exists(after));
  EXPECT_EQ(hidden_entries(root().jail_dir(name)), std::vector<std::string>{});
}

TEST_F(CrashSafetyTest, KilledClonesLeaveNothingOnceTheNextCloneRan) {
  std::string source = create_pot("clone-src");
  std::string name = unique_name("clone-killed");
  track(name);
  for (const auto& [syscall, when] :
       std::vector<std::pair<std::string, int>>{{"mkdir", 2}, {"rename", 1}, {"ioctl", 1}}) {
    SCOPED_TRACE(syscall + " #" + std::to_string(when));
    kill_at(syscall, when, {"clone", "-P", source, "-p", name});
    expect_whole_or_gone(name);
    if (listed(name)) {
      ASSERT_POT_OK(pot({"destroy", "-p", name}));
    }
  }
  ASSERT_POT_OK(pot({"clone", "-P", source, "-p", name}));
  EXPECT_EQ(hidden_entries(root().fs_root() / "jails"), std::vector<std::string>{})
      << "clone sweeps what killed clones left, as create does";
  ASSERT_POT_OK(pot({"destroy", "-p", name}));
  expect_nothing_left_of(name);
}

TEST_F(CrashSafetyTest, PotsMayBeNamedLikeTheRootsOwnLocksAndLikeBaseLocks) {
  RunOptions bounded;
  bounded.timeout_seconds = 20;
  std::string network = "network";
  track(network);
  RunResult made = pot({"create", "-p", network, "-b", "bb"}, bounded);
  EXPECT_POT_OK(made) << "a pot called `network` does not wait for itself";
  EXPECT_FALSE(made.timed_out);
  // Bridge pots take the root's network lock while `network` exists and is locked by no one.
  std::string bridged = create_pot("beside-network", {"-N", "public-bridge"});
  EXPECT_POT_OK(pot({"start", bridged}, bounded));
  EXPECT_POT_OK(pot({"stop", bridged}, bounded));

  std::string base_like = "base.bb";
  track(base_like);
  ASSERT_POT_OK(pot({"create", "-p", base_like, "-b", "bb"}));
  ASSERT_POT_OK(pot({"destroy", "-p", base_like}));
  EXPECT_TRUE(fs::is_directory(root().fs_root() / "bases" / "bb")) << "the base is untouched";
  EXPECT_POT_OK(pot({"destroy", "-p", network}, bounded));

  ASSERT_POT_OK(pot({"create-base", "-b", "bb2", "-r", "busybox"}));
  ASSERT_POT_OK(pot({"destroy", "-b", "bb2"}));
  EXPECT_FALSE(fs::exists(root().fs_root() / "run" / "bases" / "bb2.lock"))
      << "destroying a base leaves no lock file";
}

TEST_F(CrashSafetyTest, RacingStartsStopsAndDestroysLeaveNoRunFiles) {
  for (int round = 0; round < 3; ++round) {
    std::string name = create_pot("race");
    ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
    std::vector<std::unique_ptr<Background>> commands;
    for (int i = 0; i < 10; ++i) {
      std::vector<std::string> args;
      if (i % 3 == 0) args = {"destroy", "-F", "-p", name};
      if (i % 3 == 1) args = {"start", name};
      if (i % 3 == 2) args = {"stop", name};
      commands.push_back(root().pot_background(args));
    }
    for (auto& command : commands) {
      auto code = command->wait(60000);
      ASSERT_TRUE(code.has_value()) << "a command hung";
      if (*code != 0) {
        EXPECT_EQ(split_lines(command->err()).size(), 1U) << command->err();
      }
    }
    if (listed(name)) {
      ASSERT_POT_OK(pot({"destroy", "-F", "-p", name}));
    }
    expect_nothing_left_of(name);
  }
}

TEST_F(CrashSafetyTest, StopKilledMidwayIsFinishedByTheNextStopEvenAfterThePotEnded) {
  std::string name = create_pot("stop-killed");
  ASSERT_POT_OK(
      pot({"set-cmd", "-p", name, "-c", "sh -c 'trap \"\" TERM; while true; do sleep 1; done'"}));
  ASSERT_POT_OK(pot({"start", name}));
  pid_t init = static_cast<pid_t>(std::stol(root().state(name)["init_pid"]));
  kill_stop_midway(name);
  // The pot ends meanwhile; its monitor must leave the unfinished stop to the next one.
  ASSERT_EQ(::kill(init, SIGKILL), 0);
  ASSERT_TRUE(wait_until([&] { return !process_running(init); }, 5000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));

  RunResult again = pot({"stop", name});
  EXPECT_POT_OK(again) << "the next stop finishes the killed one and succeeds";
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CrashSafetyTest, PersistentPotLogIsRotated) {
  std::string name = create_pot("log");
  // About 300 KB of numbered lines, then "done"; the pot stays up after its command.
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c",
                     "sh -c 'i=0; while [ $i -lt 4000 ]; do echo "
                     "\"line $i ....................................................\"; "
                     "i=$((i+1)); done; echo done'"}));
  RunOptions options;
  options.env = root().env({"POT_LOG_MAX_SIZE=64K", "POT_LOG_MAX_FILES=3"});
  ASSERT_POT_OK(pot({"start", name}, options));
  fs::path log = root().fs_root() / "run" / (name + ".log");
  ASSERT_TRUE(wait_until([&] { return read_text(log).find("done\n") != std::string::npos; }, 30000))
      << "the log never got the last line";
  for (const auto& file : {log, fs::path(log.string() + ".1"), fs::path(log.string() + ".2")}) {
    ASSERT_TRUE(fs::exists(file)) << file;
    EXPECT_LE(fs::file_size(file), 64U * 1024) << file;
  }
  EXPECT_GE(fs::file_size(log.string() + ".1"), 60U * 1024) << "rotated files are full";
  EXPECT_FALSE(fs::exists(log.string() + ".3")) << "three files in all, the oldest dropped";
  // Nothing lost at a rotation: the newest rotated file runs on into the current one.
  std::string joined =
      read_text(log.string() + ".2") + read_text(log.string() + ".1") + read_text(log);
  std::vector<std::string> lines = split_lines(joined);
  ASSERT_GT(lines.size(), 10U);
  EXPECT_EQ(lines.back(), "done");
  int previous = -1;
  for (const auto& line : lines) {
    if (line.rfind("line ", 0) != 0) continue;
    int number = std::stoi(line.substr(5));
    if (previous >= 0 && number != previous + 1) {
      ADD_FAILURE() << "line " << previous + 1 << " went missing: " << previous << " then "
                    << number;
      break;
    }
    previous = number;
  }
  EXPECT_EQ(previous, 3999);
  ASSERT_POT_OK(pot({"stop", name}));
  ASSERT_POT_OK(pot({"destroy", "-p", name}));
  EXPECT_EQ(run_files(name), std::vector<std::string>{}) << "destroy removes every log";
}

TEST_F(CrashSafetyTest, LastRunStatsOfAPersistentPotIsItsCommandsExitCode) {
  std::string name = create_pot("stats");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sh -c 'exit 3'"}));
  ASSERT_POT_OK(pot({"start", name}));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the command ends; the pot stays
  EXPECT_TRUE(is_running(name));
  ASSERT_POT_OK(pot({"stop", name}));
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":3,"Signal":0,"OOMKilled":false})");

  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c",
                     "sh -c 'trap \"exit 7\" TERM; while true; do sleep 0.1; done'"}));
  ASSERT_POT_OK(pot({"start", name}));
  ASSERT_POT_OK(pot({"stop", name}));
  EXPECT_EQ(trim(pot({"last-run-stats", "-p", name}).out),
            R"({"ExitCode":7,"Signal":0,"OOMKilled":false})");
}

// What systemd does when it stops the unit that ran `pot start` (a service, a CI job, a
// Nomad client): it kills every process of the unit's cgroups. A persistent pot must live on
// until `pot stop`.
TEST_F(CrashSafetyTest, PersistentPotOutlivesTheCallersCgroup) {
  std::string name = create_pot("outlives");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  // The caller's own group in the v2 tree and in the v1 pids hierarchy, where present.
  std::string group = "potit-caller-" + std::to_string(::getpid());
  std::vector<fs::path> caller_groups;
  for (const char* hierarchy :
       {"/sys/fs/cgroup/unified", "/sys/fs/cgroup/pids", "/sys/fs/cgroup"}) {
    fs::path dir = fs::path(hierarchy) / group;
    if (!fs::exists(fs::path(hierarchy) / "cgroup.procs") || !fs::create_directory(dir)) continue;
    caller_groups.push_back(dir);
  }
  ASSERT_FALSE(caller_groups.empty()) << "no cgroup hierarchy to make a caller's group in";
  std::string script = "for d; do echo $$ > $d/cgroup.procs; done; exec \"$POT\" start " + name;
  std::vector<std::string> argv = {"sh", "-c", script, "sh"};
  for (const auto& dir : caller_groups) argv.push_back(dir.string());
  RunOptions options;
  options.env = root().env({"POT=" + root().binary()});
  RunResult started = run_process(argv, options);
  EXPECT_POT_OK(started);

  // Kill everything still in the caller's groups, as systemd would, until they are empty.
  for (int attempt = 0; attempt < 50; ++attempt) {
    bool any = false;
    for (const auto& dir : caller_groups) {
      for (const auto& line : split_lines(read_text(dir / "cgroup.procs"))) {
        any = true;
        ::kill(std::stoi(line), SIGKILL);
      }
    }
    if (!any) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(is_running(name)) << "the pot died with its caller's unit";
  pid_t monitor = static_cast<pid_t>(std::stol(root().state(name)["monitor_pid"]));
  EXPECT_TRUE(process_running(monitor)) << "the monitor died with its caller's unit";
  EXPECT_EQ(read_text("/proc/" + std::to_string(monitor) + "/cgroup").find(group),
            std::string::npos)
      << "the monitor is still in the caller's cgroups";
  EXPECT_POT_OK(pot({"stop", name}));
  for (const auto& dir : caller_groups) ::rmdir(dir.c_str());
}

TEST_F(CrashSafetyTest, BadNumbersInPotFilesAreNamed) {
  std::string name = create_pot("numbers");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "true"}));
  fs::path conf = root().jail_dir(name) / "conf" / "pot.conf";
  write_text(conf, read_text(conf) + "pot.rss.cpus=two\n");
  RunResult start = pot({"start", name});
  EXPECT_NE(start.code, 0);
  ASSERT_EQ(start.err_lines().size(), 1U) << start;
  EXPECT_NE(start.err.find("pot.rss.cpus"), std::string::npos) << start;
  EXPECT_NE(start.err.find(conf.string()), std::string::npos) << start;
  EXPECT_NE(start.err.find("`two`"), std::string::npos) << start;
  EXPECT_EQ(root().status(name), "stopped") << "nothing started";

  std::string snapped = create_pot("stray-snap");
  ASSERT_POT_OK(pot({"snapshot", "-p", snapped}));
  fs::create_directory(root().jail_dir(snapped) / "snap" / "junk");
  RunResult revert = pot({"revert", "-p", snapped});
  EXPECT_NE(revert.code, 0);
  ASSERT_EQ(revert.err_lines().size(), 1U) << revert;
  EXPECT_NE(revert.err.find("`junk`"), std::string::npos) << revert;
  fs::remove(root().jail_dir(snapped) / "snap" / "junk");
}

// A service manager may start `pot` with stdin, stdout and stderr closed: the first files
// pot opens must not become the pot's output or the report of its start.
TEST_F(CrashSafetyTest, StartWithClosedStandardDescriptorsWorks) {
  std::string name = create_pot("closed-fds");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sh -c 'echo from-the-pot; sleep 3600'"}));
  RunOptions options;
  options.env = root().env({"POT=" + root().binary()});
  options.timeout_seconds = 30;
  RunResult started = run_process(
      {"sh", "-c", "\"$POT\" start " + name + " <&- >&- 2>&-; echo \"exit $?\""}, options);
  EXPECT_EQ(trim(started.out), "exit 0") << started;
  EXPECT_TRUE(is_running(name));
  fs::path log = root().fs_root() / "run" / (name + ".log");
  EXPECT_TRUE(
      wait_until([&] { return read_text(log).find("from-the-pot") != std::string::npos; }, 5000))
      << "the pot's output reached its log: " << read_text(log);
  EXPECT_POT_OK(pot({"stop", name}));
}

TEST_F(CrashSafetyTest, ConcurrentPrunesBothSucceed) {
  std::vector<std::string> names;
  for (int i = 0; i < 4; ++i) {
    std::string name = create_one_shot("prunable", "true");
    ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "prunable", "-V", "YES"}));
    ASSERT_POT_OK(pot({"start", name}));  // it ran: now to be pruned
    names.push_back(name);
  }
  auto first = root().pot_background({"prune"});
  auto second = root().pot_background({"prune"});
  for (auto* prune : {first.get(), second.get()}) {
    auto code = prune->wait(60000);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << prune->err();
  }
  for (const auto& name : names) expect_nothing_left_of(name);
}

}  // namespace
}  // namespace potit
