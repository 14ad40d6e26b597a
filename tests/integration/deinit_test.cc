// `pot de-init` on a btrfs root that pot did not mount: a directory on btrfs, or an admin's own
// btrfs mount point. The test's loop-mounted btrfs plays that filesystem. de-init must remove
// pot's bases and pots (no subvolume left) and leave the admin's filesystem mounted; only the
// pool pot mounted itself (every other suite's root) is ever unmounted.
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "harness.h"
#include "helpers/require.h"

namespace potit {
namespace {

// A btrfs filesystem in a file of a temporary directory, on a loop device, mounted at
// mount_point(). The destructor unmounts it (and anything pot left under it), detaches the
// device and removes the directory, also when the test failed half-way.
class NativeBtrfs {
 public:
  NativeBtrfs() : dir_(make_temp_dir("potbtrfs")) {
    try {
      fs::path image = dir_ / "native.img";
      fs::path mount_point = dir_ / "mnt";
      write_text(image, "");
      fs::resize_file(image, 1ULL << 30);  // sparse
      expect_ok(run({"mkfs.btrfs", "-q", "-f", image.string()}));
      device_ = trim(expect_ok(run({"losetup", "--find", "--show", image.string()})).out);
      fs::create_directories(mount_point);
      if (::mount(device_.c_str(), mount_point.c_str(), "btrfs", 0, nullptr) != 0)
        throw StepFailed("mounting " + device_ + " on " + mount_point.string() + ": " +
                         std::strerror(errno));
      mount_point_ = mount_point;
    } catch (...) {
      clean_up();
      throw;
    }
  }
  ~NativeBtrfs() { clean_up(); }
  NativeBtrfs(const NativeBtrfs&) = delete;
  NativeBtrfs& operator=(const NativeBtrfs&) = delete;

  const fs::path& mount_point() const { return mount_point_; }

  // Whether our filesystem is still mounted on top at mount_point() (device and place).
  bool mounted() const {
    for (const auto& line : split_lines(read_text("/proc/self/mountinfo"))) {
      if (line.find(" " + mount_point_.string() + " ") != std::string::npos &&
          line.find(" - btrfs " + device_ + " ") != std::string::npos)
        return true;
    }
    return false;
  }

  // `btrfs subvolume list`: one line per subvolume in the filesystem.
  std::vector<std::string> subvolumes() const {
    return split_lines(expect_ok(run({"btrfs", "subvolume", "list", mount_point_.string()})).out);
  }

  static RunResult run(const std::vector<std::string>& argv) {
    return run_process(argv, {base_environment(), 120, ""});
  }

 private:
  void clean_up() {
    detach_mounts_under(dir_);
    if (!device_.empty()) {
      // A lazily detached mount may hold the device a moment longer; a busy device is
      // detached by the kernel once free (losetup -d sets auto-clear on it).
      wait_until([&] { return run({"losetup", "-d", device_}).ok(); }, 3000, 50);
    }
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  fs::path dir_;
  fs::path mount_point_;
  std::string device_;
};

class DeinitTest : public ::testing::Test {
 protected:
  void SetUp() override { POT_REQUIRE_ROOT("pot integration tests"); }

  static RunResult pot(const fs::path& fs_root, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {pot_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::vector<std::string> env = base_environment();
    env.push_back("POT_FS_ROOT=" + fs_root.string());
    env.push_back("POT_STORAGE=btrfs");
    return run_process(argv, {env, 300, ""});
  }

  // init, a base and a pot (two subvolumes at least) in `fs_root`, then de-init: it succeeds,
  // no subvolume is left, and the filesystem stays mounted.
  void check_deinit_keeps_the_filesystem(const NativeBtrfs& btrfs, const fs::path& fs_root) {
    ASSERT_TRUE(btrfs.mounted());
    ASSERT_POT_OK(pot(fs_root, {"init"}));
    EXPECT_FALSE(fs::exists(fs_root / ".pot-pool.img")) << "a btrfs root needs no pool";
    ASSERT_POT_OK(pot(fs_root, {"create-base", "-b", "bb", "-r", "busybox"}));
    ASSERT_POT_OK(pot(fs_root, {"create", "-p", "native", "-b", "bb"}));
    auto before = btrfs.subvolumes();
    ASSERT_GE(before.size(), 2U) << "the base and the pot are subvolumes of this filesystem";

    RunResult deinit = pot(fs_root, {"de-init"});
    EXPECT_POT_OK(deinit);
    EXPECT_TRUE(btrfs.mounted()) << "de-init unmounted a filesystem pot did not mount";
    EXPECT_EQ(btrfs.subvolumes(), std::vector<std::string>{}) << "de-init left subvolumes";
    for (const char* dir : {"bases", "jails", "cache", "bridges", "run"})
      EXPECT_FALSE(fs::exists(fs_root / dir)) << dir;
  }
};

TEST_F(DeinitTest, RootInADirectoryOnBtrfsIsClearedAndTheFilesystemStays) {
  NativeBtrfs btrfs;
  fs::path fs_root = btrfs.mount_point() / "pots";
  check_deinit_keeps_the_filesystem(btrfs, fs_root);
  EXPECT_FALSE(fs::exists(fs_root)) << "the emptied root directory is removed";
}

TEST_F(DeinitTest, RootThatIsABtrfsMountPointIsClearedAndStaysMounted) {
  NativeBtrfs btrfs;
  check_deinit_keeps_the_filesystem(btrfs, btrfs.mount_point());
  EXPECT_TRUE(dir_entries(btrfs.mount_point()).empty())
      << "nothing of pot's is left in the admin's filesystem";
}

}  // namespace
}  // namespace potit
