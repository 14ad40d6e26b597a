// What a process inside a pot can see and do, checked from the inside with busybox and
// pot_probe, both for commands run with `pot exec` and for the pot's own command.
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "helpers/require.h"

namespace potit {
namespace {

constexpr const char* kPotCapabilities = "00000000800405fb";

class IsolationTest : public PotTest {
 protected:
  // The tests try to overwrite the binary that runs the pot: let them attack a copy.
  bool private_binary() const override { return true; }

  // A persistent pot running `sleep 3600`, with /probe; started.
  std::string start_pot(const std::string& prefix, const std::vector<std::string>& extra = {}) {
    std::string name = create_pot(prefix, extra);
    copy_probe(name);
    expect_ok(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
    expect_ok(pot({"start", name}));
    return name;
  }

  RunResult exec(const std::string& name, const std::vector<std::string>& argv) {
    std::vector<std::string> args = {"exec", "-p", name};
    args.insert(args.end(), argv.begin(), argv.end());
    return pot(args);
  }

  // A one-shot pot with /probe whose command is `cmd`; returns the run's result.
  RunResult run_as_command(const std::string& prefix, const std::string& cmd) {
    std::string name = create_one_shot(prefix, cmd);
    copy_probe(name);
    return pot({"start", name});
  }

  static std::map<std::string, std::string> status_fields(const std::string& proc_status) {
    std::map<std::string, std::string> fields;
    for (const auto& line : split_lines(proc_status)) {
      size_t colon = line.find(':');
      if (colon != std::string::npos) fields[line.substr(0, colon)] = trim(line.substr(colon + 1));
    }
    return fields;
  }

  static void check_privileges(const std::string& proc_status, const std::string& who) {
    auto fields = status_fields(proc_status);
    EXPECT_EQ(fields["CapEff"], kPotCapabilities) << who;
    EXPECT_EQ(fields["CapPrm"], kPotCapabilities) << who;
    EXPECT_EQ(fields["CapBnd"], kPotCapabilities) << who;
    EXPECT_EQ(fields["CapInh"], "0000000000000000") << who;
    EXPECT_EQ(fields["CapAmb"], "0000000000000000") << who;
    EXPECT_EQ(fields["NoNewPrivs"], "1") << who;
    EXPECT_EQ(fields["Seccomp"], "2") << who << ": a seccomp filter is on";
  }

  // pot_probe's "NAME ok" / "NAME errno=N" lines as NAME -> result.
  static std::map<std::string, std::string> probe_results(const RunResult& r) {
    std::map<std::string, std::string> results;
    for (const auto& line : r.out_lines()) {
      size_t space = line.find(' ');
      if (space != std::string::npos) results[line.substr(0, space)] = line.substr(space + 1);
    }
    return results;
  }

  // `probe SUBCOMMAND` on the host, outside any pot: what the calls give without pot's filter.
  static std::map<std::string, std::string> on_the_host(const std::string& subcommand) {
    return probe_results(
        expect_ok(run_process({probe_binary(), subcommand}, {base_environment(), 60, ""})));
  }

  // Checks that each call in `names` got `want` in the pot. A call that gets the same on the
  // host proves nothing about the pot: it is returned (the test skips on it), never passed.
  static std::vector<std::string> check_denied(
      const RunResult& r, const std::string& who, const std::vector<std::string>& names,
      const std::map<std::string, std::string>& host,
      const std::function<std::string(const std::string&)>& want) {
    auto results = probe_results(r);
    std::vector<std::string> unprovable;
    for (const auto& name : names) {
      EXPECT_TRUE(results.count(name)) << who << ": probe did not report " << name << "\n" << r;
      EXPECT_EQ(results[name], want(name)) << who << ": " << name << " must be denied\n" << r;
      auto on_host = host.find(name);
      EXPECT_NE(on_host, host.end()) << "the host run of probe did not report " << name;
      if (on_host != host.end() && on_host->second == want(name)) unprovable.push_back(name);
    }
    return unprovable;
  }

  // Every call pot_probe makes must be refused: EPERM, or ENOSYS for clone3 (so that libc
  // falls back to clone, whose flags the filter can see).
  static std::vector<std::string> check_syscalls_denied(
      const RunResult& r, const std::string& who, const std::map<std::string, std::string>& host) {
    const std::vector<std::string> expected = {
        "keyctl",      "add_key",         "request_key",   "kexec_load",
        "init_module", "finit_module",    "delete_module", "open_by_handle_at",
        "bpf",         "perf_event_open", "userfaultfd",   "mount",
        "umount2",     "pivot_root",      "unshare",       "unshare_newuser",
        "setns",       "clone",           "clone_newuser", "clone3"};
    return check_denied(r, who, expected, host, [](const std::string& name) {
      return name == "clone3" ? "errno=38" : "errno=1";
    });
  }
};

TEST_F(IsolationTest, SeesOnlyItsOwnProcesses) {
  std::string name = start_pot("pids");
  RunResult ls = exec(name, {"sh", "-c", "ls -d /proc/[0-9]*"});
  ASSERT_POT_OK(ls);
  auto pids = ls.out_lines();
  EXPECT_LE(pids.size(), 5U) << "init, sleep, sh, ls: nothing from the host\n" << ls;
  EXPECT_NE(std::find(pids.begin(), pids.end(), "/proc/1"), pids.end()) << ls;

  RunResult ps = exec(name, {"ps", "-o", "pid,args"});
  ASSERT_POT_OK(ps);
  EXPECT_LE(ps.out_lines().size(), 5U) << ps;
  EXPECT_EQ(ps.out.find("pot_integration_tests"), std::string::npos)
      << "the host's processes are hidden\n"
      << ps;
  EXPECT_NE(ps.out.find("sleep 3600"), std::string::npos) << ps;
  // pid 1 is the pot's init, under a neutral name: the pot must not learn where pot lives
  // on the host (its init is a copy of the `pot` process).
  RunResult one = exec(name, {"cat", "/proc/1/cmdline"});
  ASSERT_POT_OK(one);
  EXPECT_EQ(one.out.substr(0, one.out.find('\0')), "pot-init") << one;
  EXPECT_EQ(one.out.find(root().binary()), std::string::npos) << one;
  EXPECT_EQ(one.out.find("start"), std::string::npos) << one;
  RunResult comm = exec(name, {"cat", "/proc/1/comm"});
  EXPECT_EQ(trim(comm.out), "pot-init") << comm;
}

TEST_F(IsolationTest, RootIsNodevOnlyPotDevHasDevices) {
  // A device node that came with a base or a copy-in must not open a host device.
  for (const char* type : {"single", "multi"}) {
    std::string name = start_pot(std::string("nodev-") + type, {"-t", type});
    RunResult info = exec(name, {"cat", "/proc/self/mountinfo"});
    ASSERT_POT_OK(info);
    bool root_nodev = false;
    for (const auto& line : info.out_lines()) {
      std::istringstream fields(line);
      std::string id, parent, devno, root, mount_point, options;
      fields >> id >> parent >> devno >> root >> mount_point >> options;
      if (mount_point == "/")
        root_nodev = ("," + options + ",").find(",nodev,") != std::string::npos;
    }
    EXPECT_TRUE(root_nodev) << type << "\n" << info.out;
    EXPECT_POT_OK(exec(name, {"sh", "-c", "echo x > /dev/null"})) << type;
  }
}

TEST_F(IsolationTest, HostnameIsThePotName) {
  char host_before[256] = {};
  ::gethostname(host_before, sizeof host_before - 1);
  std::string name = start_pot("host");
  RunResult hostname = exec(name, {"hostname"});
  ASSERT_POT_OK(hostname);
  EXPECT_EQ(hostname.out, name + "\n");
  RunResult hosts = exec(name, {"cat", "/etc/hosts"});
  EXPECT_NE(hosts.out.find(name), std::string::npos) << hosts;

  RunResult set = exec(name, {"hostname", "evil"});
  EXPECT_NE(set.code, 0) << "no CAP_SYS_ADMIN: the pot cannot rename itself\n" << set;
  char host_after[256] = {};
  ::gethostname(host_after, sizeof host_after - 1);
  EXPECT_STREQ(host_before, host_after);
}

TEST_F(IsolationTest, CannotMountOrUnmount) {
  std::string name = start_pot("mnt");
  RunResult mount = exec(name, {"mount", "-t", "tmpfs", "x", "/mnt"});
  EXPECT_NE(mount.code, 0) << mount;
  RunResult remount = exec(name, {"mount", "-o", "remount,rw", "/sys"});
  EXPECT_NE(remount.code, 0) << remount;
  RunResult umount = exec(name, {"umount", "/proc"});
  EXPECT_NE(umount.code, 0) << umount;
  RunResult mounts = exec(name, {"cat", "/proc/mounts"});
  ASSERT_POT_OK(mounts);
  EXPECT_EQ(mounts.out.find(" /mnt "), std::string::npos) << mounts;
  EXPECT_NE(mounts.out.find(" /proc proc "), std::string::npos) << mounts;
}

TEST_F(IsolationTest, ProcSysIsReadOnly) {
  std::string host_hostname = read_text("/proc/sys/kernel/hostname");
  std::string name = start_pot("sysctl");
  RunResult write = exec(name, {"/probe", "write", "/proc/sys/kernel/hostname"});
  EXPECT_NE(write.code, 0) << write;
  EXPECT_EQ(write.out, "open errno=30\n") << "EROFS: /proc/sys is mounted read-only\n" << write;
  RunResult shell = exec(name, {"sh", "-c", "echo evil > /proc/sys/kernel/hostname"});
  EXPECT_NE(shell.code, 0) << shell;
  EXPECT_EQ(read_text("/proc/sys/kernel/hostname"), host_hostname);
  RunResult hostname = exec(name, {"hostname"});
  EXPECT_EQ(hostname.out, name + "\n");
}

TEST_F(IsolationTest, CapabilitiesNoNewPrivsAndSeccomp) {
  std::string name = start_pot("caps");
  RunResult self = exec(name, {"cat", "/proc/self/status"});
  ASSERT_POT_OK(self);
  check_privileges(self.out, "a command run with pot exec");
  RunResult init = exec(name, {"cat", "/proc/1/status"});
  ASSERT_POT_OK(init);
  check_privileges(init.out, "the pot's init");

  RunResult command = run_as_command("caps-cmd", "cat /proc/self/status");
  ASSERT_POT_OK(command);
  check_privileges(command.out, "the pot's command");
}

TEST_F(IsolationTest, DangerousSyscallsAreDenied) {
  auto host = on_the_host("syscalls");
  std::string name = start_pot("sys");
  RunResult exec_probe = exec(name, {"/probe", "syscalls"});
  ASSERT_POT_OK(exec_probe);
  auto unprovable = check_syscalls_denied(exec_probe, "pot exec", host);

  RunResult command = run_as_command("sys-cmd", "/probe syscalls");
  ASSERT_POT_OK(command);
  check_syscalls_denied(command, "the pot's command", host);
  POT_REQUIRE(unprovable.empty(), "the host itself refuses "
                                      << ::testing::PrintToString(unprovable)
                                      << " the same way: the pot's refusal of those proves "
                                         "nothing here");
}

// io_uring's operations run in kernel threads, past the seccomp filter: the pot may not make a
// ring at all, nor use one (EPERM for all three calls, as Docker's default profile does).
TEST_F(IsolationTest, IoUringIsDenied) {
  auto host = on_the_host("io_uring");
  const std::vector<std::string> calls = {"io_uring_setup", "io_uring_enter", "io_uring_register"};
  auto eperm = [](const std::string&) { return std::string("errno=1"); };
  std::string name = start_pot("uring");
  RunResult exec_probe = exec(name, {"/probe", "io_uring"});
  ASSERT_POT_OK(exec_probe);
  auto unprovable = check_denied(exec_probe, "pot exec", calls, host, eperm);

  RunResult command = run_as_command("uring-cmd", "/probe io_uring");
  ASSERT_POT_OK(command);
  check_denied(command, "the pot's command", calls, host, eperm);
  POT_REQUIRE(unprovable.empty(), "the host itself refuses "
                                      << ::testing::PrintToString(unprovable)
                                      << " (kernel.io_uring_disabled?): the pot's refusal of "
                                         "those proves nothing here");
}

TEST_F(IsolationTest, NetworkHasOnlyLoopbackUnlessInherited) {
  std::string name = start_pot("net");
  RunResult dev = exec(name, {"cat", "/proc/net/dev"});
  ASSERT_POT_OK(dev);
  EXPECT_EQ(interfaces_in(dev.out), std::set<std::string>{"lo"}) << dev;

  RunResult command = run_as_command("net-cmd", "cat /proc/net/dev");
  ASSERT_POT_OK(command);
  EXPECT_EQ(interfaces_in(command.out), std::set<std::string>{"lo"}) << command;

  std::set<std::string> host = interfaces_in(read_text("/proc/net/dev"));
  std::string inherit = start_pot("net-inherit", {"-N", "inherit"});
  RunResult shared = exec(inherit, {"cat", "/proc/net/dev"});
  ASSERT_POT_OK(shared);
  EXPECT_EQ(interfaces_in(shared.out), host) << "-N inherit shares the host's network\n" << shared;
}

TEST_F(IsolationTest, KernelFilesMaskedAndSysReadOnly) {
  std::string name = start_pot("mask");
  RunResult kcore = exec(name, {"sh", "-c", "head -c 1 /proc/kcore | wc -c"});
  EXPECT_EQ(trim(kcore.out), "0") << "/proc/kcore reads empty\n" << kcore;
  // Masked files the host's kernel has read empty in the pot.
  for (const char* path :
       {"/proc/keys", "/proc/timer_list", "/proc/interrupts", "/proc/sched_debug"}) {
    if (::access(path, F_OK) != 0 || read_text(path).empty()) continue;
    RunResult masked = exec(name, {"sh", "-c", std::string("cat ") + path + " | wc -c"});
    EXPECT_EQ(trim(masked.out), "0") << path << " is masked\n" << masked;
  }
  RunResult firmware = exec(name, {"ls", "-A", "/sys/firmware"});
  EXPECT_EQ(firmware.out, "") << firmware;

  // A sysfs file root may write on the host (writing "pot-probe" there would only be
  // rejected as an invalid value): in the pot, opening it for writing fails with EROFS.
  std::string writable;
  for (const char* path : {"/sys/kernel/profiling", "/sys/kernel/rcu_expedited",
                           "/sys/kernel/mm/transparent_hugepage/enabled"}) {
    if (::access(path, W_OK) == 0) {
      writable = path;
      break;
    }
  }
  if (!writable.empty()) {
    RunResult sys = exec(name, {"/probe", "write", writable});
    EXPECT_EQ(sys.out, "open errno=30\n") << "/sys is read-only\n" << sys;
  }
  RunResult touch = exec(name, {"touch", "/sys/potit"});
  EXPECT_NE(touch.code, 0) << touch;

  RunResult mounts = exec(name, {"cat", "/proc/mounts"});
  ASSERT_POT_OK(mounts);
  bool sys_ro = false, proc_sys_ro = false, sysrq_ro = false;
  for (const auto& line : mounts.out_lines()) {
    std::istringstream fields(line);
    std::string source, point, type, options;
    fields >> source >> point >> type >> options;
    bool ro = ("," + options + ",").find(",ro,") != std::string::npos;
    if (point == "/sys") sys_ro = ro;
    if (point == "/proc/sys") proc_sys_ro = ro;
    if (point == "/proc/sysrq-trigger") sysrq_ro = ro;
  }
  EXPECT_TRUE(sys_ro) << mounts;
  EXPECT_TRUE(proc_sys_ro) << mounts;
  if (::access("/proc/sysrq-trigger", F_OK) == 0) {
    EXPECT_TRUE(sysrq_ro) << mounts;
  }
}

TEST_F(IsolationTest, PotBinaryCannotBeOverwrittenThroughProcExe) {
  std::string before = sha256_of(root().binary());
  std::string name = start_pot("exe");
  RunResult exec_write = exec(name, {"/probe", "write", "/proc/1/exe"});
  EXPECT_NE(exec_write.code, 0) << exec_write;
  RunResult exec_self =
      exec(name, {"sh", "-c", "/probe write /proc/$PPID/exe; /probe write /proc/1/exe"});
  EXPECT_EQ(exec_self.out.find("write ok"), std::string::npos) << exec_self;

  RunResult command = run_as_command("exe-cmd", "/probe write /proc/1/exe");
  EXPECT_EQ(command.code, 125) << "the write must fail\n" << command;
  EXPECT_EQ(command.out.find("write ok"), std::string::npos) << command;

  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_EQ(sha256_of(root().binary()), before) << "the pot binary on the host was changed";
}

TEST_F(IsolationTest, HostEnvironmentDoesNotLeakIn) {
  std::string name = start_pot("env");
  ASSERT_POT_OK(pot({"set-env", "-p", name, "-E", "POTIT_CONFIGURED=yes"}));
  RunOptions options;
  options.env = root().env({"POTIT_HOST_SECRET=leaked"});
  RunResult exec_env = pot({"exec", "-p", name, "env"}, options);
  ASSERT_POT_OK(exec_env);
  EXPECT_EQ(exec_env.out.find("POTIT_HOST_SECRET"), std::string::npos) << exec_env;
  EXPECT_EQ(exec_env.out.find("POT_FS_ROOT"), std::string::npos) << exec_env;
  EXPECT_NE(exec_env.out.find("POTIT_CONFIGURED=yes"), std::string::npos)
      << "pot.env applies to exec\n"
      << exec_env;
  EXPECT_NE(exec_env.out.find("HOSTNAME=" + name), std::string::npos) << exec_env;

  std::string one_shot = create_one_shot("env-cmd", "env");
  RunResult command = pot({"start", one_shot}, options);
  ASSERT_POT_OK(command);
  EXPECT_EQ(command.out.find("POTIT_HOST_SECRET"), std::string::npos) << command;
  EXPECT_EQ(command.out.find("POT_FS_ROOT"), std::string::npos) << command;
}

TEST_F(IsolationTest, DevHasOnlySafeDevicesAndNoneCanBeMade) {
  std::string name = start_pot("dev");
  RunResult ls = exec(name, {"ls", "/dev"});
  ASSERT_POT_OK(ls);
  std::set<std::string> allowed = {"null", "zero",  "full",   "random", "urandom",
                                   "tty",  "pts",   "ptmx",   "shm",    "mqueue",
                                   "fd",   "stdin", "stdout", "stderr", "console"};
  for (const auto& line : ls.out_lines()) {
    std::istringstream words(line);
    std::string entry;
    while (words >> entry)
      EXPECT_TRUE(allowed.count(entry)) << "/dev/" << entry << " in the pot\n" << ls;
  }
  RunResult mknod = exec(name, {"mknod", "/tmp/disk", "b", "8", "0"});
  EXPECT_NE(mknod.code, 0) << "no CAP_MKNOD\n" << mknod;
  RunResult kmsg = exec(name, {"/probe", "write", "/dev/kmsg"});
  EXPECT_NE(kmsg.code, 0) << kmsg;
}

TEST_F(IsolationTest, CgroupsAndMountsOfTheHostAreHidden) {
  std::string name = start_pot("cg");
  for (const auto& r : {exec(name, {"cat", "/proc/self/cgroup"}),
                        run_as_command("cg-cmd", "cat /proc/self/cgroup")}) {
    ASSERT_POT_OK(r);
    for (const auto& line : r.out_lines()) {
      EXPECT_EQ(line.substr(line.rfind(':') + 1), "/") << "the pot's cgroup is its root\n" << r;
    }
  }
  RunResult mounts = exec(name, {"cat", "/proc/mounts"});
  ASSERT_POT_OK(mounts);
  EXPECT_EQ(mounts.out.find(root().tmp().string()), std::string::npos)
      << "host paths in the pot's mounts\n"
      << mounts;
  for (const auto& line : mounts.out_lines()) {
    std::istringstream fields(line);
    std::string source, point;
    fields >> source >> point;
    bool pot_mount = point == "/" || point.rfind("/proc", 0) == 0 || point.rfind("/sys", 0) == 0 ||
                     point.rfind("/dev", 0) == 0;
    EXPECT_TRUE(pot_mount) << "unexpected mount " << point << " in the pot\n" << mounts;
  }
}

TEST_F(IsolationTest, OnlyStandardFileDescriptorsAreOpen) {
  std::string name = start_pot("fds");
  auto check = [](const RunResult& r, const std::string& who) {
    ASSERT_TRUE(r.ok()) << who << "\n" << r;
    std::set<std::string> fds;
    for (const auto& line : r.out_lines()) {
      std::istringstream words(line);
      std::string word;
      while (words >> word) fds.insert(word);
    }
    for (const char* std_fd : {"0", "1", "2"}) EXPECT_TRUE(fds.count(std_fd)) << who << "\n" << r;
    fds.erase("0");
    fds.erase("1");
    fds.erase("2");
    // ls itself has the directory open while it lists it.
    EXPECT_LE(fds.size(), 1U) << who << ": a descriptor leaked into the pot\n" << r;
  };
  check(exec(name, {"ls", "/proc/self/fd"}), "pot exec");
  check(run_as_command("fds-cmd", "ls /proc/self/fd"), "the pot's command");
}

}  // namespace
}  // namespace potit
