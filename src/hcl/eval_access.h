// Reaching into values: `.name` and `[key]`, with the spec's errors (null values, missing
// keys, sets that have no index). Shared by traversals, index expressions and splats.
// Internal to hcl/.
#pragma once

#include <string_view>

#include "hcl/source.h"
#include "hcl/value.h"

namespace hcl::detail {

// `value.name`. A name of digits on a list or tuple is the legacy index form `x.0`.
Value get_attribute(const Value& value, std::string_view name, const Range& range);

// `collection[key]`: lists and tuples by whole number, maps and objects by string.
// `key_range` locates the errors about the key itself.
Value get_index(const Value& collection, const Value& key, const Range& range,
                const Range& key_range);

}  // namespace hcl::detail
