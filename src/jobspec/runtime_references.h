// References a job file leaves for the Nomad client to fill in at run time:
// `${NOMAD_PORT_http}`, `${attr.unique.hostname}`, `${meta.rack}`, `${node.unique.id}`...
//
// Nomad evaluates a job file at submit time, when only `var.*`, `local.*` and functions are
// known. Any other root name is not an error: the reference becomes its own text, so the
// client's interpolation finds it later. As Nomad's jobspec2 does, the text is taken from
// the file itself: the traversal and, when it sits alone inside `${ ... }`, the `${` and `}`
// with the spaces written around it (`"${ meta.x }"` stays `${ meta.x }`); a bare
// `attr.x` outside a string becomes `${attr.x}`.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "hcl/ast.h"
#include "hcl/value.h"

namespace jobspec {

// The EvalContext::unknown_variable of a job file whose whole text is `source`.
std::function<std::optional<hcl::Value>(const hcl::ScopeTraversalExpr&)> keep_runtime_references(
    std::shared_ptr<const std::string> source);

}  // namespace jobspec
