// Suggestions for misspelt names, as HCL's diagnostics make them ("Did you mean "count"?").
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hcl {

// Levenshtein distance: insertions, deletions and substitutions of one byte each.
std::size_t edit_distance(std::string_view a, std::string_view b);

// ` Did you mean "CANDIDATE"?` for the first candidate fewer than 3 edits from `name`
// (HCL's own threshold), else empty: ready to append to a diagnostic's detail.
std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates);

}  // namespace hcl
