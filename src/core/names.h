// Names of pots, bases, snapshots and bridges become directory names, cgroup names and
// (later) interface and DNS names, so they are checked once, at the boundary.
#pragma once

#include <string_view>

namespace pot {

inline constexpr size_t kMaxNameLength = 64;

// Throws Error("invalid <kind> name `x`: reason") unless `name` is 1-64 characters of
// [A-Za-z0-9_.-], does not start with a dot or a dash.
void validate_name(std::string_view kind, std::string_view name);
bool is_valid_name(std::string_view name);

}  // namespace pot
