// Jobs: `/v1/jobs`, `/v1/jobs/parse`, `/v1/validate/job` and `/v1/job/:id/...`. Reads come
// from the state store; registering, planning, stopping, reverting and scaling go to the
// agent. A submitted job is type-checked (jobspec's JSON form), canonicalized and validated
// here, at the boundary, before the agent sees it.
#include <httplib.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "agent/api/api_request.h"
#include "agent/api/router.h"
#include "agent/api/stubs.h"
#include "jobspec/jobspec.h"
#include "jobspec/json_job.h"

namespace pot::agent::http {
namespace {

namespace fs = std::filesystem;

Json job_or_404(const ApiRequest& request) {
  std::optional<Json> job = request.agent.state().job(request.namespace_name(), request.params[0]);
  if (!job) throw ApiError(404, "job not found");
  return std::move(*job);
}

// The body's "Job" member (Go matches the key ignoring case).
const Json* job_member(const Json& body) {
  if (!body.is_object()) return nullptr;
  for (auto it = body.begin(); it != body.end(); ++it) {
    std::string key = it.key();
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (key == "job" && it->is_object()) return &*it;
  }
  return nullptr;
}

std::string join_errors(const std::vector<std::string>& errors) {
  std::string text = std::to_string(errors.size()) +
                     (errors.size() == 1 ? " error occurred:" : " errors occurred:");
  for (const std::string& error : errors) text += "\n\t* " + error;
  return text;
}

// The submitted job, type-checked and with Nomad's defaults; 400 when it is missing or
// malformed, or (with `url_id`) when its ID is not the one in the path.
Json submitted_job(const ApiRequest& request, const Json& body, const std::string& url_id) {
  if (job_member(body) == nullptr) throw ApiError(400, "Job must be specified");
  Json job;
  try {
    job = jobspec::parse_json_job(request.http.body, "request body");
    jobspec::canonicalize(job);
  } catch (const std::exception& e) {
    throw ApiError(400, std::string("Failed to decode the job: ") + e.what());
  }
  const std::string id = body_string(job, "ID");
  if (id.empty()) throw ApiError(400, "Job ID is missing");
  if (!url_id.empty() && id != url_id) throw ApiError(400, "Job ID does not match name");
  return job;
}

Json register_reply(ApiRequest& request, const RegisterResult& result) {
  request.response.set_header("X-Nomad-Index", std::to_string(result.index));
  return Json{{"EvalID", result.eval_id},
              {"EvalCreateIndex", result.eval_create_index},
              {"JobModifyIndex", result.job_modify_index},
              {"Warnings", result.warnings},
              {"Index", result.index},
              {"LastContact", 0},
              {"KnownLeader", true}};
}

// PUT|POST /v1/jobs and /v1/job/:id.
void register_job(ApiRequest& request) {
  const Json body = request.body_json();
  const std::string url_id = request.params.empty() ? "" : request.params[0];
  Json job = submitted_job(request, body, url_id);
  if (std::vector<std::string> errors = jobspec::validate(job); !errors.empty())
    throw ApiError(400, "Job validation failed: " + join_errors(errors));
  RegisterOptions options;
  options.enforce_index = body_bool(body, "EnforceIndex", false);
  options.job_modify_index = body_uint(body, "JobModifyIndex", 0);
  options.preserve_counts = body_bool(body, "PreserveCounts", false);
  reply_json(request, register_reply(request, request.agent.register_job(job, options)));
}

void list_jobs(ApiRequest& request) {
  const std::string prefix = request.query("prefix");
  reply_blocking_read(request, [&] {
    StateStore& state = request.agent.state();
    Json stubs = Json::array();
    for (const Json& job : state.jobs()) {
      const std::string id = body_string(job, "ID");
      if (!in_namespace(request, job) || !id.starts_with(prefix)) continue;
      const std::string ns = body_string(job, "Namespace", "default");
      stubs.push_back(
          job_list_stub(job, state.job_allocations(ns, id), state.job_evaluations(ns, id)));
    }
    return stubs;
  });
}

// A temporary file holding `text`, removed with the object: jobspec reads variables from
// files, and /v1/jobs/parse gets them as text.
class TempVarFile {
 public:
  explicit TempVarFile(const std::string& text) {
    std::string pattern = (fs::temp_directory_path() / "potd-vars-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
      throw ApiError(500, "cannot create a temporary directory");
    dir_ = pattern;
    path_ = dir_ / "variables.hcl";
    std::ofstream out(path_, std::ios::binary);
    out << text;
    if (!out.flush()) throw ApiError(500, "cannot write the variables to a temporary file");
  }
  ~TempVarFile() {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  TempVarFile(const TempVarFile&) = delete;
  TempVarFile& operator=(const TempVarFile&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path dir_;
  fs::path path_;
};

// POST /v1/jobs/parse {JobHCL, Variables, Canonicalize}: the job as JSON. Files are not
// readable from a submitted job (Nomad's AllowFS: false). The job comes back canonicalized
// whatever Canonicalize says.
void parse_job(ApiRequest& request) {
  const Json body = request.body_json();
  const std::string hcl = body_string(body, "JobHCL");
  if (hcl.empty()) throw ApiError(400, "Job spec is empty");
  const std::string variables = body_string(body, "Variables");
  jobspec::ParseOptions options;
  options.allow_filesystem = false;
  std::optional<TempVarFile> var_file;
  if (!variables.empty()) {
    var_file.emplace(variables);
    options.var_files.push_back(var_file->path().string());
  }
  try {
    reply_json(request, jobspec::parse_job(hcl, "input.hcl", options));
  } catch (const ApiError&) {
    throw;
  } catch (const std::exception& e) {
    throw ApiError(400, std::string("Failed to parse job: ") + e.what());
  }
}

// POST /v1/validate/job {Job}: Nomad's JobValidateResponse.
void validate_job(ApiRequest& request) {
  const Json body = request.body_json();
  const Json job = submitted_job(request, body, "");
  const std::vector<std::string> errors = jobspec::validate(job);
  reply_json(request, Json{{"DriverConfigValidated", errors.empty()},
                           {"ValidationErrors", errors},
                           {"Error", errors.empty() ? "" : join_errors(errors)},
                           {"Warnings", ""}});
}

void read_job(ApiRequest& request) {
  reply_blocking_read(request, [&] { return job_or_404(request); });
}

void deregister_job(ApiRequest& request) {
  const DeregisterResult result = request.agent.deregister_job(
      request.namespace_name(), request.params[0], request.query_bool("purge", false));
  request.response.set_header("X-Nomad-Index", std::to_string(result.index));
  reply_json(request, Json{{"EvalID", result.eval_id},
                           {"EvalCreateIndex", result.eval_create_index},
                           {"JobModifyIndex", result.job_modify_index},
                           {"Index", result.index},
                           {"LastContact", 0},
                           {"KnownLeader", true}});
}

// The allocations of the job as it exists now: without ?all, those of an earlier job of the
// same ID (purged and registered again) are left out, as Nomad does. An allocation made
// for the current job was created after it.
void job_allocations(ApiRequest& request) {
  const bool all = request.query_bool("all", false);
  const bool resources = request.query_bool("resources", false);
  reply_blocking_read(request, [&] {
    StateStore& state = request.agent.state();
    const std::string ns = request.namespace_name();
    std::optional<Json> job = state.job(ns, request.params[0]);
    const uint64_t job_created = job ? body_uint(*job, "CreateIndex", 0) : 0;
    Json stubs = Json::array();
    for (const Json& allocation : state.job_allocations(ns, request.params[0])) {
      if (!all && body_uint(allocation, "CreateIndex", 0) < job_created) continue;
      stubs.push_back(alloc_list_stub(allocation, job ? &*job : nullptr, resources));
    }
    return stubs;
  });
}

void job_evaluations(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    Json list = Json::array();
    for (Json& evaluation :
         request.agent.state().job_evaluations(request.namespace_name(), request.params[0]))
      list.push_back(std::move(evaluation));
    return list;
  });
}

void job_versions(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    std::vector<Json> versions =
        request.agent.state().job_versions(request.namespace_name(), request.params[0]);
    if (versions.empty()) throw ApiError(404, "job versions not found");
    return Json{{"Versions", std::move(versions)}, {"Diffs", nullptr}};
  });
}

void job_summary_route(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    StateStore& state = request.agent.state();
    const Json job = job_or_404(request);
    const std::string ns = request.namespace_name();
    return job_summary(job, state.job_allocations(ns, request.params[0]),
                       state.job_evaluations(ns, request.params[0]));
  });
}

// POST /v1/job/:id/plan {Job, Diff}.
void plan_job(ApiRequest& request) {
  const Json body = request.body_json();
  const Json job = submitted_job(request, body, request.params[0]);
  if (std::vector<std::string> errors = jobspec::validate(job); !errors.empty())
    throw ApiError(400, "Job validation failed: " + join_errors(errors));
  reply_json(request, request.agent.plan_job(job, body_bool(body, "Diff", false)));
}

// POST /v1/job/:id/revert {JobID, JobVersion, EnforcePriorVersion}.
void revert_job(ApiRequest& request) {
  const Json body = request.body_json();
  const std::string id = body_string(body, "JobID", request.params[0]);
  if (id != request.params[0]) throw ApiError(400, "Job ID does not match");
  if (ApiRequest::member(body, "JobVersion") == nullptr)
    throw ApiError(400, "JobVersion must be specified");
  std::optional<uint64_t> prior;
  if (ApiRequest::member(body, "EnforcePriorVersion") != nullptr)
    prior = body_uint(body, "EnforcePriorVersion", 0);
  const RegisterResult result = request.agent.revert_job(request.namespace_name(), id,
                                                         body_uint(body, "JobVersion", 0), prior);
  reply_json(request, register_reply(request, result));
}

void job_scale_status_route(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    const Json job = job_or_404(request);
    return job_scale_status(
        job, request.agent.state().job_allocations(request.namespace_name(), request.params[0]));
  });
}

// POST /v1/job/:id/scale {Count, Target: {Group}, Message}.
void scale_job(ApiRequest& request) {
  const Json body = request.body_json();
  const Json* target = ApiRequest::member(body, "Target");
  const std::string group = target != nullptr ? body_string(*target, "Group") : "";
  if (group.empty()) throw ApiError(400, "Missing task group name");
  if (target != nullptr && !body_string(*target, "Job", request.params[0]).empty() &&
      body_string(*target, "Job", request.params[0]) != request.params[0])
    throw ApiError(400, "Job ID does not match");
  if (ApiRequest::member(body, "Count") == nullptr) throw ApiError(400, "Count must be specified");
  const int64_t count = body_int(body, "Count", 0);
  if (count < 0) throw ApiError(400, "Count must be non-negative");
  const RegisterResult result = request.agent.scale_job(request.namespace_name(), request.params[0],
                                                        group, count, body_string(body, "Message"));
  reply_json(request, register_reply(request, result));
}

void job_deployments(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    Json list = Json::array();
    for (Json& deployment :
         request.agent.state().job_deployments(request.namespace_name(), request.params[0]))
      list.push_back(std::move(deployment));
    return list;
  });
}

// The latest deployment, or null when the job has none (as Nomad answers).
void job_latest_deployment(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    std::vector<Json> deployments =
        request.agent.state().job_deployments(request.namespace_name(), request.params[0]);
    return deployments.empty() ? Json(nullptr) : std::move(deployments.front());
  });
}

}  // namespace

void add_job_routes(Router& router) {
  router.get("/v1/jobs", list_jobs);
  router.write("PUT", "/v1/jobs", register_job);
  router.write("POST", "/v1/jobs", register_job);
  for (const char* method : {"PUT", "POST"}) {
    router.add(method, "/v1/jobs/parse", parse_job, Access::Open);
    router.add(method, "/v1/validate/job", validate_job, Access::Open);
    router.write(method, "/v1/job/:id", register_job);
    router.write(method, "/v1/job/:id/plan", plan_job);
    router.write(method, "/v1/job/:id/revert", revert_job);
    router.write(method, "/v1/job/:id/scale", scale_job);
  }
  router.get("/v1/job/:id", read_job);
  router.write("DELETE", "/v1/job/:id", deregister_job);
  router.get("/v1/job/:id/allocations", job_allocations);
  router.get("/v1/job/:id/evaluations", job_evaluations);
  router.get("/v1/job/:id/versions", job_versions);
  router.get("/v1/job/:id/summary", job_summary_route);
  router.get("/v1/job/:id/scale", job_scale_status_route);
  router.get("/v1/job/:id/deployments", job_deployments);
  router.get("/v1/job/:id/deployment", job_latest_deployment);
}

}  // namespace pot::agent::http
