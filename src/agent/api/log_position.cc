#include "agent/api/log_position.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace pot::agent::http {

std::vector<LogFileEntry> list_log_files(const std::filesystem::path& logs_dir,
                                         const std::string& task, const std::string& type) {
  std::vector<LogFileEntry> files;
  const std::string prefix = task + "." + type + ".";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(logs_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix) || name.size() == prefix.size()) continue;
    const char* digits = name.data() + prefix.size();
    const char* end = name.data() + name.size();
    int64_t number = 0;
    auto [stop, parse_error] = std::from_chars(digits, end, number);
    if (parse_error != std::errc() || stop != end || number < 0) continue;
    std::error_code stat_error;
    if (!entry.is_regular_file(stat_error)) continue;
    const uint64_t size = entry.file_size(stat_error);
    if (stat_error) continue;  // rotated away meanwhile
    files.push_back({number, name, size});
  }
  std::sort(files.begin(), files.end(),
            [](const LogFileEntry& a, const LogFileEntry& b) { return a.number < b.number; });
  return files;
}

LogPosition start_position(const std::vector<LogFileEntry>& files, bool from_end, int64_t offset) {
  // Negating the smallest int64 would overflow; no file is that large anyway.
  offset = std::max(offset, -std::numeric_limits<int64_t>::max());
  if (from_end) offset = -offset;
  std::size_t file = from_end ? files.size() - 1 : 0;
  for (;;) {
    const auto size = static_cast<int64_t>(files[file].size);
    if (offset >= 0) {
      if (offset <= size) return {file, static_cast<uint64_t>(offset)};
      if (file + 1 == files.size()) return {file, static_cast<uint64_t>(size)};
      offset -= size;
      ++file;
    } else {
      if (size + offset >= 0) return {file, static_cast<uint64_t>(size + offset)};
      if (file == 0) return {0, 0};
      offset += size;
      --file;
    }
  }
}

}  // namespace pot::agent::http
