// Commands the other suites do not drive: flavours, tar bases (and a hostile one), pot term
// on a pty, init twice, the pool mounted again after a "reboot", de-init leaving nothing,
// mount-out, attributes and last-run-stats before any run.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "harness.h"
#include "helpers/require.h"

namespace potit {
namespace {

std::string flavour_dir() {
  return "/tmp/pot-it-flavours-" + std::to_string(::getpid());
}

class CommandsTest : public PotTest {
 protected:
  std::vector<std::string> root_env() const override {
    return {"POT_FLAVOUR_DIR=" + flavour_dir()};
  }
  void SetUp() override {
    fs::create_directories(flavour_dir());
    PotTest::SetUp();
  }
  void TearDown() override {
    PotTest::TearDown();
    fs::remove_all(flavour_dir());
  }
  void write_flavour(const std::string& name, const std::string& text) {
    write_text(fs::path(flavour_dir()) / name, text);
  }
  std::set<std::string> pots() {
    auto lines = expect_ok(pot({"ls", "-q"})).out_lines();
    return {lines.begin(), lines.end()};
  }
  static RunOptions host_env() {
    RunOptions options;
    options.env = base_environment();
    return options;
  }
};

TEST_F(CommandsTest, FlavourCommandsAndScriptShapeThePot) {
  write_flavour("web",
                "# a comment, then pot commands\n"
                "set-cmd -c sh -c 'cat /var/www/index.html; echo $GREETING; cat /pot-name'\n"
                "set-env -E GREETING=hello\n"
                "set-attribute -A persistent -V NO\n"
                "set-rss -M 64M\n");
  write_flavour("web.sh",
                "#!/bin/sh\necho flavoured > /var/www/index.html\necho \"$1\" > /pot-name\n");
  std::string name = unique_name("flavoured");
  track(name);
  ASSERT_POT_OK(pot({"create", "-p", name, "-b", "bb", "-f", "web"}));
  EXPECT_EQ(trim(expect_ok(pot({"get-attr", "-p", name, "-A", "persistent", "-q"})).out), "NO");
  RunResult run = pot({"start", name});
  ASSERT_POT_OK(run);
  EXPECT_EQ(run.out, "flavoured\nhello\n" + name + "\n");
  EXPECT_NE(read_text(root().jail_dir(name) / "conf" / "pot.conf").find("pot.rss.memory=64M"),
            std::string::npos);
}

TEST_F(CommandsTest, BadFlavourLineOrFailingScriptLeavesNoPot) {
  write_flavour("evil", "set-cmd -c /bin/true\ndestroy -p bb\n");
  write_flavour("broken.sh", "#!/bin/sh\nexit 3\n");
  auto before = pots();
  for (const char* flavour : {"evil", "broken"}) {
    std::string name = unique_name(std::string("bad-") + flavour);
    track(name);
    RunResult r = pot({"create", "-p", name, "-b", "bb", "-f", flavour});
    EXPECT_NE(r.code, 0) << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << r;
    EXPECT_FALSE(fs::exists(root().jail_dir(name))) << flavour;
  }
  EXPECT_EQ(pots(), before);
}

TEST_F(CommandsTest, TarBaseRoundTripsAndHostileTarIsRefused) {
  fs::path tarball = root().tmp() / "busybox-root.tar.gz";
  RunResult tar = run_process(
      {"tar", "-C", (root().fs_root() / "bases" / "bb").string(), "-czf", tarball.string(), "."},
      host_env());
  ASSERT_POT_OK(tar);
  std::string base = unique_name("tarbase");
  ASSERT_POT_OK(pot({"create-base", "-b", base, "-r", "tar:" + tarball.string()}));
  std::string name = unique_name("from-tar");
  track(name);
  ASSERT_POT_OK(pot({"create", "-p", name, "-b", base}));
  ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "persistent", "-V", "NO"}));
  RunResult run = run_once(name, "busybox echo from-tar");
  EXPECT_EQ(run.out, "from-tar\n") << run;
  ASSERT_POT_OK(pot({"destroy", "-p", name}));
  ASSERT_POT_OK(pot({"destroy", "-b", base}));

  // A tarball with an entry that climbs out: refused, no base, nothing written outside.
  fs::path src = root().tmp() / "hostile-src";
  fs::create_directories(src / "a");
  write_text(src / "escaped", "outside");
  fs::path hostile = root().tmp() / "hostile.tar";
  ASSERT_POT_OK(
      run_process({"tar", "-C", (src / "a").string(), "-P", "-cf", hostile.string(), "../escaped"},
                  host_env()));
  fs::path victim = root().fs_root() / "bases" / "escaped";
  std::string bad = unique_name("hostile");
  RunResult r = pot({"create-base", "-b", bad, "-r", "tar:" + hostile.string()});
  EXPECT_NE(r.code, 0) << r;
  EXPECT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_FALSE(fs::exists(root().fs_root() / "bases" / bad));
  EXPECT_FALSE(fs::exists(victim));
  for (const auto& entry : dir_entries(root().fs_root() / "bases"))
    EXPECT_EQ(entry.rfind(".creating", 0), std::string::npos) << "half-made base left: " << entry;
}

TEST_F(CommandsTest, TermOpensAShellOnThePotsOwnPty) {
  std::string name = create_pot("term");
  ASSERT_POT_OK(pot({"start", name}));
  // `script` gives `pot term` a terminal; the shell's tty must come from the pot's devpts.
  std::string command;
  for (const auto& var : root().env()) command += "'" + var + "' ";
  command = "env -i " + command + root().binary() + " term " + name;
  RunOptions options = host_env();
  options.input = "tty; hostname; exit 4\n";
  RunResult r = run_process({"script", "-qec", command, "/dev/null"}, options);
  EXPECT_EQ(r.code, 4) << r;
  EXPECT_NE(r.out.find("/dev/pts/0"), std::string::npos) << r;
  EXPECT_NE(r.out.find(name), std::string::npos) << r;
  RunResult no_tty = pot({"term", name});
  EXPECT_NE(no_tty.code, 0);
  EXPECT_EQ(no_tty.err_lines().size(), 1U) << no_tty;
}

TEST_F(CommandsTest, AttributesMountOutAndStatsBeforeAnyRun) {
  std::string name = create_pot("attrs");
  EXPECT_EQ(trim(expect_ok(pot({"last-run-stats", "-p", name})).out), "{}");
  EXPECT_EQ(trim(expect_ok(pot({"get-attr", "-p", name, "-A", "persistent"})).out),
            "persistent: YES");
  ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "prunable", "-V", "yes"}));
  EXPECT_EQ(trim(expect_ok(pot({"get-attr", "-p", name, "-A", "prunable", "-q"})).out), "YES");
  EXPECT_NE(pot({"set-attr", "-p", name, "-A", "no-such-attr", "-V", "YES"}).code, 0);
  EXPECT_NE(pot({"set-attr", "-p", name, "-A", "persistent", "-V", "maybe"}).code, 0);

  fs::path shared = root().tmp() / unique_name("shared");
  fs::create_directories(shared);
  ASSERT_POT_OK(pot({"mount-in", "-p", name, "-d", shared.string(), "-m", "/srv/shared"}));
  EXPECT_NE(pot({"mount-in", "-p", name, "-d", shared.string(), "-m", "/srv/shared"}).code, 0)
      << "the same mount point twice";
  ASSERT_POT_OK(pot({"mount-out", "-p", name, "-m", "/srv/shared"}));
  EXPECT_EQ(read_text(root().jail_dir(name) / "conf" / "fscomp.conf"), "");
  EXPECT_NE(pot({"mount-out", "-p", name, "-m", "/srv/shared"}).code, 0);
}

TEST_F(CommandsTest, CopyIntoARunningPotNeedsForce) {
  std::string name = create_pot("copy-running");
  ASSERT_POT_OK(pot({"start", name}));
  fs::path file = host_file(unique_name("note"), "hello\n");
  RunResult refused = pot({"copy-in", "-p", name, "-s", file.string(), "-d", "/note"});
  EXPECT_NE(refused.code, 0) << refused;
  EXPECT_EQ(refused.err_lines().size(), 1U) << refused;
  ASSERT_POT_OK(pot({"copy-in", "-p", name, "-s", file.string(), "-d", "/note", "-F"}));
  EXPECT_EQ(expect_ok(pot({"exec", "-p", name, "cat", "/note"})).out, "hello\n");
}

TEST_F(CommandsTest, ExecLeavesInterruptToTheCommand) {
  // `pot exec` ignores ^C itself; the command must not inherit that (sh could not trap it).
  std::string name = create_pot("exec-int");
  ASSERT_POT_OK(pot({"start", name}));
  RunResult r =
      pot({"exec", "-p", name, "sh", "-c", "trap 'echo caught' INT; kill -INT $$; echo after"});
  EXPECT_EQ(r.out, "caught\nafter\n") << r;
}

TEST_F(CommandsTest, PotDirectoriesAreClosedToOtherHostUsers) {
  // A pot's root runs as host uid 0: a setuid file made inside must be out of other users' reach.
  for (const char* dir : {"jails", "bases", "run"}) {
    struct stat st {};
    ASSERT_EQ(::stat((root().fs_root() / dir).c_str(), &st), 0) << dir;
    EXPECT_EQ(st.st_mode & 0777, 0700U) << dir;
  }
}

// A root of its own: these tests unmount and remove it.
class PoolTest : public ::testing::Test {
 protected:
  static RunOptions host_env() {
    RunOptions options;
    options.env = base_environment();
    return options;
  }
  void SetUp() override { POT_REQUIRE_ROOT("pot integration tests"); }
};

TEST_F(PoolTest, InitTwiceRebootRemountAndDeInitLeaveNothing) {
  PotRoot root(RootOptions{});
  root.init_with_base();
  ASSERT_POT_OK(root.pot({"init"})) << "a second init is harmless";
  ASSERT_POT_OK(root.pot({"create", "-p", "survivor", "-b", "bb"}));
  ASSERT_EQ(mounts_under(root.tmp()).size(), 1U);

  // A reboot, as far as pot can tell: the pool is no longer mounted.
  ASSERT_EQ(::umount2(root.fs_root().c_str(), 0), 0) << std::strerror(errno);
  EXPECT_TRUE(mounts_under(root.tmp()).empty());
  RunResult info = root.pot({"info", "-p", "survivor"});
  EXPECT_TRUE(info.ok()) << info;
  EXPECT_EQ(mounts_under(root.tmp()).size(), 1U) << "the first command mounts the pool again";

  ASSERT_POT_OK(root.pot({"de-init"}));
  EXPECT_TRUE(mounts_under(root.tmp()).empty());
  EXPECT_FALSE(fs::exists(root.fs_root())) << "de-init removes the root it made";
  RunResult loops =
      run_process({"losetup", "-j", (root.fs_root() / ".pot-pool.img").string()}, host_env());
  EXPECT_EQ(trim(loops.out), "") << "no loop device left on the pool image";
  EXPECT_TRUE(root.teardown().empty());
}

}  // namespace
}  // namespace potit
