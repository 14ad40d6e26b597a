// The guards of evaluation against hostile input (see eval.cc): nesting depth, a budget of
// steps and string bytes per top-level evaluation, and the size of any one result. Functions
// call these before building a large result. Internal to hcl/.
#pragma once

#include <cstddef>

#include "hcl/eval.h"

namespace hcl::detail {

// Counts `steps` units of work (nodes visited, elements built) against the budget.
void count_steps(const EvalContext& context, std::size_t steps, const Range& where);
// Fails when a string of `bytes` would exceed EvalLimits::max_string_bytes.
void count_string(const EvalContext& context, std::size_t bytes, const Range& where);
// count_string, and counts the bytes against the budget of the whole evaluation.
void count_produced_string(const EvalContext& context, std::size_t bytes, const Range& where);
// Fails when a collection of `count` elements would exceed EvalLimits::max_elements.
void count_elements(const EvalContext& context, std::size_t count, const Range& where);

// One level of nesting for as long as it lives; throws past EvalLimits::max_depth. The
// outermost guard of a thread starts a new budget.
class DepthGuard {
 public:
  DepthGuard(const EvalContext& context, const Range& where);
  ~DepthGuard();
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;
};

}  // namespace hcl::detail
