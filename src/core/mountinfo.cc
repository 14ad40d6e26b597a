#include "core/mountinfo.h"

#include <sstream>

#include "core/file_util.h"

namespace pot {

std::string unescape_mountinfo(std::string_view field) {
  auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) &&
        is_octal(field[i + 2]) && is_octal(field[i + 3])) {
      out.push_back(static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 +
                                      (field[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(field[i]);
    }
  }
  return out;
}

std::vector<MountInfo> read_mountinfo() {
  // id parent major:minor root mount-point options [optional fields...] - fstype source super
  std::vector<MountInfo> mounts;
  std::istringstream lines(read_file("/proc/self/mountinfo"));
  std::string line;
  while (std::getline(lines, line)) {
    size_t separator = line.find(" - ");
    if (separator == std::string::npos) continue;
    std::istringstream head(line.substr(0, separator)), tail(line.substr(separator + 3));
    MountInfo mount;
    std::string point, source;
    if (!(head >> mount.id >> mount.parent >> mount.device >> mount.root >> point) ||
        !(tail >> mount.fstype >> source))
      continue;
    tail >> mount.super_options;
    mount.mount_point = unescape_mountinfo(point);
    mount.source = unescape_mountinfo(source);
    mounts.push_back(std::move(mount));
  }
  return mounts;
}

}  // namespace pot
