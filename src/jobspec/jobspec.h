// Nomad's job specification: a job file (HCL2, or the API's JSON form) in, the job as
// Nomad's API JSON out, with Nomad's defaults filled in, the same document Nomad's
// `/v1/jobs/parse` with `Canonicalize` gives (Go field names, durations in nanoseconds).
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hcl/eval.h"

namespace jobspec {

using Json = nlohmann::ordered_json;

struct ParseOptions {
  // `-var name=value`, in the order given; a later one wins.
  std::vector<std::string> var_args;
  // `-var-file FILE`: HCL files of `name = value`, in the order given.
  std::vector<std::string> var_files;
  // The environment, for NOMAD_VAR_<name> (lowest precedence after defaults).
  std::map<std::string, std::string> environment;
  // file(), fileexists() and templatefile() read files relative to the job file's
  // directory; false disables them (Nomad's -hcl2-strict=false has no such switch, but an
  // API parse of a submitted file has no directory to read).
  bool allow_filesystem = true;
  // The API's JSON form (`-json`: `{"Job": {...}}` or the bare job). Without it a file
  // whose first non-blank character is `{` is refused with a diagnostic: that is HCL's JSON
  // syntax, which Nomad reads then and we do not, and reading it as the API's form would
  // quietly make an empty job of `{"job": {"web": ...}}`.
  bool json = false;
  // The bounds of evaluation (hcl/eval.h); the whole file shares one budget of steps and
  // bytes (hcl::SharedEvalBudget).
  hcl::EvalLimits eval_limits;
};

// Parses, evaluates and decodes `source` (the text of `filename`), then canonicalizes.
// HCL, or the API's JSON form with options.json. Errors throw
// hcl::DiagnosticError (located: file:line:column, with the source line) for the job file
// and its variables, and pot-style one-line std::runtime_error for the rest.
Json parse_job(const std::string& source, const std::string& filename, const ParseOptions& options);

// Reads `path` and parses it as above.
Json parse_job_file(const std::string& path, const ParseOptions& options);

// Fills in Nomad's defaults in place (api.Job.Canonicalize and the structs it calls).
void canonicalize(Json& job);

// The checks of `nomad job validate` that need no cluster (names, counts, ports, durations
// ...): each message names the thing and the problem; empty when the job is valid.
std::vector<std::string> validate(const Json& job);

}  // namespace jobspec
