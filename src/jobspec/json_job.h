// The API's JSON form of a job file (`nomad job run -json`, `/v1/jobs/parse` input): the
// document `{"Job": {...}}` or the bare job object, read into the bare Job object.
#pragma once

#include <string>

#include "jobspec/jobspec.h"

namespace jobspec {

// Returns the bare Job object, not yet canonicalized. Throws on malformed JSON or a
// document that is not a job.
Json parse_json_job(const std::string& source, const std::string& filename);

}  // namespace jobspec
