// The dir backend: datasets are plain directories and clones are full copies. For hosts
// where btrfs cannot be used; slower and larger, same behaviour.
#include <fcntl.h>
#include <sys/stat.h>

#include "core/copy_tree.h"
#include "core/error.h"
#include "core/file_util.h"
#include "storage/path_storage.h"

namespace pot {

namespace {

class DirStorage : public PathStorage {
 public:
  explicit DirStorage(const Settings& settings) : settings_(settings) {}
  std::string name() const override { return "dir"; }

  void init() override { make_private_dirs(settings_); }

  void ensure_ready() override {
    if (!fs::is_directory(settings_.jails_dir()))
      throw Error("POT_FS_ROOT " + quote_name(settings_.fs_root.string()) +
                  " is not initialised: run `pot init`");
  }

  void deinit() override {
    for (const auto& dir : {settings_.bases_dir(), settings_.jails_dir()}) remove_tree(dir);
  }

  void create(const fs::path& dataset) override {
    if (::mkdir(dataset.c_str(), 0755) != 0) throw_sys("creating " + quote_name(dataset.string()));
  }

  void clone(const fs::path& source, const fs::path& target, bool /*read_only*/) override {
    if (::access(target.c_str(), F_OK) == 0)
      throw_sys("cloning to " + quote_name(target.string()), EEXIST);
    copy_tree(AT_FDCWD, source.string(), AT_FDCWD, target.string());
  }

  void destroy(const fs::path& dataset) override { remove_tree(dataset); }

  bool is_dataset(const fs::path& path) const override { return fs::is_directory(path); }

 private:
  Settings settings_;
};

}  // namespace

std::unique_ptr<Storage> make_dir_storage(const Settings& settings) {
  return std::make_unique<DirStorage>(settings);
}

}  // namespace pot
