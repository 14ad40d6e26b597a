#include "driver/host_paths.h"

#include <system_error>

#include "core/error.h"
#include "core/names.h"

namespace pot::driver {

namespace fs = std::filesystem;

HostPathPolicy::HostPathPolicy(std::vector<fs::path> prefixes) {
  for (auto& prefix : prefixes) {
    if (!prefix.is_absolute())
      throw Error("POT_HOST_PATHS entry " + quote_name(prefix.string()) + ": not an absolute path");
    // A prefix that exists is compared in its resolved form, as the paths checked are.
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(prefix, ec);
    prefixes_.push_back(ec ? prefix.lexically_normal() : resolved);
  }
}

HostPathPolicy HostPathPolicy::parse(std::string_view colon_separated) {
  std::vector<fs::path> prefixes;
  size_t pos = 0;
  while (pos <= colon_separated.size()) {
    size_t end = colon_separated.find(':', pos);
    if (end == std::string_view::npos) end = colon_separated.size();
    if (end > pos) prefixes.emplace_back(std::string(colon_separated.substr(pos, end - pos)));
    pos = end + 1;
  }
  return HostPathPolicy(std::move(prefixes));
}

// Whether `path` is `prefix` or below it, compared by whole components (/srv/www2 is not
// under /srv/www).
static bool is_under(const fs::path& path, const fs::path& prefix) {
  auto p = path.begin();
  for (const auto& part : prefix) {
    if (part.empty()) continue;  // the trailing "" of "/srv/"
    if (p == path.end() || *p != part) return false;
    ++p;
  }
  return true;
}

fs::path HostPathPolicy::check(const std::string& path, std::string_view what) const {
  std::string label = std::string(what) + " source " + quote_name(path);
  if (path.empty() || path.front() != '/') throw Error(label + ": not an absolute host path");
  std::error_code ec;
  // Symlinks resolved first: a link under an allowed prefix may point anywhere.
  fs::path resolved = fs::canonical(path, ec);
  if (ec) throw Error(label + ": " + ec.message());
  for (const auto& prefix : prefixes_) {
    if (is_under(resolved, prefix)) return resolved;
  }
  if (prefixes_.empty())
    throw Error(label +
                ": host paths are not allowed (POT_HOST_PATHS, or the plugin's "
                "host_paths, lists the directories jobs may use)");
  throw Error(label + ": not under an allowed prefix of POT_HOST_PATHS");
}

PathPair split_path_pair(const std::string& entry, std::string_view what) {
  size_t colon = entry.find(':');
  if (colon == std::string::npos)
    throw Error(std::string(what) + " entry " + quote_name(entry) +
                ": expected HOST_PATH:POT_PATH");
  PathPair pair{entry.substr(0, colon), entry.substr(colon + 1)};
  if (pair.host.empty() || pair.host.front() != '/' || pair.pot.empty() || pair.pot.front() != '/')
    throw Error(std::string(what) + " entry " + quote_name(entry) +
                ": both paths must be absolute (HOST_PATH:POT_PATH)");
  return pair;
}

}  // namespace pot::driver
