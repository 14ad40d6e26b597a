// The integration-test harness: runs the built `pot` binary as a user would, each suite in
// a POT_FS_ROOT of its own, and checks afterwards that nothing was left behind on the host
// (mounts, cgroups, loop devices, files).
//
// Tests are black-box: they only run `pot` (and host tools), read what a user could read
// (exit codes, stdout, stderr, the pot's files under POT_FS_ROOT, /sys/fs/cgroup, /proc),
// and look at a pot from the inside with pot_probe, a static helper copied into the pot.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace potit {

namespace fs = std::filesystem;

// Paths of the programs under test, from CMake.
const char* pot_binary();
const char* probe_binary();

// ---------------------------------------------------------------------------------------------
// Running programs
// ---------------------------------------------------------------------------------------------

struct RunOptions {
  std::vector<std::string> env;  // the complete environment of the child
  int timeout_seconds = 120;     // then the child gets SIGKILL and timed_out is set
  std::string input;             // written to stdin (then closed); empty: /dev/null
};

struct RunResult {
  std::vector<std::string> argv;
  int code = -1;  // exit code, or 128 + signal number
  bool timed_out = false;
  bool output_held_open = false;  // stdout/stderr stayed open after the child exited: a
                                  // process it left behind (a daemon) still holds them
  std::string out, err;
  double seconds = 0;

  bool ok() const { return code == 0 && !timed_out; }
  std::vector<std::string> err_lines() const;  // stderr split into lines, no empty last line
  std::vector<std::string> out_lines() const;
  std::string describe() const;  // for failure messages
};

std::ostream& operator<<(std::ostream& os, const RunResult& result);

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& options);
// The current environment without POT_* variables.
std::vector<std::string> base_environment();

// A program running in the background, its stdout and stderr going to files. The destructor
// kills (SIGKILL) and reaps it if it still runs.
class Background {
 public:
  Background(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             const fs::path& out, const fs::path& err);
  ~Background();
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;

  pid_t pid() const { return pid_; }
  // Exit code (128 + signal when killed) once it has exited, waiting up to timeout_ms.
  std::optional<int> wait(int timeout_ms);
  bool running();
  void kill(int sig);
  std::string out() const;
  std::string err() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> code_;
  fs::path out_, err_;
};

// ---------------------------------------------------------------------------------------------
// Small host helpers
// ---------------------------------------------------------------------------------------------

std::string read_text(const fs::path& path);  // "" when missing
void write_text(const fs::path& path, const std::string& text, mode_t mode = 0644);
std::vector<std::string> split_lines(const std::string& text);
std::string trim(const std::string& text);
// KEY=VALUE lines (pot's state files).
std::map<std::string, std::string> parse_assignments(const std::string& text);
// True when the process exists and is not a zombie.
bool process_running(pid_t pid);
// Polls pred every step_ms until it is true or timeout_ms passed; returns pred's last value.
bool wait_until(const std::function<bool()>& pred, int timeout_ms, int step_ms = 20);
std::string sha256_of(const fs::path& path);
// Names of the entries of a directory (with hidden ones), sorted; empty when missing.
std::set<std::string> dir_entries(const fs::path& dir);
// A fresh directory from mkdtemp under /tmp.
fs::path make_temp_dir(const std::string& prefix);
// Unmounts (MNT_DETACH) every mount at or under `dir`, deepest first; returns their paths.
std::vector<std::string> detach_mounts_under(const fs::path& dir);
std::vector<std::string> mounts_under(const fs::path& dir);
// The names of the network interfaces in a /proc/net/dev text.
std::set<std::string> interfaces_in(const std::string& proc_net_dev);

// ---------------------------------------------------------------------------------------------
// A POT_FS_ROOT of our own
// ---------------------------------------------------------------------------------------------

struct RootOptions {
  std::string storage = "btrfs";  // POT_STORAGE: btrfs or dir
  // Run a private copy of the pot binary, for tests that try to overwrite it from inside.
  bool private_binary = false;
  // More VAR=value for every pot command (e.g. POT_CGROUP=v2).
  std::vector<std::string> env;
};

class PotRoot {
 public:
  explicit PotRoot(RootOptions options);
  ~PotRoot();
  PotRoot(const PotRoot&) = delete;
  PotRoot& operator=(const PotRoot&) = delete;

  const fs::path& tmp() const { return tmp_; }          // the mkdtemp dir: root, logs, files
  const fs::path& fs_root() const { return fs_root_; }  // POT_FS_ROOT
  const std::string& storage() const { return options_.storage; }
  const std::string& binary() const { return binary_; }

  std::vector<std::string> env(const std::vector<std::string>& extra = {}) const;
  RunResult pot(const std::vector<std::string>& args, RunOptions options = {}) const;
  // `pot ARGS` in the background, output to files under tmp().
  std::unique_ptr<Background> pot_background(const std::vector<std::string>& args) const;

  // `pot init` and `pot create-base -b bb -r busybox`; throws on failure.
  void init_with_base();

  // The pot's run/<name>.state as KEY=VALUE (empty when there is none).
  std::map<std::string, std::string> state(const std::string& pot) const;
  std::string status(const std::string& pot) const;  // "stopped" when there is no state
  fs::path jail_dir(const std::string& pot) const { return fs_root_ / "jails" / pot; }

  // pot's cgroup naming: "pot-<tag>/<pot>", the tag an FNV-1a hash of POT_FS_ROOT.
  std::string root_tag() const;
  // The existing cgroup directories of this root (pot-<tag>) and of one pot in it, over all
  // hierarchies (v1: one per controller; v2: one).
  std::vector<fs::path> root_cgroup_dirs() const;
  std::vector<fs::path> pot_cgroup_dirs(const std::string& pot) const;

  // `pot de-init`, then checks that nothing is left and removes what is: mounts under
  // tmp(), loop devices backed by files in it, cgroups of this root, tmp() itself. Returns
  // one line per problem found (empty: clean).
  std::vector<std::string> teardown();

 private:
  RootOptions options_;
  fs::path tmp_, fs_root_;
  std::string binary_;
  bool torn_down_ = false;
};

// Thrown by the helpers below when a step a test depends on fails; gtest reports it as a
// failure of the test, with the command and its output.
// A pot serving /www/index.html ("page from the image\n") with `httpd -f -p 80 -h /www`,
// exported as the image `<pot>_<tag>` (the pot itself destroyed again) and served by
// `pot registry serve` on 127.0.0.1, on a port the kernel picks: what the driver's and
// potd's tests run as tasks.
struct ServedImage {
  std::string pot;
  std::string url;  // http://127.0.0.1:PORT
  std::unique_ptr<Background> server;
};
ServedImage serve_httpd_image(const PotRoot& root, const std::string& pot, const std::string& tag);

struct StepFailed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws StepFailed unless the command exited 0.
const RunResult& expect_ok(const RunResult& result);

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

// Base fixture: one PotRoot (with the busybox base `bb`) per storage backend, made on first
// use in a suite and torn down, with the leak checks, at the end of the suite. Each test
// registers the pots it makes; TearDown destroys them (-F) even when the test failed and
// checks that their cgroups are gone.
class PotTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();
  static void TearDownTestSuite();

 protected:
  void SetUp() override;
  void TearDown() override;

  // The storage backend this test runs on (parametrized suites override it).
  virtual std::string storage_backend() const { return "btrfs"; }
  virtual bool private_binary() const { return false; }
  virtual std::vector<std::string> root_env() const { return {}; }

  PotRoot& root() { return *root_; }
  RunResult pot(const std::vector<std::string>& args, RunOptions options = {}) const {
    return root_->pot(args, std::move(options));
  }

  // A name no other test in this process uses: "<prefix>-<n>".
  static std::string unique_name(const std::string& prefix);
  // Registers a pot name for cleanup at the end of the test (also for pots a test expects
  // a command to create, or renames to).
  void track(const std::string& pot) { tracked_.push_back(pot); }
  // `pot create -p <unique> -b bb EXTRA...`, tracked; returns the name. Throws on failure.
  std::string create_pot(const std::string& prefix, const std::vector<std::string>& extra = {});
  // A pot that runs `cmd` once in the foreground on `pot start` (persistent NO).
  std::string create_one_shot(const std::string& prefix, const std::string& cmd,
                              const std::vector<std::string>& extra = {});
  // Copies pot_probe into the pot as /probe.
  void copy_probe(const std::string& pot);
  // Sets pot.cmd and runs the pot once: `pot set-cmd`, `pot start`.
  RunResult run_once(const std::string& pot, const std::string& cmd);
  // `pot stop` of a running pot whose command ignores SIGTERM (so the stop waits, with
  // POT_STOP_TIMEOUT=60), killed with SIGKILL once the pot's status is `stopping`: a stop
  // killed half-way. Throws StepFailed when the stop never got there.
  void kill_stop_midway(const std::string& pot);
  // True while `pot info -r` says the pot runs.
  bool is_running(const std::string& pot) const;
  // A host file with this content, under the root's tmp dir (outside POT_FS_ROOT).
  fs::path host_file(const std::string& name, const std::string& content);

 private:
  static std::map<std::string, std::unique_ptr<PotRoot>>& roots();
  PotRoot* root_ = nullptr;
  std::vector<std::string> tracked_;
};

// Parametrized over the storage backend:
//   INSTANTIATE_TEST_SUITE_P(Storage, MyTest, StorageBackends(), StorageName);
class StoragePotTest : public PotTest, public ::testing::WithParamInterface<std::string> {
 protected:
  std::string storage_backend() const override { return GetParam(); }
};

inline auto StorageBackends() {
  return ::testing::Values(std::string("btrfs"), std::string("dir"));
}
inline std::string StorageName(const ::testing::TestParamInfo<std::string>& info) {
  return info.param;
}

}  // namespace potit

// Checks that a pot command succeeded, printing the command and its output otherwise;
// more can be streamed in, as with EXPECT_TRUE.
#define POTIT_CHECK_OK_(expr, fail)                                             \
  switch (0)                                                                    \
  case 0:                                                                       \
  default:                                                                      \
    if (const ::potit::RunResult& potit_result_ = (expr); potit_result_.ok()) { \
    } else                                                                      \
      fail << "failed: " #expr "\n" << potit_result_ << "\n"
#define EXPECT_POT_OK(expr) POTIT_CHECK_OK_(expr, ADD_FAILURE())
#define ASSERT_POT_OK(expr) POTIT_CHECK_OK_(expr, GTEST_FAIL())
