// Allocations: `/v1/allocations`, `/v1/allocation/:id` (with the job version it runs
// embedded, as Nomad's Allocation carries its Job), `/v1/allocation/:id/stop`, and the
// client's `/v1/client/allocation/:id/{restart,signal,stats}`.
#include <httplib.h>

#include <map>

#include "agent/api/api_request.h"
#include "agent/api/router.h"
#include "agent/api/stubs.h"

namespace pot::agent::http {
namespace {

Json alloc_or_404(const ApiRequest& request) {
  std::optional<Json> allocation = request.agent.state().allocation(request.params[0]);
  if (!allocation) throw ApiError(404, "alloc not found");
  return std::move(*allocation);
}

void list_allocations(ApiRequest& request) {
  const std::string prefix = request.query("prefix");
  const bool resources = request.query_bool("resources", false);
  reply_blocking_read(request, [&] {
    StateStore& state = request.agent.state();
    // One lookup per job, not per allocation, for JobType.
    std::map<std::pair<std::string, std::string>, std::optional<Json>> jobs;
    Json stubs = Json::array();
    for (const Json& allocation : state.allocations()) {
      if (!in_namespace(request, allocation) || !body_string(allocation, "ID").starts_with(prefix))
        continue;
      const std::pair key{body_string(allocation, "Namespace", "default"),
                          body_string(allocation, "JobID")};
      auto it = jobs.find(key);
      if (it == jobs.end()) it = jobs.emplace(key, state.job(key.first, key.second)).first;
      stubs.push_back(alloc_list_stub(allocation, it->second ? &*it->second : nullptr, resources));
    }
    return stubs;
  });
}

// The allocation with its "Job": the version it runs (it may be older than the job's
// current version), or the current job when that version is gone.
void read_allocation(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    Json allocation = alloc_or_404(request);
    const Json* embedded = ApiRequest::member(allocation, "Job");
    if (embedded == nullptr) {
      StateStore& state = request.agent.state();
      const std::string ns = body_string(allocation, "Namespace", "default");
      const std::string job_id = body_string(allocation, "JobID");
      std::optional<Json> job;
      if (std::optional<uint64_t> version = alloc_job_version(allocation))
        job = state.job_version(ns, job_id, *version);
      if (!job) job = state.job(ns, job_id);
      allocation["Job"] = job ? std::move(*job) : Json(nullptr);
    }
    return allocation;
  });
}

void stop_allocation(ApiRequest& request) {
  Json result = request.agent.stop_alloc(request.params[0]);
  if (const Json* index = ApiRequest::member(result, "Index"); index && index->is_number())
    request.response.set_header("X-Nomad-Index", index->dump());
  reply_json(request, result);
}

// A body is optional for restart and signal (the CLI sends one; curl may not).
Json optional_body(const ApiRequest& request) {
  return request.http.body.empty() ? Json::object() : request.body_json();
}

void restart_allocation(ApiRequest& request) {
  const Json body = optional_body(request);
  request.agent.restart_alloc(request.params[0], body_string(body, "TaskName"),
                              body_bool(body, "AllTasks", false));
  reply_json(request, Json::object());
}

void signal_allocation(ApiRequest& request) {
  const Json body = optional_body(request);
  request.agent.signal_alloc(request.params[0], body_string(body, "Task"),
                             body_string(body, "Signal"));
  reply_json(request, Json::object());
}

void allocation_stats(ApiRequest& request) {
  reply_json(request, request.agent.alloc_stats(request.params[0]));
}

}  // namespace

void add_alloc_routes(Router& router) {
  router.get("/v1/allocations", list_allocations);
  router.get("/v1/allocation/:id", read_allocation);
  for (const char* method : {"PUT", "POST"}) {
    router.write(method, "/v1/allocation/:id/stop", stop_allocation);
    router.write(method, "/v1/client/allocation/:id/restart", restart_allocation);
    router.write(method, "/v1/client/allocation/:id/signal", signal_allocation);
  }
  router.get("/v1/client/allocation/:id/stats", allocation_stats);
}

}  // namespace pot::agent::http
