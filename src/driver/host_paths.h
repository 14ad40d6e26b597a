// Host paths are a privilege. `copy` and `mount` in a job's config read host paths chosen by
// whoever submits the job; only paths under the prefixes the operator lists
// (POT_HOST_PATHS, colon-separated, or the plugin's `host_paths`) are allowed. The default
// allows none.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pot::driver {

class HostPathPolicy {
 public:
  HostPathPolicy() = default;
  // "/srv/www:/data"; empty entries are ignored; each must be absolute.
  static HostPathPolicy parse(std::string_view colon_separated);
  explicit HostPathPolicy(std::vector<std::filesystem::path> prefixes);

  // The path with every symlink resolved, if it lies under an allowed prefix; else an
  // Error naming the path, the attribute (`what`) and the setting.
  std::filesystem::path check(const std::string& path, std::string_view what) const;

  const std::vector<std::filesystem::path>& prefixes() const { return prefixes_; }

 private:
  std::vector<std::filesystem::path> prefixes_;
};

// "host:pot" (copy, mount): split at the first colon; both must be absolute paths.
struct PathPair {
  std::string host;
  std::string pot;
};
PathPair split_path_pair(const std::string& entry, std::string_view what);

}  // namespace pot::driver
