#include "agent/api/path_pattern.h"

#include <utility>

namespace pot::agent {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> segments;
  std::size_t start = path.starts_with('/') ? 1 : 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    segments.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return segments;
}

bool match_segments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::vector<std::string>& params) {
  if (pattern.size() != path.size()) return false;
  std::vector<std::string> captured;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i].starts_with(':')) {
      if (path[i].empty()) return false;
      captured.push_back(path[i]);
    } else if (pattern[i] != path[i]) {
      return false;
    }
  }
  params = std::move(captured);
  return true;
}

}  // namespace pot::agent
