#include "freebsd/mount_table.h"

#include <sstream>

namespace pot::freebsd {
namespace {

// "\040" and friends back to the characters they stand for.
std::string unescape_octal(const std::string& field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 4 <= field.size()) {
      const std::string digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(digits, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

std::string without_trailing_slash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

}  // namespace

std::vector<MountEntry> parse_mount_p(const std::string& text) {
  std::vector<MountEntry> entries;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string source, mount_point, fstype;
    if (!(fields >> source >> mount_point >> fstype)) continue;
    entries.push_back({unescape_octal(source), unescape_octal(mount_point), fstype});
  }
  return entries;
}

std::vector<MountEntry> pot_mounts_to_undo(const std::vector<MountEntry>& table,
                                           const std::string& root) {
  const std::string base = without_trailing_slash(root);
  const std::string below = base + "/";
  std::vector<MountEntry> undo;
  for (auto it = table.rbegin(); it != table.rend(); ++it) {
    const std::string point = without_trailing_slash(it->mount_point);
    bool inside = point.compare(0, below.size(), below) == 0;
    bool layer_over_root = point == base && (it->fstype == "nullfs" || it->fstype == "unionfs");
    if (inside || layer_over_root) undo.push_back(*it);
  }
  return undo;
}

}  // namespace pot::freebsd
