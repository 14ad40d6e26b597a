// Wrong input from the user: every mistake ends with a nonzero exit, exactly one line on
// stderr, and nothing made or changed (no new pot, no new entry under jails/ or bases/).
#include <string>

#include "harness.h"

namespace potit {
namespace {

class BadInputTest : public PotTest {
 protected:
  void SetUp() override {
    PotTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // One existing pot, so that errors about other arguments can be reached.
    existing_ = create_pot("exists");
  }

  struct Snapshot {
    std::string pots;  // pot ls -q
    std::set<std::string> jails, bases, run;
    std::string conf;  // the existing pot's pot.conf
  };

  Snapshot snapshot() {
    Snapshot s;
    s.pots = expect_ok(pot({"ls", "-q"})).out;
    s.jails = dir_entries(root().fs_root() / "jails");
    s.bases = dir_entries(root().fs_root() / "bases");
    s.conf = read_text(root().jail_dir(existing_) / "conf" / "pot.conf");
    return s;
  }

  // Runs `pot ARGS` and checks it was refused cleanly; `message` must be in the error.
  void expect_rejected(const std::vector<std::string>& args, const std::string& message = "",
                       const std::vector<std::string>& env = {}) {
    Snapshot before = snapshot();
    RunOptions options;
    if (!env.empty()) options.env = root().env(env);
    RunResult r = pot(args, options);
    EXPECT_NE(r.code, 0) << r;
    EXPECT_FALSE(r.timed_out) << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << "exactly one line on stderr\n" << r;
    if (!r.err.empty()) {
      EXPECT_EQ(r.err.rfind("pot: ", 0), 0U) << r;
    }
    EXPECT_TRUE(r.out.empty()) << r;
    if (!message.empty()) {
      EXPECT_NE(r.err.find(message), std::string::npos) << "expected \"" << message << "\"\n" << r;
    }
    Snapshot after = snapshot();
    EXPECT_EQ(after.pots, before.pots) << "pot ls -q changed after\n" << r;
    EXPECT_EQ(after.jails, before.jails) << "jails/ changed after\n" << r;
    EXPECT_EQ(after.bases, before.bases) << "bases/ changed after\n" << r;
    EXPECT_EQ(after.conf, before.conf) << "the existing pot's pot.conf changed after\n" << r;
  }

  std::string existing_;
};

TEST_F(BadInputTest, UnknownPot) {
  const std::string nosuch = "no-such-pot";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"start", nosuch},
           {"stop", nosuch},
           {"info", "-p", nosuch},
           {"destroy", "-p", nosuch},
           {"destroy", "-F", "-p", nosuch},
           {"exec", "-p", nosuch, "true"},
           {"set-cmd", "-p", nosuch, "-c", "true"},
           {"set-attr", "-p", nosuch, "-A", "persistent", "-V", "NO"},
           {"set-rss", "-p", nosuch, "-M", "64M"},
           {"get-rss", "-p", nosuch, "-J"},
           {"copy-in", "-p", nosuch, "-s", "/etc/hostname", "-d", "/x"},
           {"mount-in", "-p", nosuch, "-d", "/tmp", "-m", "/x"},
           {"snapshot", "-p", nosuch},
           {"revert", "-p", nosuch},
           {"last-run-stats", "-p", nosuch},
           {"signal", "-p", nosuch},
           {"clone", "-P", nosuch, "-p", "clone-of-nothing"},
           {"rename", "-p", nosuch, "-n", "renamed-nothing"},
           {"add-dep", "-p", existing_, "-P", nosuch},
       }) {
    SCOPED_TRACE(args[0]);
    expect_rejected(args);
  }
  expect_rejected({"start", nosuch}, "not found");
}

TEST_F(BadInputTest, UnknownBase) {
  track("needs-a-base");
  expect_rejected({"create", "-p", "needs-a-base", "-b", "no-such-base"}, "not found");
  expect_rejected({"destroy", "-b", "no-such-base"}, "not found");
  expect_rejected({"create-base", "-b", "bb", "-r", "busybox"}, "already exists");
  expect_rejected({"create-base", "-b", "other", "-r", "nonsense"});
  expect_rejected({"create-base", "-b", "other", "-r", "tar:/no/such/file.tar"});
  expect_rejected({"destroy", "-b", "bb"}, "used by");
}

TEST_F(BadInputTest, InvalidNames) {
  for (const std::string& bad :
       {std::string("../x"), std::string(".hidden"), std::string(65, 'a'), std::string("a/b"),
        std::string("a b"), std::string("-dash"), std::string(".."), std::string("x:y")}) {
    SCOPED_TRACE("name \"" + bad + "\"");
    expect_rejected({"create", "-p", bad, "-b", "bb"}, "invalid");
    expect_rejected({"clone", "-P", existing_, "-p", bad}, "invalid");
    expect_rejected({"rename", "-p", existing_, "-n", bad}, "invalid");
    expect_rejected({"create-base", "-b", bad, "-r", "busybox"}, "invalid");
    expect_rejected({"start", bad});
  }
  // 64 characters is the longest valid name.
  std::string longest(64, 'l');
  track(longest);
  EXPECT_POT_OK(pot({"create", "-p", longest, "-b", "bb"}));
}

// An invalid name is quoted in the error; control characters in it must not break the
// message over several lines (or reach the terminal raw).
TEST_F(BadInputTest, ControlCharactersInNamesKeepTheErrorOnOneLine) {
  for (const std::string& bad :
       {std::string("x\ny"), std::string("x\ry"), std::string("new\nline\n")}) {
    expect_rejected({"create", "-p", bad, "-b", "bb"}, "invalid");
    expect_rejected({"start", bad}, "invalid");
  }
}

TEST_F(BadInputTest, CommandMissingInThePotFailsTheStartCleanly) {
  for (bool persistent : {true, false}) {
    SCOPED_TRACE(persistent ? "persistent" : "one-shot");
    std::string name = unique_name("nocmd");
    track(name);
    ASSERT_POT_OK(pot({"create", "-p", name, "-b", "bb"}));
    ASSERT_POT_OK(
        pot({"set-attr", "-p", name, "-A", "persistent", "-V", persistent ? "YES" : "NO"}));
    ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "/no/such/program --flag"}));
    RunResult start = pot({"start", name});
    EXPECT_NE(start.code, 0) << start;
    EXPECT_EQ(start.err_lines().size(), 1U) << start;
    EXPECT_NE(start.err.find("/no/such/program"), std::string::npos) << start;
    EXPECT_FALSE(is_running(name));
    EXPECT_EQ(root().status(name), "stopped");
    EXPECT_TRUE(root().pot_cgroup_dirs(name).empty()) << "a failed start left the cgroup";
    EXPECT_POT_OK(pot({"destroy", "-p", name}));
  }
}

TEST_F(BadInputTest, UnknownFlag) {
  track("flagged");
  expect_rejected({"create", "-p", "flagged", "-b", "bb", "-Z"}, "unknown flag -Z");
  expect_rejected({"start", "-X", existing_}, "unknown flag");
  expect_rejected({"ls", "-Z"}, "unknown flag");
  expect_rejected({"set-rss", "-p", existing_, "-X", "1"}, "unknown flag");
  expect_rejected({"create", "-p", "flagged", "-b"}, "needs a value");
  expect_rejected({"create", "-p", "flagged"}, "-b");
  expect_rejected({"create", "-p", "flagged", "-b", "bb", "-t", "triple"}, "invalid");
  expect_rejected({"create", "-p", "flagged", "-b", "bb", "-N", "bridge"}, "invalid");
  expect_rejected({"set-attr", "-p", existing_, "-A", "no-such-attr", "-V", "YES"});
  expect_rejected({"set-attr", "-p", existing_, "-A", "persistent", "-V", "MAYBE"});
  expect_rejected({"exec", "-p", existing_});
}

TEST_F(BadInputTest, InvalidValues) {
  track("with-flavour");
  expect_rejected({"set-env", "-p", existing_, "-E", "NO_EQUALS_SIGN"}, "invalid");
  expect_rejected({"set-env", "-p", existing_, "-E", "=value"}, "invalid");
  expect_rejected({"set-hosts", "-p", existing_, "-H", "db:not-an-ip"}, "invalid");
  expect_rejected({"set-hosts", "-p", existing_, "-H", "../x:10.0.0.1"}, "invalid");
  expect_rejected({"export-ports", "-p", existing_, "-e", "70000"}, "invalid");
  expect_rejected({"export-ports", "-p", existing_, "-e", "tcp:80:0"}, "invalid");
  expect_rejected({"set-cmd", "-p", existing_, "-c", ""});
  expect_rejected({"set-cmd", "-p", existing_, "-c", "\"\""});
  expect_rejected({"mount-in", "-p", existing_, "-d", "relative/dir", "-m", "/mnt"});
  expect_rejected({"mount-in", "-p", existing_, "-d", "/no/such/dir", "-m", "/mnt"});
  expect_rejected({"mount-in", "-p", existing_, "-d", "/tmp", "-m", "/"});
  expect_rejected({"mount-in", "-p", existing_, "-d", "/tmp", "-m", "relative"});
  expect_rejected({"mount-in", "-p", existing_, "-d", "/tmp", "-m", "/a/../../b"});
  expect_rejected({"copy-in", "-p", existing_, "-s", "/no/such/file", "-d", "/x"});
  expect_rejected({"copy-in", "-p", existing_, "-s", "/etc/hostname", "-d", "relative"});
  expect_rejected({"copy-in", "-p", existing_, "-s", "/etc/hostname", "-d", "/"});
  expect_rejected({"signal", "-p", existing_, "-s", "BOGUS"}, "invalid signal");
  expect_rejected({"exec", "-p", existing_, "true"}, "not running");
  expect_rejected({"revert", "-p", existing_}, "no snapshot");
  expect_rejected({"create", "-p", "with-flavour", "-b", "bb", "-f", "no-such-flavour"});
}

// A POT_FS_ROOT that was never initialised: commands fail and create nothing there.
TEST_F(BadInputTest, UninitialisedRootIsLeftAlone) {
  fs::path fresh = root().tmp() / "never-initialised";
  std::vector<std::string> env = {"POT_FS_ROOT=" + fresh.string()};
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"create", "-p", "x", "-b", "bb"},
           {"create-base", "-b", "bb2", "-r", "busybox"},
           {"start", "x"},
           {"stop", "x"},
           {"set-cmd", "-p", "x", "-c", "true"},
           {"destroy", "-p", "x"},
           {"clone", "-P", "x", "-p", "y"},
       }) {
    RunResult r = pot(args, RunOptions{root().env(env), 120, ""});
    EXPECT_NE(r.code, 0) << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << r;
    EXPECT_FALSE(fs::exists(fresh)) << "`pot " << args[0] << "` made " << fresh << "\n" << r;
  }
  RunResult deinit = pot({"de-init"}, RunOptions{root().env(env), 120, ""});
  EXPECT_POT_OK(deinit) << "de-init of a root that is not there is a no-op";
  EXPECT_FALSE(fs::exists(fresh));
}

TEST_F(BadInputTest, UnknownCommandSuggestsTheNearestOne) {
  expect_rejected({"strat", existing_}, "did you mean `start`");
  expect_rejected({"crate", "-p", "x", "-b", "bb"}, "did you mean `create`");
  expect_rejected({"frobnicate"}, "unknown command");
}

TEST_F(BadInputTest, InvalidSize) {
  expect_rejected({"set-rss", "-p", existing_, "-M", "12Q"}, "invalid");
  expect_rejected({"ls", "-q"}, "POT_POOL_SIZE", {"POT_POOL_SIZE=12Q"});
  expect_rejected({"ls", "-q"}, "POT_STORAGE", {"POT_STORAGE=zfs"});
  expect_rejected({"ls", "-q"}, "POT_FS_ROOT", {"POT_FS_ROOT=relative/path"});
}

}  // namespace
}  // namespace potit
