// The btrfs backend: every base and pot root is a subvolume, and clone, snapshot and
// rollback are btrfs snapshots (copy-on-write, constant time) made through libbtrfsutil.
// When POT_FS_ROOT is not on btrfs, `pot init` formats an image file under the root
// (POT_POOL_SIZE, sparse) and loop-mounts it over the root; after a reboot the first
// command mounts it again.
#include <btrfsutil.h>
#include <dirent.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "core/error.h"
#include "core/file_util.h"
#include "core/process.h"
#include "core/size.h"
#include "core/unique_fd.h"
#include "storage/loop_device.h"
#include "storage/path_storage.h"

namespace pot {

std::unique_ptr<Storage> make_btrfs_storage(const Settings& settings);

namespace {

constexpr const char* kPoolImage = ".pot-pool.img";

bool is_btrfs(const fs::path& path) {
  struct statfs st {};
  return ::statfs(path.c_str(), &st) == 0 && st.f_type == BTRFS_SUPER_MAGIC;
}

void check(btrfs_util_error err, const std::string& what) {
  if (err != BTRFS_UTIL_OK) throw Error(what + ": " + btrfs_util_strerror(err), errno);
}

class BtrfsStorage : public PathStorage {
 public:
  explicit BtrfsStorage(const Settings& settings) : settings_(settings) {}
  std::string name() const override { return "btrfs"; }

  void init() override {
    const fs::path& root = settings_.fs_root;
    make_dirs(root);
    if (!is_btrfs(root)) {
      fs::path image = root / kPoolImage;
      if (!fs::exists(image)) create_pool_image(image);
      mount_pool(image);
    }
    make_private_dirs(settings_);
  }

  void ensure_ready() override {
    const fs::path& root = settings_.fs_root;
    if (is_btrfs(root)) {
      if (fs::is_directory(settings_.jails_dir())) return;
    } else if (fs::exists(root / kPoolImage)) {
      mount_pool(root / kPoolImage);  // after a reboot: the image is there, the mount is not
      return;
    }
    throw Error("POT_FS_ROOT " + quote_name(root.string()) + " is not initialised: run `pot init`");
  }

  void deinit() override {
    const fs::path& root = settings_.fs_root;
    fs::path image = root / kPoolImage;
    // Only the pool pot mounted is unmounted, as the kernel names it (the loop device of our
    // image on the root). A btrfs root given to pot, a directory on btrfs or an admin's own
    // mount point, stays mounted; only pot's datasets in it go.
    bool our_pool = is_loop_mount_of(root, image);
    if (our_pool) {
      // A process that just finished with a pot (a monitor exiting) may still hold a file for
      // a moment: retry briefly before reporting the pool busy.
      int attempts = 0;
      while (::umount2(root.c_str(), 0) != 0) {
        if (errno != EBUSY || ++attempts > 50)
          throw_sys("unmounting the pool from " + quote_name(root.string()));
        ::usleep(100 * 1000);
      }
    }
    // Unmounting releases the auto-clearing loop device; the image is now visible again. On a
    // btrfs root pot never makes one, so a file of that name there is not ours.
    std::error_code ec;
    if (our_pool || !is_btrfs(root)) fs::remove(image, ec);
    if (is_btrfs(root)) {
      for (const auto& dir : {settings_.bases_dir(), settings_.jails_dir()}) destroy(dir);
    }
  }

  void create(const fs::path& dataset) override {
    check(btrfs_util_create_subvolume(dataset.c_str(), 0, nullptr, nullptr),
          "creating subvolume " + quote_name(dataset.string()));
  }

  void clone(const fs::path& source, const fs::path& target, bool read_only) override {
    int flags = read_only ? BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY : 0;
    check(btrfs_util_create_snapshot(source.c_str(), target.c_str(), flags, nullptr, nullptr),
          "snapshotting " + quote_name(source.string()) + " to " + quote_name(target.string()));
  }

  void destroy(const fs::path& dataset) override {
    struct stat st {};
    if (::lstat(dataset.c_str(), &st) != 0) return;
    if (S_ISDIR(st.st_mode) && is_dataset(dataset)) {
      check(btrfs_util_delete_subvolume(dataset.c_str(), BTRFS_UTIL_DELETE_SUBVOLUME_RECURSIVE),
            "deleting subvolume " + quote_name(dataset.string()));
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      if (::unlink(dataset.c_str()) != 0) throw_sys("removing " + quote_name(dataset.string()));
      return;
    }
    // A plain directory may hold subvolumes (a pot's directory holds its root and snapshots).
    std::vector<fs::path> children;
    for (const auto& entry : fs::directory_iterator(dataset)) children.push_back(entry.path());
    for (const auto& child : children) destroy(child);
    if (::rmdir(dataset.c_str()) != 0) throw_sys("removing " + quote_name(dataset.string()));
  }

  bool is_dataset(const fs::path& path) const override {
    return btrfs_util_is_subvolume(path.c_str()) == BTRFS_UTIL_OK;
  }

 private:
  void create_pool_image(const fs::path& image) {
    fs::path partial = image;
    partial += ".partial";
    {
      UniqueFd fd(::open(partial.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
      if (!fd) throw_sys("creating pool image " + quote_name(partial.string()));
      if (::ftruncate(fd.get(), static_cast<off_t>(settings_.pool_size)) != 0)
        throw_sys("sizing pool image to " + format_size(settings_.pool_size));
    }
    // No library formats btrfs: mkfs.btrfs is the interface for this one step.
    int code =
        run_program({"mkfs.btrfs", "-q", "-f", partial.string()}, {.quiet = true, .env = {}});
    if (code != 0) {
      ::unlink(partial.c_str());
      throw Error("mkfs.btrfs on " + quote_name(partial.string()) + " failed with code " +
                  std::to_string(code) + " (POT_POOL_SIZE " + format_size(settings_.pool_size) +
                  " may be too small)");
    }
    if (::rename(partial.c_str(), image.c_str()) != 0) throw_sys("renaming pool image");
  }

  void mount_pool(const fs::path& image) {
    LoopDevice loop = attach_loop_device(image);
    if (::mount(loop.path.c_str(), settings_.fs_root.c_str(), "btrfs", MS_NOATIME, nullptr) != 0)
      throw_sys("mounting " + quote_name(loop.path) + " on " +
                quote_name(settings_.fs_root.string()));
    // The mount now holds the device; closing our fd lets auto-clear act on unmount.
  }

  Settings settings_;
};

}  // namespace

std::unique_ptr<Storage> make_btrfs_storage(const Settings& settings) {
  return std::make_unique<BtrfsStorage>(settings);
}

}  // namespace pot
