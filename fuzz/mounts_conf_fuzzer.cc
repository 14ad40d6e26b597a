// load_mounts and save_mounts: jails/<pot>/conf/fscomp.conf, the mount-in list (`<host path>
// <mount point> [ro]` lines) that `pot start` turns into bind mounts. The input is written as
// the file of a pot in a private temporary root. Checks, beyond no crash and no sanitizer
// report:
//  - every mount read has a host path and a mount point, neither empty nor holding white
//    space (either would make another split of the line);
//  - saving the mounts read and loading them again gives back the same mounts.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/file_util.h"
#include "core/settings.h"
#include "fuzz_check.h"
#include "fuzz_temp_dir.h"
#include "pot/mounts_conf.h"

namespace {

bool has_space(const std::string& text) {
  for (char c : text) {
    if (std::isspace(static_cast<unsigned char>(c))) return true;
  }
  return false;
}

bool same(const std::vector<pot::BindMount>& a, const std::vector<pot::BindMount>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].host_path != b[i].host_path || a[i].pot_path != b[i].pot_path ||
        a[i].read_only != b[i].read_only)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const pot::Settings settings = [] {
    pot::Settings s;
    s.fs_root = pot::fuzz::temp_dir("mounts_conf");
    pot::make_dirs(s.jail_dir("web") / "conf");
    return s;
  }();
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pot::write_file_atomic(settings.jail_dir("web") / "conf" / "fscomp.conf", text, 0644,
                         pot::Durability::kVolatile);

  std::vector<pot::BindMount> mounts = pot::load_mounts(settings, "web");
  for (const auto& mount : mounts) {
    FUZZ_CHECK(!mount.host_path.empty() && !has_space(mount.host_path));
    FUZZ_CHECK(!mount.pot_path.empty() && !has_space(mount.pot_path));
  }
  pot::save_mounts(settings, "web", mounts);
  FUZZ_CHECK(same(pot::load_mounts(settings, "web"), mounts));
  return 0;
}
