#include "pot/mounts_conf.h"

#include <sstream>

#include "core/file_util.h"

namespace pot {

static fs::path fscomp_path(const Settings& settings, const std::string& pot) {
  return settings.jail_dir(pot) / "conf" / "fscomp.conf";
}

std::vector<BindMount> load_mounts(const Settings& settings, const std::string& pot) {
  std::vector<BindMount> mounts;
  auto text = read_file_if_exists(fscomp_path(settings, pot));
  if (!text) return mounts;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    BindMount mount;
    std::string option;
    if (!(words >> mount.host_path >> mount.pot_path)) continue;
    words >> option;
    mount.read_only = option == "ro";
    mounts.push_back(mount);
  }
  return mounts;
}

void save_mounts(const Settings& settings, const std::string& pot,
                 const std::vector<BindMount>& mounts) {
  std::string text;
  for (const auto& mount : mounts)
    text += mount.host_path + " " + mount.pot_path + (mount.read_only ? " ro" : "") + "\n";
  write_file_atomic(fscomp_path(settings, pot), text);
}

}  // namespace pot
