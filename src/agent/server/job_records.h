// What the server adds to a job and reads from it: its status from its allocations, whether
// a new registration changed its specification (a new version), and the fields that are the
// server's, not the submitter's.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

// Nomad's job status: "pending" (nothing running yet), "running" (an allocation is not
// terminal), "dead" (stopped, or a batch job whose allocations all ended).
std::string job_status(const Json& job, const std::vector<Json>& allocations);

// Whether `submitted` differs from `stored` in anything but the server's fields (Version,
// Status, Stable, SubmitTime, the indexes...).
bool job_spec_changed(const Json& stored, const Json& submitted);

// Drops the server's fields from a submitted job (a client may send a job it read back).
void strip_server_fields(Json& job);

}  // namespace pot::agent
