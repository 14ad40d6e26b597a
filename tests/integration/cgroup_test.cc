// Control groups as the host sees them: a running pot is in its own group, pot-<tag>/<pot>,
// in every hierarchy pot uses, and the group goes when the pot stops. With POT_CGROUP=v2
// (pot's choice on a hybrid host: the unified tree), including commands run later without
// the variable, which must find the group the pot was started in.
#include <sys/statfs.h>

#include <signal.h>

#include <linux/magic.h>

#include <string>

#include "harness.h"
#include "helpers/require.h"

namespace potit {
namespace {

bool is_cgroup2(const char* path) {
  struct statfs fs {};
  return ::statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

// The unified hierarchy POT_CGROUP=v2 uses: /sys/fs/cgroup, or a hybrid host's unified tree.
std::string unified_root() {
  if (is_cgroup2("/sys/fs/cgroup")) return "/sys/fs/cgroup";
  if (is_cgroup2("/sys/fs/cgroup/unified")) return "/sys/fs/cgroup/unified";
  return "";
}

// The line of /proc/PID/cgroup for the unified hierarchy ("0::/path"), without "0::".
std::string unified_cgroup_of(pid_t pid) {
  for (const auto& line : split_lines(read_text("/proc/" + std::to_string(pid) + "/cgroup"))) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

class CgroupTest : public PotTest {
 protected:
  std::string start_sleeper(const std::string& prefix) {
    std::string name = create_pot(prefix);
    expect_ok(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
    expect_ok(pot({"start", name}));
    return name;
  }
  pid_t init_of(const std::string& name) {
    auto state = root().state(name);
    return state.count("init_pid") ? static_cast<pid_t>(std::stol(state["init_pid"])) : 0;
  }
};

TEST_F(CgroupTest, RunningPotHasItsOwnGroupInEveryHierarchy) {
  std::string name = start_sleeper("cg");
  pid_t init = init_of(name);
  auto dirs = root().pot_cgroup_dirs(name);
  ASSERT_FALSE(dirs.empty());
  for (const auto& dir : dirs) {
    std::string procs = read_text(dir / "cgroup.procs");
    EXPECT_NE(("\n" + procs).find("\n" + std::to_string(init) + "\n"), std::string::npos)
        << "the pot's init is not in " << dir << ":\n"
        << procs;
  }
  // The pot's view: its own group is its root (cgroup namespace).
  RunResult inside = pot({"exec", "-p", name, "cat", "/proc/self/cgroup"});
  ASSERT_POT_OK(inside);
  for (const auto& line : inside.out_lines())
    EXPECT_EQ(line.substr(line.rfind(':') + 1), "/") << inside;
  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

class CgroupV2Test : public CgroupTest {
 protected:
  std::vector<std::string> root_env() const override { return {"POT_CGROUP=v2"}; }
  void SetUp() override {
    POT_REQUIRE(!unified_root().empty(), "no cgroup2 hierarchy on this host");
    CgroupTest::SetUp();
  }
  fs::path group_dir(const std::string& name) {
    return fs::path(unified_root()) / ("pot-" + root().root_tag()) / name;
  }
};

TEST_F(CgroupV2Test, PotRunsInTheUnifiedTreeAndLeavesNoGroup) {
  std::string name = start_sleeper("v2");
  pid_t init = init_of(name);
  EXPECT_EQ(unified_cgroup_of(init), "/pot-" + root().root_tag() + "/" + name);
  EXPECT_TRUE(fs::is_directory(group_dir(name)));

  // `pot exec` joins the same group.
  auto exec = root().pot_background({"exec", "-p", name, "sleep", "30"});
  EXPECT_TRUE(wait_until(
      [&] { return split_lines(read_text(group_dir(name) / "cgroup.procs")).size() >= 3; }, 5000))
      << read_text(group_dir(name) / "cgroup.procs");
  exec->kill(SIGKILL);
  exec->wait(5000);

  RunResult rss = pot({"get-rss", "-p", name, "-J"});
  EXPECT_POT_OK(rss);
  EXPECT_NE(rss.out.find("\"ResourceUsage\""), std::string::npos) << rss;

  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_FALSE(fs::exists(group_dir(name)));
}

TEST_F(CgroupV2Test, CommandsWithoutTheVariableFindTheGroupThePotStartedIn) {
  std::string name = start_sleeper("v2-mixed");
  RunOptions other;
  other.env = root().env({"POT_CGROUP=auto"});
  RunResult exec = pot({"exec", "-p", name, "true"}, other);
  EXPECT_POT_OK(exec);
  RunResult rss = pot({"get-rss", "-p", name, "-J"}, other);
  EXPECT_POT_OK(rss);
  RunResult stop = pot({"stop", name}, other);
  EXPECT_POT_OK(stop);
  EXPECT_FALSE(fs::exists(group_dir(name))) << "stop without POT_CGROUP left the v2 group";
  EXPECT_TRUE(root().pot_cgroup_dirs(name).empty());
}

TEST_F(CgroupV2Test, MemoryLimitIsSetOrTheStartRefused) {
  std::string name = create_pot("v2-mem");
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"set-rss", "-p", name, "-M", "32M"}));
  std::string controllers = read_text(fs::path(unified_root()) / "cgroup.controllers");
  bool has_memory = (" " + trim(controllers) + " ").find(" memory ") != std::string::npos;
  RunResult start = pot({"start", name});
  if (has_memory) {
    ASSERT_POT_OK(start);
    EXPECT_EQ(trim(read_text(group_dir(name) / "memory.max")), std::to_string(32 << 20));
    EXPECT_POT_OK(pot({"stop", name}));
  } else {
    // A limit that cannot be enforced must not be ignored silently.
    EXPECT_NE(start.code, 0) << start;
    EXPECT_EQ(start.err_lines().size(), 1U) << start;
    EXPECT_NE(start.err.find("memory"), std::string::npos) << start;
    EXPECT_FALSE(is_running(name));
  }
  EXPECT_FALSE(fs::exists(group_dir(name)));
}

TEST_F(CgroupV2Test, KilledMonitorIsCleanedUpByStop) {
  std::string name = start_sleeper("v2-monitor");
  auto state = root().state(name);
  pid_t monitor = static_cast<pid_t>(std::stol(state["monitor_pid"]));
  pid_t init = init_of(name);
  ASSERT_EQ(::kill(monitor, SIGKILL), 0);
  EXPECT_TRUE(wait_until([&] { return !process_running(init); }, 5000))
      << "the pot outlived its monitor";
  EXPECT_POT_OK(pot({"stop", name}));
  EXPECT_FALSE(fs::exists(group_dir(name)));
}

}  // namespace
}  // namespace potit
