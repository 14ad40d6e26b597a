// What the Linux backends (btrfs, dir) share: datasets are directories under POT_FS_ROOT,
// renamed with rename(2), and a pot's snapshots are read-only clones of its writable
// dataset (m for a single pot, upper for a multi pot's overlay) in jails/<pot>/snap/<name>.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace pot {

class PathStorage : public Storage {
 public:
  void rename(const std::filesystem::path& from, const std::filesystem::path& to) override;
  void snapshot(const std::filesystem::path& pot_dir, const std::string& name) override;
  std::vector<std::string> snapshots(const std::filesystem::path& pot_dir) const override;
  void destroy_snapshot(const std::filesystem::path& pot_dir, const std::string& name) override;
  void rollback(const std::filesystem::path& pot_dir, const std::string& name) override;
  std::filesystem::path snapshot_root(const std::filesystem::path& pot_dir,
                                      const std::string& name) const override;

 private:
  std::filesystem::path writable_dataset(const std::filesystem::path& pot_dir) const;
};

}  // namespace pot
