#include "storage/path_storage.h"

#include <fcntl.h>
#include <stdio.h>

#include <algorithm>
#include <utility>

#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "core/work_entries.h"

namespace pot {

namespace {

fs::path snapshot_dir(const fs::path& pot_dir) {
  return pot_dir / "snap";
}

// Removes what killed snapshots and reverts left in `dir`: entries whose process is gone.
void remove_abandoned(Storage& storage, const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto work = parse_creation_entry(entry.path().filename().string());
    if (work && !work->creator_alive) storage.destroy(entry.path());
  }
}

}  // namespace

void PathStorage::rename(const fs::path& from, const fs::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0)
    throw_sys("renaming " + quote_name(from.string()) + " to " + quote_name(to.string()));
}

// A multi pot writes to its overlay's upper dataset; a single pot to its root.
fs::path PathStorage::writable_dataset(const fs::path& pot_dir) const {
  fs::path upper = pot_dir / "upper";
  return is_dataset(upper) ? upper : pot_dir / "m";
}

void PathStorage::snapshot(const fs::path& pot_dir, const std::string& name) {
  fs::path dir = snapshot_dir(pot_dir);
  make_dirs(dir);
  remove_abandoned(*this, dir);
  if (fs::exists(dir / name))
    throw Error("snapshot " + quote_name(name) + " of " + quote_name(pot_dir.string()) +
                " exists already");
  // Under a hidden name first: a copy (dir storage) killed halfway must not pass for one.
  fs::path tmp = creation_path(dir, name);
  try {
    clone(writable_dataset(pot_dir), tmp, /*read_only=*/true);
    rename(tmp, dir / name);
  } catch (...) {
    destroy(tmp);
    throw;
  }
}

std::vector<std::string> PathStorage::snapshots(const fs::path& pot_dir) const {
  fs::path dir = snapshot_dir(pot_dir);
  std::vector<std::pair<uint64_t, std::string>> stamped;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string file = entry.path().filename().string();
    if (parse_creation_entry(file)) continue;  // a snapshot being taken, or abandoned
    std::string what = "snapshot " + quote_name(file) + " in " + quote_name(dir.string());
    stamped.emplace_back(parse_unsigned(file, what), file);
  }
  std::sort(stamped.begin(), stamped.end());
  std::vector<std::string> names;
  for (auto& [stamp, file] : stamped) names.push_back(std::move(file));
  return names;
}

void PathStorage::destroy_snapshot(const fs::path& pot_dir, const std::string& name) {
  destroy(snapshot_dir(pot_dir) / name);
}

void PathStorage::rollback(const fs::path& pot_dir, const std::string& name) {
  fs::path snapshot = snapshot_dir(pot_dir) / name;
  if (!is_dataset(snapshot))
    throw Error("snapshot " + quote_name(name) + " of " + quote_name(pot_dir.string()) +
                " does not exist");
  remove_abandoned(*this, pot_dir);
  fs::path dataset = writable_dataset(pot_dir);
  // Clone under a hidden name, then swap it with the dataset in one step (RENAME_EXCHANGE),
  // so the pot has a root at every moment; the hidden name then holds the old dataset, and
  // a kill leaves only that hidden copy, which the next rollback removes.
  fs::path swap = creation_path(pot_dir, "revert");
  try {
    clone(snapshot, swap, /*read_only=*/false);
    if (::renameat2(AT_FDCWD, swap.c_str(), AT_FDCWD, dataset.c_str(), RENAME_EXCHANGE) != 0)
      throw_sys("reverting " + quote_name(pot_dir.string()));
  } catch (...) {
    destroy(swap);
    throw;
  }
  destroy(swap);
}

fs::path PathStorage::snapshot_root(const fs::path& pot_dir, const std::string& name) const {
  return snapshot_dir(pot_dir) / name;
}

}  // namespace pot
