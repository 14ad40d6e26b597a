// `potd job ...`: validate reads a job file alone; run, plan, status, stop, history and
// revert talk to the agent (api_client.h). Each command takes Nomad's flags and prints
// Nomad's layouts; the format_* functions build those layouts from the agent's JSON
// documents, with the current time passed in so that the output is reproducible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

// `potd job validate [-json] [-var K=V]... [-var-file F]... FILE`
int job_validate(const std::vector<std::string>& args);

// `potd job run [-detach] [-verbose] [-check-index N] [-output] [-json] [-var K=V]...
// [-var-file F]... FILE`: -output prints the registration's JSON and runs nothing.
int job_run(const std::vector<std::string>& args);

// `potd job plan [-diff] [-verbose] [-json] [-var K=V]... [-var-file F]... FILE`: exit 0 no
// change, 1 allocations would be created or destroyed, 255 error.
int job_plan(const std::vector<std::string>& args);

// `potd job status [-json] [-verbose] [-evals] [JOB]`
int job_status(const std::vector<std::string>& args);

// `potd job stop [-purge] [-detach] [-yes] [-verbose] JOB`
int job_stop(const std::vector<std::string>& args);

// `potd job history [-json] [-p] [-version N] JOB`
int job_history(const std::vector<std::string>& args);

// `potd job revert [-detach] [-verbose] JOB VERSION`
int job_revert(const std::vector<std::string>& args);

// A -check-index style flag's value; throws pot::Error naming the command and flag.
uint64_t parse_index_flag(const std::string& command, const std::string& flag,
                          const std::string& value);

// --- Layouts -----------------------------------------------------------------------

// The jobs table (ID, Type, Priority, Status, Submit Date) of /v1/jobs; "No running jobs"
// when empty.
std::string format_job_list(const Json& jobs);

// What `job status JOB` shows, from the documents the agent serves for it.
struct JobStatusDocuments {
  Json job;          // /v1/job/:id
  Json summary;      // /v1/job/:id/summary
  Json allocations;  // /v1/job/:id/allocations
  Json evaluations;  // /v1/job/:id/evaluations
  Json deployment;   // /v1/job/:id/deployment (null: none)
};
std::string format_job_status(const JobStatusDocuments& docs, int64_t now_nanos, bool verbose,
                              bool show_evals);

// The allocations table (Nomad's formatAllocListStubs); "No allocations placed" when empty.
std::string format_alloc_list(const Json& allocs, int64_t now_nanos, bool verbose);

// `job plan`'s output after the request: the diff (when `diff`), the scheduler dry-run, the
// warnings, and the Job Modify Index hint naming `job_file` and the flags given.
std::string format_plan(const Json& job, const Json& plan, bool diff, bool verbose,
                        const std::string& run_args, const std::string& job_file);
// Nomad's exit code for a plan: 1 when allocations would be created, destroyed or changed.
int plan_exit_code(const Json& plan);
// A JobDiff (`+/- Job: "web"` and below).
std::string format_job_diff(const Json& diff, bool verbose);

// `job history`: one block per version (newest first), with its diff to the previous when
// `with_diffs` (the Diffs of /v1/job/:id/versions?diffs=true).
std::string format_job_history(const Json& versions, const Json& diffs, bool with_diffs);

}  // namespace pot::agent
