#include "pot/leftovers.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "core/lock.h"
#include "core/names.h"
#include "core/number.h"
#include "core/process.h"
#include "pot/run_state.h"

namespace pot {

std::vector<std::pair<std::string, PotConf>> confs_of_pots_and_creations(const Context& ctx) {
  std::vector<std::pair<std::string, PotConf>> confs;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.settings().jails_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(".")) {
      auto creation = parse_creation_entry(name);
      if (!creation || !creation->creator_alive || creation->destroying) continue;
      name = creation->name;
    }
    // Missing: destroyed meanwhile, or not written yet.
    auto text = read_file_if_exists(entry.path() / "conf" / "pot.conf");
    if (text) confs.emplace_back(std::move(name), PotConf::parse(*text));
  }
  return confs;
}

std::vector<std::string> remove_abandoned_entries(Context& ctx, const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::vector<fs::path> abandoned;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto creation = parse_creation_entry(entry.path().filename().string());
    if (!creation || creation->creator_alive) continue;
    abandoned.push_back(entry.path());
    names.push_back(creation->name);
  }
  for (const auto& path : abandoned) ctx.storage().destroy(path);
  return names;
}

bool remove_abandoned_pots(Context& ctx, const std::string& locked_pot) {
  const Settings& s = ctx.settings();
  std::vector<std::string> names = remove_abandoned_entries(ctx, s.jails_dir());
  bool found_locked = std::find(names.begin(), names.end(), locked_pot) != names.end();
  // Run files whose pot is gone: a command killed after its pot went (destroy, rename)
  // and before it removed them.
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(s.run_dir(), ec)) {
    std::string name = pot_of_run_file(entry.path().filename().string());
    if (!name.empty() && is_valid_name(name) && !ctx.pot_exists(name)) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  for (const auto& name : names) {
    if (!is_valid_name(name)) continue;
    if (name == locked_pot) {
      if (!ctx.pot_exists(name)) remove_run_files(s, name);
      continue;
    }
    // Another command may be making this pot right now: never wait for its lock here (we
    // hold one of ours, and waiting could deadlock), just leave its files to it.
    FileLock lock = FileLock::try_acquire(pot_lock_path(s, name));
    if (!lock.held() || ctx.pot_exists(name)) continue;
    remove_run_files(s, name);
    remove_pot_lock_file(s, name);
  }
  return found_locked;
}

}  // namespace pot
