// The pot commands on the FreeBSD platform, checked call by call against what the original
// pot runs for the same operation (bsdpot/pot share/pot/*.sh, summarised in the shared
// freebsd-facts.md). Where we differ on purpose the test asserts our calls and says why.
// The network types and exported ports are in freebsd_net_test.cc, failures in
// freebsd_failure_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "freebsd_host.h"

namespace pot::testing {
namespace {

using Calls = std::vector<FreeBsdHost::CallPattern>;

// jail(8)'s fixed parameters, in the original's order (share/pot/start.sh _js_start: the
// allow/exec/mount ones, then the attribute table's defaults enforce_statfs ... stop.timeout).
Calls::value_type jail_create_head() {
  return {"jail",
          "-c",
          "allow.set_hostname=false",
          "allow.raw_sockets",
          "allow.socket_af",
          "allow.chflags",
          "exec.clean",
          "mount.devfs",
          "enforce_statfs=2",
          "sysvshm=new",
          "sysvsem=new",
          "sysvmsg=new",
          "children.max=0",
          "devfs_ruleset=4",
          "stop.timeout=10"};
}

Calls::value_type with(Calls::value_type call, const std::vector<std::string>& more) {
  call.insert(call.end(), more.begin(), more.end());
  return call;
}

std::string pot_root(const FreeBsdHost& bsd, const std::string& pot) {
  return (bsd.fs_root() / "jails" / pot / "m").string();
}

// share/pot/init.sh: the root with its properties, then bases, jails, fscomp and the cache
// dataset mounted at POT_CACHE.
TEST(FreeBsdCli, InitCreatesTheOriginalsDatasetsInItsOrder) {
  FreeBsdHost bsd;
  PotRun init = bsd.pot({"init"});
  ASSERT_TRUE(init.ok()) << init.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"zfs", "create", "-o", "mountpoint=" + bsd.fs_root().string(), "-o", "canmount=off", "-o",
       "compression=lz4", "-o", "atime=off", "zroot/pot"},
      {"zfs", "create", "zroot/pot/bases"},
      {"zfs", "create", "zroot/pot/jails"},
      {"zfs", "create", "zroot/pot/fscomp"},
      {"zfs", "create", "-o", "mountpoint=" + bsd.cache_dir().string(), "-o", "compression=off",
       "zroot/pot/cache"},
  }));
  for (const char* dataset :
       {"zroot/pot", "zroot/pot/bases", "zroot/pot/jails", "zroot/pot/fscomp", "zroot/pot/cache"})
    EXPECT_TRUE(bsd.has_dataset(dataset)) << dataset;

  // init.sh checks each dataset first (_zfs_exist): a second init creates nothing.
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"init"}).ok());
  EXPECT_TRUE(bsd.calls_matching({"zfs", "create", "..."}).empty());
}

// share/pot/init.sh: pf.conf (rc.conf's pf_rules) gets `nat-anchor pot-nat` and
// `rdr-anchor "pot-rdr/*"` at its top when it lacks them, once; the host's rules stay below.
TEST(FreeBsdCli, InitPutsThePotAnchorsAtTheTopOfPfConfOnce) {
  FreeBsdHost bsd;
  fs::path pf_conf = bsd.state_dir() / "pf.conf";
  write_text(pf_conf, "ext_if=\"em0\"\npass all\n");
  ASSERT_TRUE(bsd.pot({"init"}).ok());
  std::string expected = "nat-anchor pot-nat\nrdr-anchor \"pot-rdr/*\"\next_if=\"em0\"\npass all\n";
  EXPECT_EQ(read_text(pf_conf), expected);
  ASSERT_TRUE(bsd.pot({"init"}).ok());
  EXPECT_EQ(read_text(pf_conf), expected);
}

// share/pot/create-base.sh makes P/bases/B (plus usr.local and custom children for the
// original's multi layout) and unpacks the release into it. Deliberate difference: our base
// is one dataset, made under a hidden name and renamed into place (the pot layer's atomic
// creation: a half-made base is never seen under its name).
TEST(FreeBsdCli, CreateBaseUnpacksTheReleaseIntoItsDataset) {
  FreeBsdHost bsd;
  ASSERT_TRUE(bsd.pot({"init"}).ok());
  bsd.clear_calls();
  PotRun base = bsd.pot({"create-base", "-r", "14.1"});
  ASSERT_TRUE(base.ok()) << base.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"zfs", "create", "zroot/pot/bases/.creating*"},
      {"zfs", "rename", "zroot/pot/bases/.creating*", "zroot/pot/bases/14.1"},
  }));
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/bases/14.1"));
  EXPECT_EQ(read_text(bsd.fs_root() / "bases" / "14.1" / "etc" / "motd"),
            "FreeBSD 14.1-RELEASE (fake)\n");
}

// share/pot/create.sh (single): `zfs create P/jails/NAME` and its root P/jails/NAME/m, and
// nothing touches interfaces, pf or jails at create time (freebsd-facts.md "create").
// Deliberate differences: the root is a clone of the base's snapshot instead of a second
// unpacking of base.txz (zfs_storage.cc: no copy), and the pot is made under a hidden name
// and renamed into place.
TEST(FreeBsdCli, CreateSingleClonesTheBaseIntoThePotsRoot) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  PotRun create = bsd.pot({"create", "-p", "web", "-b", "14.1"});
  ASSERT_TRUE(create.ok()) << create.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"zfs", "create", "zroot/pot/jails/.creating*"},
      {"zfs", "snapshot", "zroot/pot/bases/14.1@*"},
      {"zfs", "clone", "zroot/pot/bases/14.1@*", "zroot/pot/jails/.creating*"},
      {"zfs", "rename", "zroot/pot/jails/.creating*", "zroot/pot/jails/web"},
  }));
  for (const char* command : {"ifconfig", "pfctl", "jail", "jexec", "mount_nullfs", "rctl"})
    EXPECT_TRUE(bsd.calls_of(command).empty()) << command << " called at create";
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/web"));
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/web/m"));
  EXPECT_EQ(read_text(fs::path(pot_root(bsd, "web")) / "etc" / "motd"),
            "FreeBSD 14.1-RELEASE (fake)\n");
  std::string conf = read_text(bsd.fs_root() / "jails" / "web" / "conf" / "pot.conf");
  EXPECT_NE(conf.find("pot.type=single\n"), std::string::npos) << conf;
  EXPECT_NE(conf.find("pot.base=14.1\n"), std::string::npos) << conf;
}

// A multi pot: share/pot/start.sh _pot_mount mounts the base read-only on the pot's root
// first (fscomp.conf `P/bases/B J/m ro`). Deliberate difference: our multi pot keeps its
// own changes in a dataset `upper`, put over the base with unionfs (the original receives
// usr.local and custom datasets of its own base layout and remounts them in the root).
TEST(FreeBsdCli, CreateMultiAndStartMountsTheBaseReadOnlyOnTheRoot) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  PotRun create = bsd.pot({"create", "-p", "mul", "-b", "14.1", "-t", "multi"});
  ASSERT_TRUE(create.ok()) << create.err;
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/mul"));
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/mul/upper"));
  bsd.clear_calls();
  PotRun start = bsd.start("mul");
  ASSERT_TRUE(start.ok()) << start.err;
  std::string root = pot_root(bsd, "mul");
  EXPECT_TRUE(bsd.calls_in_order({
      {"mount_nullfs", "-o", "ro", (bsd.fs_root() / "bases" / "14.1").string(), root},
      {"mount", "-t", "unionfs", "-o", "noatime",
       (bsd.fs_root() / "jails" / "mul" / "upper" / "root").string(), root},
      {"jail", "-c", "..."},
  }));
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "mul"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({{"umount", "-f", root}, {"umount", "-f", root}}));
  EXPECT_TRUE(bsd.nothing_left_of("mul"));
}

// share/pot/start.sh _js_start: a pot with no network of its own. The jail gets `vnet`
// alone (jail_params.h: an empty stack, as a Linux pot's empty namespace). Deliberate
// differences: always `persist` and no exec.start placeholder; the command is jexec'd with
// exactly the pot's environment (`/usr/bin/env -i`).
TEST(FreeBsdCli, StartRunsTheOriginalsJailParametersAndJexecsTheCommand) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  ASSERT_TRUE(bsd.pot({"set-cmd", "-p", "web", "-c", "sleep 300"}).ok());
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  std::string root = pot_root(bsd, "web");
  // facts "start": tmpfs on /tmp (unless no-tmpfs), then jail -c, then the command.
  EXPECT_TRUE(bsd.calls_in_order({
      {"mount", "-t", "tmpfs", "tmpfs", root + "/tmp"},
      // osrelease from the pot's /bin/freebsd-version (common.sh _get_os_release).
      with(jail_create_head(),
           {"name=web", "host.hostname=web", "osrelease=" + FreeBsdHost::kReleaseUserland,
            "path=" + root, "persist", "vnet"}),
      {"jexec", "web", "ifconfig", "lo0", "inet", "127.0.0.1", "up"},
      {"jexec", "web", "/usr/bin/env", "-i", "..."},
  }));
  auto command = bsd.calls_matching({"jexec", "web", "/usr/bin/env", "-i", "..."});
  ASSERT_EQ(command.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(command[0].end() - 2, command[0].end()),
            (std::vector<std::string>{"sleep", "300"}));
  EXPECT_TRUE(bsd.has_jail("web"));
  EXPECT_EQ(read_text(fs::path(root) / "etc" / "hosts"),
            "::1 localhost web\n127.0.0.1 localhost web\n");

  // share/pot/stop.sh: `jail -f - -q -r NAME` fed `NAME { stop.timeout=10; }`, then the
  // unmounts.
  bsd.clear_calls();
  PotRun stop = bsd.pot({"stop", "-p", "web"});
  ASSERT_TRUE(stop.ok()) << stop.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-f", "-", "-q", "-r", "web"},
      {"umount", "-f", root + "/tmp"},
  }));
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// share/pot/exec.sh: `jexec [-U USER] NAME CMD`. Ours passes the pot's environment through
// `/usr/bin/env -i` (jail_params.h jexec_argv).
TEST(FreeBsdCli, ExecRunsTheCommandInTheJailThroughJexec) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  ASSERT_TRUE(bsd.pot({"set-cmd", "-p", "web", "-c", "sleep 300"}).ok());
  ASSERT_TRUE(bsd.start("web").ok());
  bsd.clear_calls();
  PotRun exec = bsd.pot({"exec", "-p", "web", "/bin/echo", "inside"});
  ASSERT_TRUE(exec.ok()) << exec.err;
  EXPECT_EQ(exec.out, "inside\n");
  EXPECT_TRUE(bsd.calls_in_order({{"jexec", "web", "/usr/bin/env", "-i", "..."}}));
  auto jexec = bsd.calls_of("jexec");
  ASSERT_EQ(jexec.size(), 1u);
  EXPECT_EQ(std::vector<std::string>(jexec[0].end() - 2, jexec[0].end()),
            (std::vector<std::string>{"/bin/echo", "inside"}));
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// share/pot/start.sh _js_rss: `cpuset -l CPUS -j JID` and `rctl -a
// jail:NAME:memoryuse:deny=SIZE` after jail -c. Deliberate difference (jail_runtime.h): the
// stop removes the rules (`rctl -r jail:NAME`); the original leaves them behind.
TEST(FreeBsdCli, SetRssLimitsTheJailAtStartAndTheStopRemovesTheRules) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  ASSERT_TRUE(bsd.pot({"set-cmd", "-p", "web", "-c", "sleep 300"}).ok());
  PotRun rss = bsd.pot({"set-rss", "-p", "web", "-M", "64M", "-C", "1"});
  ASSERT_TRUE(rss.ok()) << rss.err;
  bsd.clear_calls();
  PotRun start = bsd.start("web");
  ASSERT_TRUE(start.ok()) << start.err;
  std::string jid = std::to_string(bsd.jail_id("web"));
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-c", "..."},
      {"cpuset", "-l", "*", "-j", jid},
      {"rctl", "-a", "jail:web:memoryuse:deny=67108864"},
      {"jexec", "web", "/usr/bin/env", "-i", "..."},
  }));
  auto cpuset = bsd.calls_of("cpuset");
  ASSERT_EQ(cpuset.size(), 1u);
  EXPECT_EQ(cpuset[0][2].find_first_of(",-"), std::string::npos)
      << "one CPU asked, got " << cpuset[0][2];
  EXPECT_EQ(bsd.rctl_rules(), (std::vector<std::string>{"jail:web:memoryuse:deny=67108864"}));

  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({
      {"jail", "-f", "-", "-q", "-r", "web"},
      {"rctl", "-r", "jail:web"},
  }));
  EXPECT_TRUE(bsd.rctl_rules().empty());
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// share/pot/common.sh _pot_zfs_snap: `zfs snapshot -r P/jails/NAME@<epoch>`; revert.sh rolls
// every dataset of the pot back to its last snapshot (`zfs rollback DS@SNAP`, children
// first). Ours rolls back with -r (a later snapshot, which the original never has since it
// takes the last one, would be destroyed rather than make the rollback fail).
TEST(FreeBsdCli, SnapshotAndRevertUseTheOriginalsRecursiveSnapshot) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  fs::path motd = fs::path(pot_root(bsd, "web")) / "etc" / "motd";
  bsd.clear_calls();
  auto before = std::time(nullptr);
  PotRun snapshot = bsd.pot({"snapshot", "-p", "web"});
  ASSERT_TRUE(snapshot.ok()) << snapshot.err;
  auto snaps = bsd.calls_matching({"zfs", "snapshot", "-r", "zroot/pot/jails/web@*"});
  ASSERT_EQ(snaps.size(), 1u) << FreeBsdHost::format_call(bsd.calls().back());
  std::string tag = snaps[0][3].substr(snaps[0][3].find('@') + 1);
  EXPECT_GE(std::stoll(tag), static_cast<long long>(before));  // <epoch>, as date +%s
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/web/m@" + tag));

  write_text(motd, "changed\n");
  bsd.clear_calls();
  PotRun revert = bsd.pot({"revert", "-p", "web"});
  ASSERT_TRUE(revert.ok()) << revert.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"zfs", "rollback", "-r", "zroot/pot/jails/web/m@" + tag},
      {"zfs", "rollback", "-r", "zroot/pot/jails/web@" + tag},
  }));
  EXPECT_EQ(read_text(motd), "FreeBSD 14.1-RELEASE (fake)\n");
}

// share/pot/clone.sh _cj_zfs: `zfs create P/jails/NEW`, then `zfs clone` of the source's
// root snapshot into P/jails/NEW/m. Deliberate difference: we snapshot the source's root as
// it is now (a `pot-clone-...` snapshot) instead of requiring one (the original takes the
// last snapshot, or one on the fly with -S).
TEST(FreeBsdCli, CloneClonesTheSourcesRootIntoTheNewPot) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  write_text(fs::path(pot_root(bsd, "web")) / "etc" / "motd", "web's own\n");
  bsd.clear_calls();
  PotRun clone = bsd.pot({"clone", "-P", "web", "-p", "copy"});
  ASSERT_TRUE(clone.ok()) << clone.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"zfs", "create", "zroot/pot/jails/.creating*"},
      {"zfs", "snapshot", "zroot/pot/jails/web/m@*"},
      {"zfs", "clone", "zroot/pot/jails/web/m@*", "zroot/pot/jails/.creating*"},
      {"zfs", "rename", "zroot/pot/jails/.creating*", "zroot/pot/jails/copy"},
  }));
  EXPECT_EQ(read_text(fs::path(pot_root(bsd, "copy")) / "etc" / "motd"), "web's own\n");

  // The clone's dataset depends on the source's snapshot: destroying the source first
  // promotes the clone (zfs_storage.cc), and the copy stays whole.
  ASSERT_TRUE(bsd.pot({"destroy", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/copy/m"));
  EXPECT_EQ(read_text(fs::path(pot_root(bsd, "copy")) / "etc" / "motd"), "web's own\n");
}

// share/pot/rename.sh _rn_zfs: `zfs rename P/jails/OLD P/jails/NEW` (the original first sets
// an explicit mountpoint of m; ours inherit their mountpoints from P, so the rename alone
// moves them).
TEST(FreeBsdCli, RenameRenamesThePotsDataset) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  bsd.clear_calls();
  PotRun rename = bsd.pot({"rename", "-p", "web", "-n", "site"});
  ASSERT_TRUE(rename.ok()) << rename.err;
  EXPECT_TRUE(
      bsd.calls_in_order({{"zfs", "rename", "zroot/pot/jails/web", "zroot/pot/jails/site"}}));
  EXPECT_FALSE(bsd.has_dataset("zroot/pot/jails/web"));
  EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/site/m"));
  EXPECT_EQ(read_text(fs::path(pot_root(bsd, "site")) / "etc" / "motd"),
            "FreeBSD 14.1-RELEASE (fake)\n");
  PotRun start = bsd.start("site");
  ASSERT_TRUE(start.ok()) << start.err;
  EXPECT_TRUE(bsd.has_jail("site"));
  ASSERT_TRUE(bsd.pot({"stop", "-p", "site"}).ok());
  EXPECT_TRUE(bsd.nothing_left_of("site"));
}

// share/pot/destroy.sh: `zfs destroy -f -r P/jails/NAME`, then the pot's directory goes.
// Ours renames the dataset to a hidden name first, so a destroy cut short never leaves a
// half pot under its name.
TEST(FreeBsdCli, DestroyDestroysThePotsDatasetsRecursively) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  ASSERT_TRUE(bsd.pot({"snapshot", "-p", "web"}).ok());
  ASSERT_TRUE(bsd.start("web").ok());
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  bsd.clear_calls();
  PotRun destroy = bsd.pot({"destroy", "-p", "web"});
  ASSERT_TRUE(destroy.ok()) << destroy.err;
  EXPECT_TRUE(bsd.calls_in_order({
      {"zfs", "rename", "zroot/pot/jails/web", "zroot/pot/jails/.destroying*"},
      {"zfs", "destroy", "-r", "-f", "zroot/pot/jails/.destroying*"},
  }));
  nlohmann::json state = bsd.state();
  for (const auto& [name, dataset] : state["zfs"]["datasets"].items())
    EXPECT_EQ(name.find("web"), std::string::npos) << "dataset " << name << " left";
  for (const auto& [name, snapshot] : state["zfs"]["snapshots"].items())
    EXPECT_EQ(name.find("jails/"), std::string::npos) << "snapshot " << name << " left";
  EXPECT_FALSE(fs::exists(bsd.fs_root() / "jails" / "web"));
  EXPECT_TRUE(bsd.nothing_left_of("web"));
  PotRun ls = bsd.pot({"ls"});
  EXPECT_EQ(ls.out.find("web"), std::string::npos) << ls.out;
}

// share/pot/mount-in.sh records the directory in fscomp.conf; start.sh _pot_mount mounts it
// with `mount_nullfs -o rw DIR J/m/MOUNTPOINT` (ro with -r) before jail -c, and stop
// unmounts it. Once: a mount-in is a host directory line of fscomp.conf, not also a dataset
// line (the double mount this test caught).
TEST(FreeBsdCli, MountInIsNullMountedOnceAtStartAndUnmountedAtStop) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  TempDir data("fakebsd-data");
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  PotRun mount_in = bsd.pot({"mount-in", "-p", "web", "-d", data.str(), "-m", "/mnt/data"});
  ASSERT_TRUE(mount_in.ok()) << mount_in.err;
  PotRun read_only = bsd.pot({"mount-in", "-p", "web", "-d", data.str(), "-m", "/srv", "-r"});
  ASSERT_TRUE(read_only.ok()) << read_only.err;
  EXPECT_TRUE(bsd.calls_of("mount_nullfs").empty()) << "mounted before the start";
  bsd.clear_calls();
  ASSERT_TRUE(bsd.start("web").ok());
  std::string root = pot_root(bsd, "web");
  EXPECT_TRUE(bsd.calls_in_order({
      {"mount_nullfs", "-o", "rw", data.str(), root + "/mnt/data"},
      {"mount_nullfs", "-o", "ro", data.str(), root + "/srv"},
      {"jail", "-c", "..."},
  }));
  EXPECT_EQ(bsd.calls_of("mount_nullfs").size(), 2u);
  EXPECT_EQ(bsd.mounts().size(), 4u);  // the two, tmpfs and the jail's devfs
  bsd.clear_calls();
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.calls_in_order({{"umount", "-f", root + "/srv"}}));
  EXPECT_TRUE(bsd.calls_in_order({{"umount", "-f", root + "/mnt/data"}}));
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

// share/pot/copy-in.sh mounts the source into the pot's /tmp and copies with `jail -c
// path=J/m command=/bin/cp -a ...` (or jexec when running). Deliberate difference
// (pot_files.h): ours copies on the host side, resolving every path inside the pot's root,
// so no jail, jexec or mount is used.
TEST(FreeBsdCli, CopyInCopiesIntoTheStoppedPotsRootWithoutAJail) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  TempDir data("fakebsd-data");
  write_text(data.path() / "app.conf", "port=80\n");
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1"}).ok());
  bsd.clear_calls();
  PotRun copy = bsd.pot({"copy-in", "-p", "web", "-s", (data.path() / "app.conf").string(), "-d",
                         "/usr/local/etc/app.conf", "-c"});
  ASSERT_TRUE(copy.ok()) << copy.err;
  EXPECT_EQ(read_text(fs::path(pot_root(bsd, "web")) / "usr/local/etc/app.conf"), "port=80\n");
  for (const char* command : {"jail", "jexec", "mount_nullfs"})
    EXPECT_TRUE(bsd.calls_of(command).empty()) << command;
  EXPECT_TRUE(bsd.mounts().empty());
}

// A stopped multi pot's m is only where its layers are mounted at start: a copy-in goes into
// its own layer (upper/root), which unionfs puts over the base, never into m, which the
// mounts would cover.
TEST(FreeBsdCli, CopyInToAStoppedMultiPotGoesIntoItsOwnLayer) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  TempDir data("fakebsd-data");
  write_text(data.path() / "app.conf", "port=80\n");
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1", "-t", "multi"}).ok());
  PotRun copy = bsd.pot({"copy-in", "-p", "web", "-s", (data.path() / "app.conf").string(), "-d",
                         "/usr/local/etc/app.conf", "-c"});
  ASSERT_TRUE(copy.ok()) << copy.err;
  fs::path jail = bsd.fs_root() / "jails" / "web";
  EXPECT_EQ(read_text(jail / "upper" / "root" / "usr/local/etc/app.conf"), "port=80\n");
  EXPECT_FALSE(fs::exists(jail / "m" / "usr/local/etc/app.conf"));
}

// share/pot/list.sh and info.sh read the pots' configuration; `info` lists the snapshots
// (`zfs list -t snapshot`), the running state comes from the jail (`jls -j NAME`).
TEST(FreeBsdCli, LsAndInfoShowThePotsAndTheirState) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1", "-N", "inherit"}).ok());
  ASSERT_TRUE(bsd.pot({"create", "-p", "db", "-b", "14.1"}).ok());
  ASSERT_TRUE(bsd.pot({"set-cmd", "-p", "web", "-c", "sleep 300"}).ok());
  ASSERT_TRUE(bsd.pot({"snapshot", "-p", "web"}).ok());
  std::string tag = bsd.calls_matching({"zfs", "snapshot", "-r", "..."}).back()[3];
  tag = tag.substr(tag.find('@') + 1);
  ASSERT_TRUE(bsd.start("web").ok());
  PotRun ls = bsd.pot({"ls"});
  ASSERT_TRUE(ls.ok()) << ls.err;
  EXPECT_NE(ls.out.find("pot name : web\n\tnetwork : inherit\n\tactive : true"), std::string::npos)
      << ls.out;
  EXPECT_NE(ls.out.find("pot name : db\n\tnetwork : none\n\tactive : false"), std::string::npos)
      << ls.out;
  PotRun info = bsd.pot({"info", "-p", "web"});
  ASSERT_TRUE(info.ok()) << info.err;
  EXPECT_NE(info.out.find("type : single"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("base : 14.1"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("active : true"), std::string::npos) << info.out;
  EXPECT_NE(info.out.find("snapshots:\n\t\t" + tag), std::string::npos) << info.out;
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_TRUE(bsd.nothing_left_of("web"));
}

}  // namespace
}  // namespace pot::testing
