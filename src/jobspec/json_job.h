// The API's JSON form of a job file (`nomad job run -json`, `/v1/jobs/parse` input): the
// document `{"Job": {...}}` or the bare job object, read into the bare Job object.
#pragma once

#include <string>
#include <string_view>

#include "hcl/source.h"
#include "jobspec/jobspec.h"

namespace jobspec {

// Returns the bare Job object, not yet canonicalized. Throws on malformed JSON or a
// document that is not a job.
Json parse_json_job(const std::string& source, const std::string& filename);

// Any JSON document (a job, a -var-file), read with the job form's guards: nesting past 200
// levels is refused before parsing, and syntax errors and numbers beyond a double are
// hcl::DiagnosticError at their line and column.
Json parse_json_document(const std::string& source, const std::string& filename);

// The one-character range of byte `byte` of `source`, for a located diagnostic.
hcl::Range json_range(std::string_view source, const std::string& filename, std::size_t byte);

}  // namespace jobspec
