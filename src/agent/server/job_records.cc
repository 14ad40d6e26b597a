#include "agent/server/job_records.h"

#include "agent/scheduler/scheduler.h"

namespace pot::agent {

namespace {

constexpr const char* kServerFields[] = {"Version",     "Status",        "StatusDescription",
                                         "Stable",      "SubmitTime",    "CreateIndex",
                                         "ModifyIndex", "JobModifyIndex"};

}  // namespace

std::string job_status(const Json& job, const std::vector<Json>& allocations) {
  bool any_live = false;
  bool any = false;
  for (const auto& alloc : allocations) {
    any = true;
    if (!alloc_terminal(alloc)) any_live = true;
  }
  if (any_live) return "running";
  if (job.value("Stop", false)) return "dead";
  std::string type = job.value("Type", "service");
  if (any && (type == "batch" || type == "sysbatch")) return "dead";
  return "pending";
}

void strip_server_fields(Json& job) {
  for (const char* field : kServerFields) job.erase(field);
}

bool job_spec_changed(const Json& stored, const Json& submitted) {
  Json a = stored;
  Json b = submitted;
  for (const char* field : kServerFields) {
    a.erase(field);
    b.erase(field);
  }
  return a != b;
}

}  // namespace pot::agent
