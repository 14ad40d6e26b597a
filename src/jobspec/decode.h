// Decoding a job file's `job` block to the API's JSON Job, by the schema of schema.h.
//
// Only what the file sets is written (plus the names labels give and the few defaults
// Nomad's own parser fills in: a template's change_mode, perms and splay, a vault block's
// env, disable_file and change_mode, a periodic block's SpecType); canonicalize() does the
// rest. Errors are collected, so one run reports every unknown argument and bad value, and
// thrown together as one hcl::DiagnosticError.
#pragma once

#include <memory>
#include <string>

#include "hcl/ast.h"
#include "hcl/eval.h"
#include "jobspec/jobspec.h"

namespace jobspec {

// Checks the top level of a job file: only `job`, `variable`, `variables` and `locals`
// blocks, with their labels. Throws hcl::DiagnosticError.
void check_top_level(const hcl::File& file);

// Decodes the single `job` block of `file` with `context` (var, local, functions, run-time
// references). Throws hcl::DiagnosticError with every problem found.
Json decode_job_block(const hcl::File& file,
                      const std::shared_ptr<const hcl::EvalContext>& context);

// The whole HCL path short of canonicalize(): parse, variables and locals, decode. For
// tests and for parse_job.
Json decode_job(const std::string& source, const std::string& filename,
                const ParseOptions& options);

// "file:3,5-12" (or "file:3,5-4,2" across lines), as HCL writes a range in messages.
std::string range_string(const hcl::Range& range);

}  // namespace jobspec
