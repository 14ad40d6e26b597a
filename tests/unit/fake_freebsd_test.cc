// The fake FreeBSD commands (tests/freebsd/fakes), run through the backend's own runner:
// the FreeBSD backend's tests rely on them answering as the real tools would, so each
// behaviour they promise is checked here once.
#include "fake_freebsd.h"

#include <signal.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"
#include "freebsd/system_command.h"
#include "test_util.h"

namespace pot::testing {
namespace {

using freebsd::CommandResult;
using Call = FakeFreeBSD::Call;

class FakeFreeBSDTest : public ::testing::Test {
 protected:
  std::string root() const { return bsd.fs_root().string(); }

  FakeFreeBSD bsd;
  std::unique_ptr<freebsd::SystemCommands> commands = freebsd::make_system_commands();
};

using FakeFreeBSDZfs = FakeFreeBSDTest;
using FakeFreeBSDJail = FakeFreeBSDTest;
using FakeFreeBSDNetwork = FakeFreeBSDTest;
using FakeFreeBSDFailure = FakeFreeBSDTest;

TEST_F(FakeFreeBSDZfs, CreateInheritsMountpointAndMakesTheDirectory) {
  commands->check(
      {"zfs", "create", "-o", "mountpoint=" + root(), "-o", "canmount=off", "zroot/pot"});
  commands->check({"zfs", "create", "-p", "zroot/pot/jails/web/m"});
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/web"));
  EXPECT_TRUE(fs::is_directory(bsd.fs_root() / "jails/web/m"));
  EXPECT_EQ(
      commands->check({"zfs", "get", "-H", "-o", "value", "mountpoint", "zroot/pot/jails/web/m"}),
      root() + "/jails/web/m\n");
  EXPECT_EQ(commands->check({"zfs", "list", "-H", "-o", "name", "-r", "zroot/pot/jails"}),
            "zroot/pot/jails\nzroot/pot/jails/web\nzroot/pot/jails/web/m\n");

  CommandResult missing = commands->run({"zfs", "list", "-H", "-o", "name", "zroot/pot/jails/db"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "cannot open 'zroot/pot/jails/db': dataset does not exist\n");
  CommandResult orphan = commands->run({"zfs", "create", "zroot/pot/bases/14.1"});
  EXPECT_EQ(orphan.exit_code, 1);
  EXPECT_TRUE(HasText(orphan.err, "parent does not exist"));
}

// Real files through snapshot, rollback, clone, send | receive and destroy.
TEST_F(FakeFreeBSDZfs, SnapshotCloneSendReceiveRoundTrip) {
  commands->check({"zfs", "create", "-o", "mountpoint=" + root(), "zroot/pot"});
  commands->check({"zfs", "create", "-p", "zroot/pot/jails/web/m"});
  write_text(bsd.fs_root() / "jails/web/web.conf", "conf\n");
  write_text(bsd.fs_root() / "jails/web/m/hello", "hello\n");
  commands->check({"zfs", "snapshot", "-r", "zroot/pot/jails/web@1"});
  EXPECT_EQ(commands->check(
                {"zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-r", "zroot/pot/jails/web"}),
            "zroot/pot/jails/web@1\nzroot/pot/jails/web/m@1\n");

  write_text(bsd.fs_root() / "jails/web/m/hello", "changed\n");
  write_text(bsd.fs_root() / "jails/web/m/new", "new\n");
  commands->check({"zfs", "rollback", "zroot/pot/jails/web/m@1"});
  EXPECT_EQ(read_text(bsd.fs_root() / "jails/web/m/hello"), "hello\n");
  EXPECT_FALSE(fs::exists(bsd.fs_root() / "jails/web/m/new"));

  commands->check({"zfs", "create", "zroot/pot/jails/copy"});
  commands->check({"zfs", "clone", "-o", "mountpoint=" + root() + "/jails/copy/m",
                   "zroot/pot/jails/web/m@1", "zroot/pot/jails/copy/m"});
  EXPECT_EQ(read_text(bsd.fs_root() / "jails/copy/m/hello"), "hello\n");
  EXPECT_EQ(
      commands->check({"zfs", "get", "-H", "-o", "value", "origin", "zroot/pot/jails/copy/m"}),
      "zroot/pot/jails/web/m@1\n");

  // The stream goes through our runner, as the backend's export and import will do it.
  std::string stream = commands->check({"zfs", "send", "-R", "zroot/pot/jails/web@1"});
  commands->check({"zfs", "receive", "-x", "encryption", "zroot/pot/jails/imported"}, stream);
  EXPECT_EQ(read_text(bsd.fs_root() / "jails/imported/web.conf"), "conf\n");
  EXPECT_EQ(read_text(bsd.fs_root() / "jails/imported/m/hello"), "hello\n");
  EXPECT_FALSE(
      fs::exists(bsd.fs_root() / "jails/imported/hello"));  // the child's file stays its own
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/imported/m@1"));

  // A snapshot with a clone cannot go without -R; destroy -r of a clone-free tree can.
  EXPECT_EQ(commands->run({"zfs", "destroy", "-r", "zroot/pot/jails/web"}).exit_code, 1);
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/web/m@1"));
  commands->check({"zfs", "destroy", "-r", "zroot/pot/jails/imported"});
  EXPECT_FALSE(bsd.has_dataset("zroot/pot/jails/imported/m"));
  EXPECT_FALSE(fs::exists(bsd.fs_root() / "jails/imported/m/hello"));
}

TEST_F(FakeFreeBSDJail, JexecRunsTheCommandInTheJailPath) {
  commands->check({"zfs", "create", "-o", "mountpoint=" + root(), "zroot/pot"});
  commands->check(
      {"jail", "-c", "name=web", "host.hostname=web.test", "path=" + root(), "persist"});
  EXPECT_TRUE(bsd.has_jail("web"));
  EXPECT_EQ(commands->check({"jls", "-j", "web", "jid", "path"}), "1 " + root() + "\n");
  EXPECT_TRUE(commands->succeeds({"jls", "-j", "web"}));
  EXPECT_FALSE(commands->succeeds({"jls", "-j", "db"}));

  CommandResult result =
      commands->run({"jexec", "web", "/bin/sh", "-c", "pwd; echo oops >&2; exit 3"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.out, root() + "\n");
  EXPECT_EQ(result.err, "oops\n");

  CommandResult missing = commands->run({"jexec", "db", "true"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_EQ(missing.err, "jexec: jail \"db\" not found\n");
}

TEST_F(FakeFreeBSDJail, RemovingTheJailKillsWhatRunsInIt) {
  commands->check({"jail", "-c", "name=web", "path=/", "persist"});
  auto sleeper = std::async(std::launch::async, [] {
    return freebsd::make_system_commands()->run({"jexec", "web", "sleep", "600"});
  });
  // Wait until the fake jexec has recorded its process in the jail.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (bsd.state()["jails"]["web"]["pids"].empty()) {
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "jexec never registered";
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  commands->check({"jail", "-f-", "-q", "-r", "web"}, "web { stop.timeout=10; }\n");
  ASSERT_EQ(sleeper.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(sleeper.get().exit_code, 128 + SIGKILL);
  EXPECT_FALSE(bsd.has_jail("web"));
  EXPECT_FALSE(commands->succeeds({"jls", "-j", "web"}));
}

TEST_F(FakeFreeBSDNetwork, EpairCreateRenameDestroy) {
  EXPECT_EQ(commands->check({"ifconfig", "epair", "create", "descr", "web", "group", "pot"}),
            "epair0a\n");
  EXPECT_TRUE(bsd.has_interface("epair0b"));
  EXPECT_EQ(commands->check({"ifconfig", "epair0a", "name", "p4web"}), "p4web\n");
  EXPECT_EQ(commands->check({"ifconfig", "bridge", "create", "group", "pot"}), "bridge0\n");
  commands->check({"ifconfig", "bridge0", "inet", "10.192.0.1", "netmask", "255.192.0.0"});
  commands->check({"ifconfig", "bridge0", "addm", "p4web"});
  EXPECT_EQ(commands->check({"ifconfig", "-g", "pot"}), "p4web\nbridge0\n");
  std::string bridge = commands->check({"ifconfig", "bridge0"});
  EXPECT_TRUE(HasText(bridge, "\tinet 10.192.0.1 netmask 0xffc00000 broadcast 10.255.255.255\n"));
  EXPECT_TRUE(HasText(bridge, "member: p4web "));

  commands->check({"ifconfig", "p4web", "destroy"});
  EXPECT_FALSE(bsd.has_interface("p4web"));
  EXPECT_FALSE(bsd.has_interface("epair0b"));  // the other side goes with it
  EXPECT_FALSE(HasText(commands->check({"ifconfig", "bridge0"}), "member:"));
  CommandResult gone = commands->run({"ifconfig", "epair0b"});
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_EQ(gone.err, "ifconfig: interface epair0b does not exist\n");
  EXPECT_EQ(commands->check({"ifconfig", "-l"}), "lo0 em0 bridge0\n");
}

TEST_F(FakeFreeBSDNetwork, PfAnchorsLoadListFlush) {
  commands->check({"pfctl", "-f", "/etc/pf.conf"});
  commands->check({"pfctl", "-a", "pot-nat", "-f", "-"},
                  "nat on em0 from 10.192.0.0/10 to any -> (em0:0)\n");
  write_text(bsd.state_dir() / "rdr.conf",
             "rdr pass on em0 proto tcp from any to (em0) port 8080 -> 10.192.0.3 port 80\n");
  commands->check({"pfctl", "-a", "pot-rdr/web", "-f", (bsd.state_dir() / "rdr.conf").string()});
  EXPECT_EQ(commands->check({"pfctl", "-s", "Anchors"}), "  pot-nat\n  pot-rdr\n  pot-rdr/web\n");
  EXPECT_EQ(commands->check({"pfctl", "-a", "pot-rdr", "-s", "Anchors"}), "  pot-rdr/web\n");
  EXPECT_EQ(commands->check({"pfctl", "-a", "pot-rdr/web", "-s", "nat"}),
            "rdr pass on em0 proto tcp from any to (em0) port 8080 -> 10.192.0.3 port 80\n");
  EXPECT_EQ(bsd.anchor_rules("pot-nat"),
            std::vector<std::string>{"nat on em0 from 10.192.0.0/10 to any -> (em0:0)"});

  commands->check({"pfctl", "-a", "pot-rdr/web", "-F", "nat"});
  EXPECT_TRUE(bsd.anchor_rules("pot-rdr/web").empty());
  EXPECT_EQ(commands->check({"pfctl", "-a", "pot-rdr", "-s", "Anchors"}), "");
}

TEST_F(FakeFreeBSDNetwork, MountsAreATable) {
  fs::create_directories(bsd.fs_root() / "base");
  fs::create_directories(bsd.fs_root() / "m/tmp");
  commands->check({"mount_nullfs", "-o", "ro", root() + "/base", root() + "/m"});
  commands->check({"mount", "-t", "tmpfs", "tmpfs", root() + "/m/tmp"});
  ASSERT_EQ(bsd.mounts().size(), 2u);
  EXPECT_EQ(bsd.mounts()[0].type, "nullfs");
  EXPECT_EQ(bsd.mounts()[0].options, std::vector<std::string>{"ro"});
  EXPECT_TRUE(HasText(commands->check({"mount", "-p"}), root() + "/m/tmp\ttmpfs"));
  commands->check({"umount", "-f", root() + "/m/tmp"});
  CommandResult again = commands->run({"umount", root() + "/m/tmp"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_EQ(again.err, "umount: " + root() + "/m/tmp: not a file system root directory\n");
  EXPECT_EQ(bsd.mounts().size(), 1u);
}

TEST_F(FakeFreeBSDFailure, InjectedFailureChangesNothingAndFiresOnce) {
  commands->check({"zfs", "create", "-o", "mountpoint=" + root(), "zroot/pot"});
  bsd.fail_next(
      "zfs create -o * zroot/pot/jails => exit 2 cannot create 'zroot/pot/jails': out of space");
  try {
    commands->check({"zfs", "create", "-o", "compression=off", "zroot/pot/jails"});
    FAIL() << "the injected failure did not fire";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(),
                 "`zfs create -o compression=off zroot/pot/jails` failed: cannot create "
                 "'zroot/pot/jails': out of space");
  }
  EXPECT_FALSE(bsd.has_dataset("zroot/pot/jails"));
  EXPECT_FALSE(fs::exists(bsd.fs_root() / "jails"));
  // Logged all the same, and gone after firing once.
  EXPECT_EQ(bsd.calls().back(),
            (Call{"zfs", "create", "-o", "compression=off", "zroot/pot/jails"}));
  commands->check({"zfs", "create", "-o", "compression=off", "zroot/pot/jails"});
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails"));
}

TEST_F(FakeFreeBSDFailure, WildcardRuleAndCallLog) {
  commands->check({"ifconfig", "epair", "create"});
  bsd.clear_calls();
  bsd.fail_always("ifconfig * destroy => exit 1 ifconfig: interface is gone");
  CommandResult result = commands->run({"ifconfig", "epair0a", "destroy"});
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "ifconfig: interface is gone\n");
  EXPECT_TRUE(bsd.has_interface("epair0a"));
  EXPECT_EQ(commands->run({"ifconfig", "epair0b", "destroy"}).exit_code, 1);
  commands->check({"sysctl", "net.inet.ip.forwarding=1"});
  EXPECT_EQ(bsd.calls(), (std::vector<Call>{{"ifconfig", "epair0a", "destroy"},
                                            {"ifconfig", "epair0b", "destroy"},
                                            {"sysctl", "net.inet.ip.forwarding=1"}}));
  EXPECT_EQ(bsd.calls_of("sysctl").size(), 1u);
}

}  // namespace
}  // namespace pot::testing
