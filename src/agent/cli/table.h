// Nomad's tables and key/value blocks (its `formatList` and `formatKV` over columnize):
// cells left aligned, columns padded to their widest cell and separated by two spaces (a
// key/value block by " = "), the last column unpadded, an empty cell shown as "<none>".
// Users who read `nomad job status` read `potd job status` the same way.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pot::agent {

using TableRow = std::vector<std::string>;

// The rows, the first one usually the header, joined by newlines (no trailing newline).
std::string format_list(const std::vector<TableRow>& rows);

// "Key  = value" lines, the keys padded to the longest.
std::string format_kv(const std::vector<std::pair<std::string, std::string>>& pairs);

// Nomad's `limit`: the first `length` characters (short IDs are 8).
std::string limit(const std::string& text, std::size_t length);

inline constexpr std::size_t kShortId = 8;
inline constexpr std::size_t kFullId = 36;

}  // namespace pot::agent
