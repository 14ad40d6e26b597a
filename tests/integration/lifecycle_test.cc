// The life of a pot as a user drives it: start (one-shot and persistent), exec, stop,
// destroy, dependencies, clone, rename, snapshot and revert, signal, de-init. Run on both
// storage backends (btrfs and dir). StartRaceTest, at the end, starts quick commands under
// CPU load.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include "harness.h"

namespace potit {
namespace {

class LifecycleTest : public StoragePotTest {
 protected:
  // A persistent pot serving `page` as / on port 8080 with busybox httpd; started.
  std::string start_httpd_pot(const std::string& prefix, std::string* page_out = nullptr) {
    std::string name = create_pot(prefix);
    std::string page = "<h1>the page of " + name + "</h1>\n";
    fs::path index = host_file(name + ".html", page);
    expect_ok(pot({"copy-in", "-p", name, "-s", index.string(), "-d", "/var/www/index.html"}));
    expect_ok(pot({"set-cmd", "-p", name, "-c", "httpd -f -p 8080 -h /var/www"}));
    RunResult start = pot({"start", name});
    expect_ok(start);
    if (start.output_held_open)
      throw StepFailed("pot start left its stdout/stderr open:\n" + start.describe());
    if (page_out != nullptr) *page_out = page;
    return name;
  }

  // `pot exec -p NAME wget -qO- http://127.0.0.1:8080/`, retried while httpd comes up.
  RunResult fetch_page(const std::string& name) {
    RunResult r;
    wait_until(
        [&] {
          r = pot({"exec", "-p", name, "wget", "-qO-", "http://127.0.0.1:8080/"});
          return r.ok();
        },
        5000, 100);
    return r;
  }

  std::string last_run_stats(const std::string& name) {
    return trim(expect_ok(pot({"last-run-stats", "-p", name})).out);
  }

  // Runs the one-shot pot's command `cat /data.txt` and returns what it printed.
  std::string read_data(const std::string& name) {
    RunResult r = pot({"start", name});
    if (!r.ok()) throw StepFailed("reading /data.txt in " + name + ":\n" + r.describe());
    return r.out;
  }

  void copy_data(const std::string& name, const std::string& content,
                 const std::string& dest = "/data.txt") {
    fs::path file = host_file(unique_name("data"), content);
    expect_ok(pot({"copy-in", "-p", name, "-s", file.string(), "-d", dest}));
  }

  void check_snapshot_revert(const std::string& type);
  void check_clone_rename(const std::string& type);
};

TEST_P(LifecycleTest, NonPersistentTrueExitsZero) {
  std::string name = create_one_shot("true", "/bin/true");
  EXPECT_EQ(last_run_stats(name), "{}") << "before any run";

  RunResult start = pot({"start", name});
  EXPECT_EQ(start.code, 0) << start;
  EXPECT_FALSE(start.output_held_open) << start;
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":0,"Signal":0,"OOMKilled":false})");
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_FALSE(is_running(name));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "a finished one-shot pot keeps no cgroup";

  // `pot start -p NAME` is the same as `pot start NAME`.
  EXPECT_POT_OK(pot({"start", "-p", name}));
}

TEST_P(LifecycleTest, FailingCommandExitCodeAndOutputPassThrough) {
  std::string name =
      create_one_shot("fail", "sh -c 'echo out-of-the-pot; echo err-of-the-pot >&2; exit 3'");
  RunResult start = pot({"start", name});
  EXPECT_EQ(start.code, 125) << "a failing command makes `pot start` exit 125\n" << start;
  EXPECT_EQ(start.out, "out-of-the-pot\n") << start;
  EXPECT_NE(start.err.find("err-of-the-pot"), std::string::npos) << start;
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":3,"Signal":0,"OOMKilled":false})");
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_P(LifecycleTest, PersistentHttpdServesExecsAndStops) {
  std::string page;
  std::string name = start_httpd_pot("web", &page);

  EXPECT_EQ(root().status(name), "started");
  RunResult ls = pot({"ls", "-q"});
  EXPECT_POT_OK(ls);
  EXPECT_NE(("\n" + ls.out).find("\n" + name + "\n"), std::string::npos) << ls;
  RunResult info = pot({"info", "-p", name});
  EXPECT_POT_OK(info);
  EXPECT_NE(info.out.find("active : true"), std::string::npos) << info;
  EXPECT_EQ(pot({"info", "-r", "-p", name}).code, 0);
  EXPECT_FALSE(root().pot_cgroup_dirs(name).empty())
      << "a running pot has its cgroup pot-" << root().root_tag() << "/" << name;

  RunResult wget = fetch_page(name);
  EXPECT_POT_OK(wget);
  EXPECT_EQ(wget.out, page);

  RunResult seven = pot({"exec", "-p", name, "sh", "-c", "exit 7"});
  EXPECT_EQ(seven.code, 7) << "exec passes the command's exit code through\n" << seven;

  RunResult env =
      pot({"exec", "-p", name, "-e", "POTIT_VAR=some value", "sh", "-c", "echo \"$POTIT_VAR\""});
  EXPECT_POT_OK(env);
  EXPECT_EQ(env.out, "some value\n");

  RunResult again = pot({"start", name});
  EXPECT_NE(again.code, 0) << again;
  EXPECT_EQ(again.err_lines().size(), 1U) << "one line of error\n" << again;
  EXPECT_TRUE(is_running(name)) << "a refused second start leaves the pot running";
  EXPECT_POT_OK(fetch_page(name));

  RunResult stop = pot({"stop", name});
  EXPECT_POT_OK(stop);
  EXPECT_EQ(root().status(name), "stopped");
  EXPECT_FALSE(is_running(name));
  info = pot({"info", "-p", name});
  EXPECT_NE(info.out.find("active : false"), std::string::npos) << info;
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "stop removes the pot's cgroup";

  RunResult stop_again = pot({"stop", name});
  EXPECT_NE(stop_again.code, 0) << "stopping a stopped pot fails\n" << stop_again;
  EXPECT_EQ(stop_again.err_lines().size(), 1U) << stop_again;

  RunResult exec_stopped = pot({"exec", "-p", name, "true"});
  EXPECT_NE(exec_stopped.code, 0) << exec_stopped;
  EXPECT_EQ(exec_stopped.err_lines().size(), 1U) << exec_stopped;
}

TEST_P(LifecycleTest, ConfigurationReachesThePot) {
  std::string name =
      create_one_shot("conf", "sh -c 'echo \"A=$POTIT_A B=$POTIT_B\"; cat /etc/hosts; hostname'");
  ASSERT_POT_OK(pot({"set-env", "-p", name, "-E", "POTIT_A=one", "-E", "POTIT_B=two words"}));
  ASSERT_POT_OK(pot({"set-hosts", "-p", name, "-H", "db:10.1.2.3", "-H", "cache:10.1.2.4"}));
  ASSERT_POT_OK(pot({"export-ports", "-p", name, "-e", "tcp:8080:18080"}));
  RunResult start = pot({"start", name});
  ASSERT_POT_OK(start);
  EXPECT_EQ(start.out_lines().at(0), "A=one B=two words") << start;
  EXPECT_NE(start.out.find("10.1.2.3 db"), std::string::npos) << start;
  EXPECT_NE(start.out.find("10.1.2.4 cache"), std::string::npos) << start;
  EXPECT_EQ(start.out_lines().back(), name) << start;
  RunResult info = pot({"info", "-p", name});
  EXPECT_NE(info.out.find("tcp:8080:18080"), std::string::npos) << info;
  RunResult attr = pot({"get-attr", "-p", name, "-A", "persistent", "-q"});
  EXPECT_EQ(attr.out, "NO\n") << attr;

  // set-env replaces the environment.
  ASSERT_POT_OK(pot({"set-env", "-p", name, "-E", "POTIT_B=only"}));
  start = pot({"start", name});
  EXPECT_EQ(start.out_lines().at(0), "A= B=only") << start;
}

TEST_P(LifecycleTest, DestroyRunningNeedsForce) {
  std::string name = create_pot("busy");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 600"}));
  ASSERT_POT_OK(pot({"start", name}));
  pid_t init = static_cast<pid_t>(std::stol(root().state(name)["init_pid"]));

  RunResult refused = pot({"destroy", "-p", name});
  EXPECT_NE(refused.code, 0) << refused;
  EXPECT_EQ(refused.err_lines().size(), 1U) << refused;
  EXPECT_TRUE(is_running(name));
  EXPECT_TRUE(fs::exists(root().jail_dir(name)));

  RunResult forced = pot({"destroy", "-F", "-p", name});
  EXPECT_POT_OK(forced);
  EXPECT_EQ(pot({"info", "-q", "-p", name}).code, 1) << "the pot is gone";
  EXPECT_EQ(pot({"ls", "-q"}).out.find(name), std::string::npos);
  EXPECT_FALSE(fs::exists(root().jail_dir(name)));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
  EXPECT_TRUE(wait_until([&] { return !process_running(init); }, 5000))
      << "the pot's init still runs";
}

TEST_P(LifecycleTest, StartingAPotStartsItsDependency) {
  std::string dep = create_pot("dep");
  std::string app = create_pot("app");
  ASSERT_POT_OK(pot({"set-cmd", "-p", app, "-c", "sleep 600"}));
  ASSERT_POT_OK(pot({"add-dep", "-p", app, "-P", dep}));
  EXPECT_FALSE(is_running(dep));

  ASSERT_POT_OK(pot({"start", app}));
  EXPECT_TRUE(is_running(app));
  EXPECT_TRUE(is_running(dep)) << "pot.depend: the dependency was started first";

  EXPECT_POT_OK(pot({"stop", app}));
  EXPECT_POT_OK(pot({"stop", dep}));
  EXPECT_TRUE(root().pot_cgroup_dirs(dep).empty());
  EXPECT_TRUE(root().pot_cgroup_dirs(app).empty());
}

TEST_P(LifecycleTest, PersistentPotWithoutCommandStaysUpUntilStopped) {
  std::string name = create_pot("idle");
  RunResult start = pot({"start", name});
  ASSERT_POT_OK(start);
  EXPECT_FALSE(start.output_held_open) << start;
  EXPECT_FALSE(wait_until([&] { return !is_running(name); }, 700, 100))
      << "the pot went down by itself";
  EXPECT_POT_OK(pot({"exec", "-p", name, "true"}));
  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_FALSE(is_running(name));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_P(LifecycleTest, SignalTermStopsPersistentHttpd) {
  std::string name = start_httpd_pot("sig");
  ASSERT_POT_OK(fetch_page(name));
  RunResult signal = pot({"signal", "-p", name, "-s", "TERM"});
  EXPECT_POT_OK(signal);
  EXPECT_TRUE(wait_until([&] { return !is_running(name); }, 10000, 50))
      << "still running after SIGTERM";
  // The monitor notices the end and cleans up on its own.
  EXPECT_TRUE(wait_until([&] { return root().status(name) == "stopped"; }, 10000, 50))
      << "status is still " << root().status(name);
  EXPECT_TRUE(wait_until([&] { return root().pot_cgroup_dirs(name).empty(); }, 10000, 50))
      << "the monitor left the cgroup";
  EXPECT_EQ(last_run_stats(name), R"({"ExitCode":143,"Signal":15,"OOMKilled":false})")
      << "httpd ended by SIGTERM";

  RunResult signal_stopped = pot({"signal", "-p", name, "-s", "TERM"});
  EXPECT_NE(signal_stopped.code, 0) << signal_stopped;
  EXPECT_EQ(signal_stopped.err_lines().size(), 1U) << signal_stopped;
}

void LifecycleTest::check_snapshot_revert(const std::string& type) {
  std::string name = create_one_shot("snap-" + type, "cat /data.txt", {"-t", type});
  copy_data(name, "version-1\n");
  ASSERT_EQ(read_data(name), "version-1\n");

  RunResult snapshot = pot({"snapshot", "-p", name});
  ASSERT_POT_OK(snapshot);
  std::string id = trim(snapshot.out);
  EXPECT_FALSE(id.empty()) << snapshot;
  RunResult list = pot({"info", "-s", "-p", name});
  EXPECT_POT_OK(list);
  EXPECT_EQ(trim(list.out), id);

  copy_data(name, "version-2\n");
  copy_data(name, "extra\n", "/extra.txt");
  ASSERT_EQ(read_data(name), "version-2\n");

  ASSERT_POT_OK(pot({"revert", "-p", name}));
  EXPECT_EQ(read_data(name), "version-1\n") << "revert brings the snapshot's file back";
  RunResult extra = run_once(name, "cat /extra.txt");
  EXPECT_EQ(extra.code, 125) << "a file made after the snapshot is gone after revert\n" << extra;
  EXPECT_POT_OK(pot({"info", "-p", name}));
}

TEST_P(LifecycleTest, SnapshotRevertSingle) {
  check_snapshot_revert("single");
}
TEST_P(LifecycleTest, SnapshotRevertMulti) {
  check_snapshot_revert("multi");
}

void LifecycleTest::check_clone_rename(const std::string& type) {
  std::string source = create_one_shot("src-" + type, "cat /data.txt", {"-t", type});
  copy_data(source, "from-the-source\n");

  std::string clone = unique_name("clone-" + type);
  track(clone);
  ASSERT_POT_OK(pot({"clone", "-P", source, "-p", clone}));
  EXPECT_EQ(read_data(clone), "from-the-source\n") << "the clone has the source's files";
  RunResult hostname = run_once(clone, "hostname");
  EXPECT_EQ(hostname.out, clone + "\n") << "the clone has its own hostname\n" << hostname;
  ASSERT_POT_OK(pot({"set-cmd", "-p", clone, "-c", "cat /data.txt"}));

  copy_data(clone, "changed-in-the-clone\n");
  EXPECT_EQ(read_data(clone), "changed-in-the-clone\n");
  EXPECT_EQ(read_data(source), "from-the-source\n") << "changing the clone leaves the source alone";

  std::string renamed = unique_name("renamed-" + type);
  track(renamed);
  ASSERT_POT_OK(pot({"rename", "-p", clone, "-n", renamed}));
  RunResult ls = pot({"ls", "-q"});
  EXPECT_NE(("\n" + ls.out).find("\n" + renamed + "\n"), std::string::npos) << ls;
  EXPECT_EQ(("\n" + ls.out).find("\n" + clone + "\n"), std::string::npos) << ls;
  EXPECT_EQ(pot({"info", "-q", "-p", clone}).code, 1);
  EXPECT_EQ(read_data(renamed), "changed-in-the-clone\n");

  RunResult taken = pot({"rename", "-p", renamed, "-n", source});
  EXPECT_NE(taken.code, 0) << "renaming onto an existing pot fails\n" << taken;
  EXPECT_EQ(taken.err_lines().size(), 1U) << taken;
  EXPECT_EQ(read_data(source), "from-the-source\n");
}

TEST_P(LifecycleTest, CloneAndRenameSingle) {
  check_clone_rename("single");
}
TEST_P(LifecycleTest, CloneAndRenameMulti) {
  check_clone_rename("multi");
}

TEST_P(LifecycleTest, RunningPotCannotBeRenamedOrSnapshotted) {
  std::string name = create_pot("up");
  ASSERT_POT_OK(pot({"start", name}));
  std::string other = unique_name("up-renamed");
  track(other);
  RunResult rename = pot({"rename", "-p", name, "-n", other});
  EXPECT_NE(rename.code, 0) << rename;
  EXPECT_EQ(rename.err_lines().size(), 1U) << rename;
  EXPECT_TRUE(is_running(name));
  RunResult snapshot = pot({"snapshot", "-p", name});
  EXPECT_NE(snapshot.code, 0) << snapshot;
  EXPECT_EQ(snapshot.err_lines().size(), 1U) << snapshot;
  EXPECT_POT_OK(pot({"stop", name}));
}

TEST_P(LifecycleTest, DependencyCycleIsRefused) {
  std::string a = create_pot("cycle-a");
  std::string b = create_pot("cycle-b");
  ASSERT_POT_OK(pot({"add-dep", "-p", a, "-P", b}));
  ASSERT_POT_OK(pot({"add-dep", "-p", b, "-P", a}));
  RunResult self = pot({"add-dep", "-p", a, "-P", a});
  EXPECT_NE(self.code, 0) << self;
  EXPECT_EQ(self.err_lines().size(), 1U) << self;

  RunResult start = pot({"start", a});
  EXPECT_NE(start.code, 0) << start;
  EXPECT_EQ(start.err_lines().size(), 1U) << start;
  EXPECT_FALSE(start.timed_out);
  EXPECT_FALSE(is_running(a));
  EXPECT_FALSE(is_running(b));
  EXPECT_TRUE(root().pot_cgroup_dirs(a).empty());
  EXPECT_TRUE(root().pot_cgroup_dirs(b).empty());
}

TEST_P(LifecycleTest, StopKillsACommandThatIgnoresTerm) {
  std::string name = create_pot("stubborn");
  ASSERT_POT_OK(
      pot({"set-cmd", "-p", name, "-c", "sh -c 'trap \"\" TERM; while true; do sleep 1; done'"}));
  ASSERT_POT_OK(pot({"start", name}));
  pid_t init = static_cast<pid_t>(std::stol(root().state(name)["init_pid"]));
  RunOptions options;
  options.env = root().env({"POT_STOP_TIMEOUT=1"});
  RunResult stop = pot({"stop", name}, options);
  EXPECT_POT_OK(stop);
  EXPECT_LT(stop.seconds, 8) << "POT_STOP_TIMEOUT=1: SIGKILL after a second";
  EXPECT_FALSE(process_running(init));
  EXPECT_FALSE(is_running(name));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

// `pot de-init` with pots running, snapshotted and of both types: afterwards the host has
// nothing left of the root (no mount, loop device, cgroup or file). A few rounds, because
// what de-init stops (the pots' monitors) may still be finishing while it removes things.
TEST_P(LifecycleTest, DeInitStopsEverythingAndLeavesNothing) {
  for (int round = 0; round < 5 && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    PotRoot own(RootOptions{GetParam(), false, {}});
    own.init_with_base();
    std::vector<pid_t> inits;
    for (const char* type : {"single", "multi"}) {
      std::string name = std::string("deinit-") + type;
      ASSERT_POT_OK(own.pot({"create", "-p", name, "-b", "bb", "-t", type}));
      ASSERT_POT_OK(own.pot({"snapshot", "-p", name}));
      ASSERT_POT_OK(own.pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
      ASSERT_POT_OK(own.pot({"start", name}));
      inits.push_back(static_cast<pid_t>(std::stol(own.state(name)["init_pid"])));
    }
    ASSERT_POT_OK(own.pot({"create", "-p", "deinit-stopped", "-b", "bb"}));
    EXPECT_FALSE(own.root_cgroup_dirs().empty());

    RunResult deinit = own.pot({"de-init"});
    EXPECT_POT_OK(deinit);
    for (pid_t init : inits)
      EXPECT_FALSE(process_running(init)) << "pot init " << init << " survived de-init";
    EXPECT_FALSE(fs::exists(own.fs_root())) << "de-init leaves no POT_FS_ROOT";
    EXPECT_TRUE(mounts_under(own.tmp()).empty());
    for (const auto& problem : own.teardown()) ADD_FAILURE() << problem;
  }
}

// Destroying a running pot removes everything pot keeps for it: its jail directory and its
// run/ files (state, log, lock), also once its monitor has finished. A few rounds, because
// the monitor finishes concurrently with the destroy.
TEST_P(LifecycleTest, DestroyOfARunningPotLeavesNoFilesBehind) {
  std::vector<std::string> names;
  for (int round = 0; round < 15; ++round) {
    std::string name = create_pot("gone");
    names.push_back(name);
    ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
    ASSERT_POT_OK(pot({"start", name}));
    ASSERT_POT_OK(pot({"destroy", "-F", "-p", name}));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the monitors finish
  std::set<std::string> run = dir_entries(root().fs_root() / "run");
  std::set<std::string> jails = dir_entries(root().fs_root() / "jails");
  for (const auto& name : names) {
    for (const char* suffix : {".lock", ".state", ".log"}) {
      EXPECT_FALSE(run.count(name + suffix))
          << "run/" << name << suffix << " is left after pot destroy";
    }
    EXPECT_FALSE(jails.count(name)) << "jails/" << name << " is left after pot destroy";
  }
}

INSTANTIATE_TEST_SUITE_P(Storage, LifecycleTest, StorageBackends(), StorageName);

// A command that ends at once races `pot start` reading the state of the pot's init. Load
// the CPUs so that the race shows, and start such pots many times: every start must
// report the command's real exit code.
class StartRaceTest : public PotTest {};

class CpuLoad {
 public:
  CpuLoad() {
    unsigned n = std::max(2U, 2 * std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        unsigned long spin = 0;
        while (!stop_.load(std::memory_order_relaxed)) asm volatile("" : "+r"(spin));
      });
    }
  }
  ~CpuLoad() {
    stop_ = true;
    for (auto& t : threads_) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::vector<std::thread> threads_;
};

TEST_F(StartRaceTest, QuickCommandsStartReliablyUnderCpuLoad) {
  std::string ok = create_one_shot("quick-ok", "/bin/true");
  std::string fail = create_one_shot("quick-fail", "/bin/false");
  std::string persistent = create_pot("quick-persistent");
  ASSERT_POT_OK(pot({"set-cmd", "-p", persistent, "-c", "/bin/true"}));
  CpuLoad load;
  int bad = 0;
  for (int i = 0; i < 20 && bad < 3; ++i) {
    RunResult r = pot({"start", ok});
    if (r.code != 0 || trim(pot({"last-run-stats", "-p", ok}).out) !=
                           R"({"ExitCode":0,"Signal":0,"OOMKilled":false})") {
      ++bad;
      ADD_FAILURE() << "run " << i << " of /bin/true:\n" << r;
    }
    r = pot({"start", fail});
    if (r.code != 125 || trim(pot({"last-run-stats", "-p", fail}).out) !=
                             R"({"ExitCode":1,"Signal":0,"OOMKilled":false})") {
      ++bad;
      ADD_FAILURE() << "run " << i << " of /bin/false:\n" << r;
    }
  }
  // A persistent pot outlives its command, as a persistent jail does, until it is stopped.
  for (int i = 0; i < 5 && bad < 3; ++i) {
    RunResult r = pot({"start", persistent});
    if (!r.ok()) {
      ++bad;
      ADD_FAILURE() << "persistent start " << i << " of /bin/true:\n" << r;
    }
    EXPECT_TRUE(is_running(persistent)) << "run " << i;
    EXPECT_POT_OK(pot({"stop", persistent}));
    EXPECT_EQ(root().status(persistent), "stopped");
  }
  EXPECT_TRUE(root().pot_cgroup_dirs(ok).empty());
  EXPECT_TRUE(root().pot_cgroup_dirs(fail).empty());
  EXPECT_TRUE(wait_until([&] { return root().pot_cgroup_dirs(persistent).empty(); }, 10000));
}

}  // namespace
}  // namespace potit
