// Functions callable from HCL expressions, and the standard library of those Nomad's job
// files use (format, join, merge, lookup, regex, jsonencode, file, templatefile, ...).
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "hcl/eval.h"
#include "hcl/value.h"

namespace hcl {

struct CallSite {
  const FunctionCallExpr& call;
  const EvalContext& context;
};

struct Function {
  int min_args = 0;
  int max_args = 0;  // -1: variadic
  // Throws DiagnosticError (use call_error below) naming the function and the problem.
  std::function<Value(std::span<const Value> args, const CallSite& site)> impl;
};

// "Invalid function argument" at the call: `join: ...`.
[[noreturn]] void call_error(const CallSite& site, const std::string& detail);

struct StdlibOptions {
  // Directory that `file`, `fileexists` and `templatefile` resolve relative paths against;
  // empty disables them (they fail with a message saying so).
  std::string base_dir;
};

// Every function of the standard library.
FunctionTable standard_functions(const StdlibOptions& options);

}  // namespace hcl
