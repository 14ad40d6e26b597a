// Reading one field of a job's JSON object without caring whether it is there: the absent
// or mistyped field reads as Go's zero value, as canonicalize and validate both want (the
// JSON form's reader has already refused mistyped fields where it matters).
#pragma once

#include <cstdint>
#include <string>

#include "jobspec/jobspec.h"

namespace jobspec {

inline std::string string_of(const Json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_string() ? found->get<std::string>() : std::string();
}

// Whole numbers only (a double is not an integer field's value); saturates at INT64_MAX.
inline std::int64_t int_of(const Json& object, const char* key) {
  auto found = object.find(key);
  if (found == object.end() || !found->is_number_integer()) return 0;
  if (found->is_number_unsigned()) {
    auto value = found->get<std::uint64_t>();
    return value > static_cast<std::uint64_t>(INT64_MAX) ? INT64_MAX
                                                         : static_cast<std::int64_t>(value);
  }
  return found->get<std::int64_t>();
}

inline bool bool_of(const Json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_boolean() && found->get<bool>();
}

}  // namespace jobspec
