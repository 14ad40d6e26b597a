// Route patterns of potd's HTTP APIs (Nomad's and Consul's): a path split into segments, and
// a pattern's `:name` segments capturing the path's.
#pragma once

#include <string>
#include <vector>

namespace pot::agent {

// "/v1/job/x/allocations" -> {"v1", "job", "x", "allocations"}; empty segments (a doubled
// or trailing slash) are kept, so "/v1/jobs/" is not "/v1/jobs" and matches no route.
std::vector<std::string> split_path(const std::string& path);

// Whether `path` has the pattern's shape; then `params` holds what its `:name` segments
// captured, in order (a capture is never empty).
bool match_segments(const std::vector<std::string>& pattern, const std::vector<std::string>& path,
                    std::vector<std::string>& params);

}  // namespace pot::agent
