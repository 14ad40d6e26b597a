// The list forms ("stubs") of Nomad's documents, built from the documents as stored: a job's
// JobListStub with its JobSummary counted from its allocations, an allocation's
// AllocListStub, and the answers computed per job (summary, scale status). Pure functions
// of their arguments.
#pragma once

#include <optional>
#include <vector>

#include "agent/state/state_store.h"

namespace pot::agent::http {

// Nomad's JobSummary: per task group Queued (from the job's latest evaluation's
// QueuedAllocations), Starting (pending), Running, Complete, Failed, Lost, Unknown, counted
// over every stored allocation of the job.
Json job_summary(const Json& job, const std::vector<Json>& allocations,
                 const std::vector<Json>& evaluations);

// Nomad's JobListStub (`GET /v1/jobs`).
Json job_list_stub(const Json& job, const std::vector<Json>& allocations,
                   const std::vector<Json>& evaluations);

// The job version an allocation runs: its embedded Job's Version, or its JobVersion.
std::optional<uint64_t> alloc_job_version(const Json& allocation);

// Nomad's AllocListStub (`GET /v1/allocations`, `/v1/job/:id/allocations`). `job` (the
// allocation's job, when known) gives JobType; AllocatedResources only with `resources`.
Json alloc_list_stub(const Json& allocation, const Json* job, bool resources);

// Whether an allocation is terminal as Nomad's Allocation.TerminalStatus says: desired
// stop or evict, or client complete, failed or lost.
bool alloc_terminal(const Json& allocation);

// `GET /v1/job/:id/scale`: Nomad's JobScaleStatus.
Json job_scale_status(const Json& job, const std::vector<Json>& allocations);

}  // namespace pot::agent::http
