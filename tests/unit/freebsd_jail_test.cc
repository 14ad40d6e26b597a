// The FreeBSD runtime against a scripted command runner: the command lines it builds and
// the order it runs them in, compared with what the original pot runs
// (/work/shared/freebsd-facts.md and the original's share/pot/start.sh, stop.sh).
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "core/error.h"
#include "freebsd/jail_limits.h"
#include "freebsd/jail_params.h"
#include "freebsd/jail_runtime.h"
#include "freebsd/mount_table.h"
#include "freebsd_scripted_commands.h"
#include "test_util.h"

namespace pot {
namespace {

using freebsd::jail_create_argv;
using testing::ScriptedCommands;
using testing::TempDir;
using Strings = std::vector<std::string>;

JailSpec public_bridge_spec(const std::string& root) {
  JailSpec spec;
  spec.name = "web";
  spec.hostname = "web.host";
  spec.root = root;
  spec.argv = {"/usr/local/bin/serve", "--port", "80"};
  spec.env = {"PATH=/bin:/usr/bin", "POT_NAME=web"};
  spec.freebsd.vnet_interface = "epair3b";
  spec.freebsd.osrelease = "14.1-RELEASE";
  return spec;
}

// The whole `jail -c` line of a public-bridge pot with attributes, in the original's order:
// the fixed parameters (facts, start step 5), its attribute table's order for the rest
// (common.sh _POT_JAIL_RW_ATTRIBUTES), then name, hostname, osrelease, path, persist, vnet.
TEST(FreeBsdJailParams, CreateArgvOfAPublicBridgePotFollowsTheOriginalsOrder) {
  JailSpec spec = public_bridge_spec("/opt/pot/jails/web/m");
  spec.freebsd.enabled_attributes = {"mlock", "procfs", "mount", "fdescfs"};
  Strings expected = {"jail",
                      "-c",
                      "allow.set_hostname=false",
                      "allow.raw_sockets",
                      "allow.socket_af",
                      "allow.chflags",
                      "exec.clean",
                      "mount.devfs",
                      "enforce_statfs=2",
                      "allow.mount",
                      "mount.fdescfs",
                      "mount.procfs",
                      "sysvshm=new",
                      "sysvsem=new",
                      "sysvmsg=new",
                      "children.max=0",
                      "allow.mlock",
                      "devfs_ruleset=4",
                      "stop.timeout=10",
                      "name=web",
                      "host.hostname=web.host",
                      "osrelease=14.1-RELEASE",
                      "path=/opt/pot/jails/web/m",
                      "persist",
                      "vnet",
                      "vnet.interface=epair3b"};
  EXPECT_EQ(jail_create_argv(spec, "web", 10), expected);
}

// Without attributes the valued parameters are the facts file's list, word for word.
TEST(FreeBsdJailParams, CreateArgvWithoutAttributesHasTheFactsDefaults) {
  JailSpec spec = public_bridge_spec("/opt/pot/jails/web/m");
  spec.freebsd.osrelease.clear();
  Strings argv = jail_create_argv(spec, "web", 10);
  Strings middle(argv.begin() + 8, argv.begin() + 15);
  EXPECT_EQ(middle, (Strings{"enforce_statfs=2", "sysvshm=new", "sysvsem=new", "sysvmsg=new",
                             "children.max=0", "devfs_ruleset=4", "stop.timeout=10"}));
  EXPECT_EQ(std::count_if(argv.begin(), argv.end(),
                          [](const std::string& a) { return a.rfind("osrelease=", 0) == 0; }),
            0);
}

TEST(FreeBsdJailParams, ValuedAttributesOverrideTheirDefaults) {
  JailSpec spec = public_bridge_spec("/r");
  spec.freebsd.enabled_attributes = {"children=3", "stop_timeout=30",
                                     "exec_stop=sh /etc/rc.shutdown"};
  Strings argv = jail_create_argv(spec, "web", 10);
  for (const char* wanted : {"children.max=3", "stop.timeout=30", "exec.stop=sh /etc/rc.shutdown"})
    EXPECT_NE(std::find(argv.begin(), argv.end(), wanted), argv.end()) << wanted;
  EXPECT_EQ(std::find(argv.begin(), argv.end(), "stop.timeout=10"), argv.end());
}

// alias: `ip4.addr=IF|IP`, jail(8) adds the address (facts, start step 5); inherit: both
// families; no network: an empty stack of its own.
TEST(FreeBsdJailParams, NetworkParametersFollowTheNetworkType) {
  JailSpec alias = public_bridge_spec("/r");
  alias.freebsd.vnet_interface.clear();
  alias.freebsd.ip4_addresses = {"em0|192.168.1.50"};
  alias.freebsd.ip6_addresses = {"em0|fd00::50"};
  Strings argv = jail_create_argv(alias, "web", 10);
  EXPECT_EQ(Strings(argv.end() - 3, argv.end()),
            (Strings{"persist", "ip4.addr=em0|192.168.1.50", "ip6.addr=em0|fd00::50"}));
  EXPECT_FALSE(freebsd::jail_has_vnet(alias));

  JailSpec inherit = alias;
  inherit.freebsd.ip4_addresses.clear();
  inherit.freebsd.ip6_addresses.clear();
  inherit.network = NetworkMode::kInherit;
  argv = jail_create_argv(inherit, "web", 10);
  EXPECT_EQ(Strings(argv.end() - 2, argv.end()), (Strings{"ip4=inherit", "ip6=inherit"}));

  JailSpec none = inherit;
  none.network = NetworkMode::kIsolated;
  argv = jail_create_argv(none, "web", 10);
  EXPECT_EQ(argv.back(), "vnet");
  EXPECT_TRUE(freebsd::jail_has_vnet(none));
}

TEST(FreeBsdJailParams, JailNamesAvoidDotsAndJids) {
  EXPECT_EQ(freebsd::jail_name_for_pot("web"), "web");
  EXPECT_EQ(freebsd::jail_name_for_pot("api.v2"), "api_v2");
  EXPECT_EQ(freebsd::jail_name_for_pot("42"), "pot_42");
}

// The original's stop feeds `NAME { stop.timeout=N; }` to `jail -f- -q -r NAME`.
TEST(FreeBsdJailParams, StopConfigNamesTheTimeout) {
  EXPECT_EQ(freebsd::jail_stop_config("web", 7), "web {\n  stop.timeout=7;\n}\n");
}

TEST(FreeBsdJailParams, JexecRunsTheCommandWithExactlyItsEnvironment) {
  EXPECT_EQ(freebsd::jexec_argv("web", std::nullopt, {"A=1"}, {"ls", "-l"}),
            (Strings{"jexec", "web", "/usr/bin/env", "-i", "A=1", "ls", "-l"}));
  EXPECT_EQ(freebsd::jexec_argv("web", std::string("www:staff"), {}, {"id"}, "/srv"),
            (Strings{"jexec", "-U", "www", "web", "/usr/bin/env", "-i", "/bin/sh", "-c",
                     "cd -- \"$0\" || exit 125; exec \"$@\"", "/srv", "id"}));
}

// The original's _js_rss: `rctl -a jail:NAME:memoryuse:deny=SIZE`, `cpuset -l CPUS -j JID`.
TEST(FreeBsdJailLimits, RctlRulesAndCpuList) {
  EXPECT_EQ(freebsd::rctl_memory_rule("web", 536870912), "jail:web:memoryuse:deny=536870912");
  EXPECT_EQ(freebsd::rctl_pids_rule("web", 64), "jail:web:maxproc:deny=64");
  EXPECT_EQ(freebsd::cpuset_list(2, 8), "0,1");
  EXPECT_EQ(freebsd::cpuset_list(16, 4), "0,1,2,3");
  EXPECT_EQ(freebsd::cpuset_list(0, 4), "0");
}

TEST(FreeBsdJailLimits, RctlUsageBecomesStats) {
  CgroupStats stats = freebsd::stats_from_rctl_usage(
      "cputime=12\ndatasize=4096\nmemoryuse=52428800\nswapuse=0\nmaxproc=3\n");
  EXPECT_EQ(stats.memory_usage, 52428800u);
  EXPECT_EQ(stats.memory_rss, 52428800u);
  EXPECT_EQ(stats.memory_swap, 0u);
  EXPECT_EQ(stats.cpu_total_ns, 12000000000u);
  EXPECT_FALSE(stats.memory_cache);
  EXPECT_FALSE(freebsd::stats_from_rctl_usage("").cpu_total_ns);
}

// The original's _get_os_release: USERLAND_VERSION of the pot's /bin/freebsd-version.
TEST(FreeBsdJailParams, TheOsReleaseIsTheUserlandVersionOfThePot) {
  const std::string script =
      "#!/bin/sh\n#\n# SPDX-License-Identifier: BSD-2-Clause\nset -e\n\n"
      "USERLAND_VERSION=\"14.1-RELEASE-p5\"\n\n: ${ROOT:=}\n";
  EXPECT_EQ(freebsd::userland_version(script), "14.1-RELEASE-p5");
  EXPECT_EQ(freebsd::userland_version("USERLAND_VERSION=13.2-RELEASE\n"), "13.2-RELEASE");
  EXPECT_FALSE(freebsd::userland_version("#!/bin/sh\necho 14.1\n"));
  EXPECT_FALSE(freebsd::userland_version("USERLAND_VERSION=\"14.1 persist\"\n"));
  EXPECT_FALSE(freebsd::userland_version("USERLAND_VERSION=\"\"\n"));
}

const char* const kMountTable =
    "zroot/ROOT/default\t/\tzfs\trw\t0\t0\n"
    "zroot/pot/jails/web/m\t/opt/pot/jails/web/m\tzfs\trw\t0\t0\n"
    "/opt/pot/fscomp/data\t/opt/pot/jails/web/m/my\\040data\tnullfs\tro\t0\t0\n"
    "tmpfs\t/opt/pot/jails/web/m/tmp\ttmpfs\trw\t0\t0\n"
    "devfs\t/opt/pot/jails/web/m/dev\tdevfs\trw\t0\t0\n"
    "devfs\t/opt/pot/jails/webserver/m/dev\tdevfs\trw\t0\t0\n";

TEST(FreeBsdJailMounts, OnlyThePotsOwnMountsAreUndoneInReverse) {
  auto table = freebsd::parse_mount_p(kMountTable);
  ASSERT_EQ(table.size(), 6u);
  EXPECT_EQ(table[2].mount_point, "/opt/pot/jails/web/m/my data");
  Strings undone;
  for (const auto& entry : freebsd::pot_mounts_to_undo(table, "/opt/pot/jails/web/m"))
    undone.push_back(entry.mount_point);
  EXPECT_EQ(undone, (Strings{"/opt/pot/jails/web/m/dev", "/opt/pot/jails/web/m/tmp",
                             "/opt/pot/jails/web/m/my data"}));
}

// A multi pot's root: its base (nullfs) and its own layer (unionfs) on the root itself.
TEST(FreeBsdJailMounts, AMultiPotsLayersOnTheRootAreUndoneTopFirst) {
  auto table = freebsd::parse_mount_p(
      "zroot/pot/jails/mul/upper\t/opt/pot/jails/mul/upper\tzfs\trw\t0\t0\n"
      "/opt/pot/bases/14.1\t/opt/pot/jails/mul/m\tnullfs\tro\t0\t0\n"
      "/opt/pot/jails/mul/upper/root\t/opt/pot/jails/mul/m\tunionfs\trw,noatime\t0\t0\n"
      "tmpfs\t/opt/pot/jails/mul/m/tmp\ttmpfs\trw\t0\t0\n");
  Strings undone;
  for (const auto& entry : freebsd::pot_mounts_to_undo(table, "/opt/pot/jails/mul/m"))
    undone.push_back(entry.fstype + " " + entry.mount_point);
  EXPECT_EQ(undone, (Strings{"tmpfs /opt/pot/jails/mul/m/tmp", "unionfs /opt/pot/jails/mul/m",
                             "nullfs /opt/pot/jails/mul/m"}));
}

// PATH with a directory of fake tools in front, for the test's length.
class PathGuard {
 public:
  explicit PathGuard(const fs::path& dir) : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", (dir.string() + ":" + old_).c_str(), 1);
  }
  PathGuard(const PathGuard&) = delete;
  PathGuard& operator=(const PathGuard&) = delete;
  ~PathGuard() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

// A pot root with an /etc, and a fake `jexec` that writes its argv, one per line, to
// jexec.args and exits 7.
class FreeBsdJailRuntime : public ::testing::Test {
 protected:
  FreeBsdJailRuntime() : path_(dir_ / "bin") {}
  void SetUp() override {
    fs::create_directories(root() / "etc");
    fs::create_directories(dir_ / "bin");
    testing::write_text(dir_ / "bin" / "jexec",
                        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/../jexec.args\"\n"
                        "exit 7\n");
    ::chmod((dir_ / "bin" / "jexec").c_str(), 0755);
    settings_.fs_root = dir_ / "pot";
  }

  fs::path root() const { return dir_ / "pot" / "jails" / "web" / "m"; }
  std::string at(const std::string& rel) const { return (root() / rel).string(); }

  JailSpec spec() const {
    JailSpec spec = public_bridge_spec(root().string());
    spec.persistent = false;
    return spec;
  }

  TempDir dir_;
  PathGuard path_;
  Settings settings_;
  ScriptedCommands commands_;
};

// The original's start order (facts, start steps 1, 5, 6, 7): mounts, `jail -c`, the
// limits (cpuset, then rctl), then the command through jexec; our network hook between the
// limits and the command.
TEST_F(FreeBsdJailRuntime, StartRunsMountsJailLimitsThenTheCommand) {
  JailSpec pot = spec();
  pot.freebsd.fscomp = {"/opt/pot/fscomp/data /data ro"};
  pot.limits.memory_bytes = 536870912;
  pot.limits.pids = 64;
  pot.limits.cpus = 2;
  pot.extra_hosts = {"10.192.0.4 db"};
  commands_.answer("jls -j web jid", 0, "5\n");
  commands_.answer("sysctl -n hw.ncpu", 0, "8\n");
  commands_.answer("sysctl -n kern.racct.enable", 0, "1\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  MonitorHooks hooks;
  size_t calls_when_ready = 0;
  hooks.namespaces_ready = [&](pid_t) { calls_when_ready = commands_.calls.size(); };
  hooks.running = [](const RunningJail&) {};

  CommandExit exit = runtime->run(pot, hooks, PotOutput{});

  EXPECT_EQ(exit.code, 7);
  Strings jail_c = jail_create_argv(pot, "web", settings_.stop_timeout_seconds);
  Strings expected = {
      "mount_nullfs -o ro /opt/pot/fscomp/data " + at("data"),
      "mount -t tmpfs tmpfs " + at("tmp"),
      ScriptedCommands::join(jail_c),
      "jexec web ifconfig lo0 inet 127.0.0.1 up",
      "jls -j web jid",
      "sysctl -n hw.ncpu",
      "cpuset -l 0,1 -j 5",
      "sysctl -n kern.racct.enable",
      "rctl -a jail:web:memoryuse:deny=536870912",
      "rctl -a jail:web:maxproc:deny=64",
  };
  EXPECT_EQ(commands_.commands(), expected);
  EXPECT_EQ(calls_when_ready, expected.size());
  EXPECT_EQ(testing::read_text(dir_ / "jexec.args"),
            "web\n/usr/bin/env\n-i\nPATH=/bin:/usr/bin\nPOT_NAME=web\n/usr/local/bin/serve\n"
            "--port\n80\n");
  EXPECT_EQ(testing::read_text(root() / "etc" / "hosts"),
            "::1 localhost web.host\n127.0.0.1 localhost web.host\n10.192.0.4 db\n");
}

// A failed `jail -c` leaves nothing: the mounts made before it are undone, last first
// (the original's start-cleanup runs its stop, which unmounts).
TEST_F(FreeBsdJailRuntime, FailedJailCreateLeavesNoMountAndNoRule) {
  JailSpec pot = spec();
  pot.freebsd.fscomp = {"/opt/pot/fscomp/data /data ro"};
  pot.limits.memory_bytes = 536870912;
  commands_.answer(ScriptedCommands::join(jail_create_argv(pot, "web", 10)), 1, "",
                   "jail: web: mount.devfs: failed\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  MonitorHooks hooks;
  bool ready = false;
  hooks.namespaces_ready = [&](pid_t) { ready = true; };

  EXPECT_THROW(runtime->run(pot, hooks, PotOutput{}), Error);

  Strings calls = commands_.commands();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(Strings(calls.end() - 2, calls.end()),
            (Strings{"umount -f " + at("tmp"), "umount -f " + at("data")}));
  for (const auto& call : calls) EXPECT_NE(call.rfind("rctl", 0), 0u) << call;
  EXPECT_FALSE(ready);
  EXPECT_FALSE(fs::exists(dir_ / "jexec.args"));
}

// A failure after the jail exists removes the jail, its rules and its mounts, devfs too.
TEST_F(FreeBsdJailRuntime, FailedLimitRemovesJailRulesAndMounts) {
  JailSpec pot = spec();
  pot.limits.memory_bytes = 536870912;
  pot.limits.pids = 64;
  commands_.answer("sysctl -n kern.racct.enable", 0, "1\n");
  commands_.answer("rctl -a jail:web:maxproc:deny=64", 1, "", "rctl: rule failed\n");
  // `jail -r` without a configuration leaves the devfs jail(8) mounted: the undo reads the
  // mount table and unmounts it.
  commands_.answer("mount -p", 0, "devfs\t" + at("dev") + "\tdevfs\trw\t0\t0\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);

  EXPECT_THROW(runtime->run(pot, MonitorHooks{}, PotOutput{}), Error);

  Strings calls = commands_.commands();
  ASSERT_GE(calls.size(), 5u);
  EXPECT_EQ(Strings(calls.end() - 5, calls.end()),
            (Strings{"rctl -r jail:web", "jail -r web", "mount -p", "umount -f " + at("dev"),
                     "umount -f " + at("tmp")}));
}

// After a crash nothing is known but what the host shows: the jail (jls), its rules (rctl)
// and the mounts under its root (mount -p), undone last first as the original's stop.
TEST_F(FreeBsdJailRuntime, RemoveAfterACrashUndoesWhatTheHostShows) {
  std::string r = root().string();
  commands_.answer("jls -j web path", 0, r + "\n");
  commands_.answer("rctl jail:web", 0, "jail:web:memoryuse:deny=536870912\n");
  commands_.answer("mount -p", 0,
                   "zroot/pot/jails/web/m\t" + r + "\tzfs\trw\t0\t0\n" + "/opt/pot/fscomp/data\t" +
                       r + "/data\tnullfs\tro\t0\t0\n" + "zroot/pot/jails/web/usr.local\t" + r +
                       "/usr/local\tzfs\trw\t0\t0\n" + "devfs\t" + r + "/dev\tdevfs\trw\t0\t0\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  JailHandle handle{"web", "web", "jail", -1, 0, true};
  EXPECT_TRUE(runtime->has_leftovers(handle));
  commands_.calls.clear();

  runtime->remove(handle);

  std::string jail_dir = (dir_ / "pot" / "jails" / "web").string();
  EXPECT_EQ(commands_.commands(),
            (Strings{"jls -j web path", "jail -r web", "rctl jail:web", "rctl -r jail:web",
                     "mount -p", "umount -f " + r + "/dev",
                     "zfs set mountpoint=" + jail_dir + "/usr.local zroot/pot/jails/web/usr.local",
                     "umount -f " + r + "/data"}));
}

TEST_F(FreeBsdJailRuntime, NothingLeftWhenTheHostShowsNothing) {
  commands_.answer("jls -j web", 1, "", "jls: jail \"web\" not found\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  EXPECT_FALSE(runtime->has_leftovers(JailHandle{"web", "web", "jail", -1, 0, true}));
}

// The original's stop: `jail -f- -q -r NAME` fed `NAME { stop.timeout=N; }`.
TEST_F(FreeBsdJailRuntime, GracefulStopGivesJailTheTimeout) {
  commands_.answer("jls -j web path", 0, root().string() + "\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  runtime->stop(JailHandle{"web", "web", "jail", -1, 0, true}, /*graceful=*/true, 7);
  ASSERT_EQ(commands_.calls.size(), 2u);
  EXPECT_EQ(commands_.calls[1].argv, (Strings{"jail", "-f", "-", "-q", "-r", "web"}));
  EXPECT_EQ(commands_.calls[1].input, "web {\n  stop.timeout=7;\n}\n");
}

// `web.1` and `web_1` share the jail name web_1: a stop or cleanup of one never touches the
// jail (or the rctl rules) of the other, whose path is another root.
TEST_F(FreeBsdJailRuntime, AJailOfTheSameNameButAnotherRootIsLeftAlone) {
  commands_.answer("jls -j web_1 path", 0, (settings_.fs_root / "jails" / "web_1" / "m").string());
  commands_.answer("rctl jail:web_1", 0, "jail:web_1:memoryuse:deny=536870912\n");
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  JailHandle dotted{"web.1", runtime->group_name("", "web.1"), "jail", -1, 0, true};
  ASSERT_EQ(dotted.group, "web_1");
  EXPECT_FALSE(runtime->has_leftovers(dotted));
  runtime->stop(dotted, /*graceful=*/false, 1);
  runtime->remove(dotted);
  for (const auto& call : commands_.calls) {
    EXPECT_NE(call.argv[0], "jail") << call.argv[1];
    EXPECT_FALSE(call.argv[0] == "rctl" && call.argv.size() > 1 && call.argv[1] == "-r");
  }
}

// A persistent pot outlives its command, as the jail does: the monitor's run ends at the
// stop, with the command's exit code.
TEST_F(FreeBsdJailRuntime, PersistentPotRunsUntilStopped) {
  JailSpec pot = spec();
  pot.persistent = true;
  auto runtime = freebsd::make_jail_runtime(settings_, commands_);
  std::mutex mutex;
  std::condition_variable changed;
  std::optional<JailHandle> handle;
  bool finished = false;
  MonitorHooks hooks;
  hooks.running = [&](const RunningJail& running) {
    std::lock_guard<std::mutex> lock(mutex);
    handle = JailHandle{"web", "web", "jail", running.init_pid, running.init_start_time, true};
    changed.notify_all();
  };
  CommandExit exit;
  std::thread monitor([&] {
    exit = runtime->run(pot, hooks, PotOutput{});
    std::lock_guard<std::mutex> lock(mutex);
    finished = true;
    changed.notify_all();
  });
  {
    std::unique_lock<std::mutex> lock(mutex);
    changed.wait(lock, [&] { return handle.has_value(); });
  }
  // The command has ended (jexec.args written, exit 7); the run goes on.
  for (int i = 0; i < 500 && !fs::exists(dir_ / "jexec.args"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  {
    std::unique_lock<std::mutex> lock(mutex);
    EXPECT_FALSE(changed.wait_for(lock, std::chrono::milliseconds(200), [&] { return finished; }));
  }
  commands_.answer("jls -j web", 1);
  runtime->stop(*handle, /*graceful=*/true, 5);
  monitor.join();
  EXPECT_EQ(exit.code, 7);
}

}  // namespace
}  // namespace pot
