// A job file's input variables and locals, and the evaluation context they make.
//
//   variable "image" { type = string  default = "web"  validation { condition = ...
//                                                                    error_message = "..." } }
//   variables { region = "global" }     # shorthand: name = default
//   locals { name = "${var.image}-1" }  # any number of blocks, in any order
//
// Values, later ones winning: the default, NOMAD_VAR_<name> from the environment (only for
// declared variables), -var-file files in order, -var arguments. A value from the
// environment or the command line is taken as a literal string when the variable's type is
// string or number (or unset), and parsed as an HCL expression otherwise (`-var 'ports=[80]'`).
// A -var or var-file value for an undeclared variable is an error, as is a declared
// variable left without any value. Only the winning value is validated.
#pragma once

#include <memory>

#include "hcl/ast.h"
#include "hcl/eval.h"
#include "jobspec/jobspec.h"

namespace jobspec {

// The context to evaluate the job block in: `var`, `local`, the standard functions (file
// functions relative to the job file's directory when options.allow_filesystem) and the
// run-time references of runtime_references.h. Throws hcl::DiagnosticError (every problem
// found), or std::runtime_error for a var file that cannot be read.
std::shared_ptr<const hcl::EvalContext> job_context(const hcl::File& file,
                                                    const ParseOptions& options);

}  // namespace jobspec
