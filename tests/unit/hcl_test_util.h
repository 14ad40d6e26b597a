// Shared by the hcl tests: values print as JSON in failure messages.
#pragma once

#include <ostream>

#include "hcl/value.h"

namespace hcl {

inline void PrintTo(const Value& value, std::ostream* out) {
  *out << kind_name(value.kind()) << " " << to_json(value);
}

}  // namespace hcl
