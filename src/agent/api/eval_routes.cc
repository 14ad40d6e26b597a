// Evaluations and deployments, as stored: `/v1/evaluations`, `/v1/evaluation/:id`,
// `/v1/evaluation/:id/allocations`, `/v1/deployments`, `/v1/deployment/:id`.
#include <httplib.h>

#include "agent/api/api_request.h"
#include "agent/api/router.h"
#include "agent/api/stubs.h"

namespace pot::agent::http {
namespace {

// The documents of `all` in the request's namespace whose ID starts with ?prefix=.
Json filtered(const ApiRequest& request, std::vector<Json> all) {
  const std::string prefix = request.query("prefix");
  Json list = Json::array();
  for (Json& document : all) {
    if (in_namespace(request, document) && body_string(document, "ID").starts_with(prefix))
      list.push_back(std::move(document));
  }
  return list;
}

void list_evaluations(ApiRequest& request) {
  reply_blocking_read(request,
                      [&] { return filtered(request, request.agent.state().evaluations()); });
}

void read_evaluation(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    std::optional<Json> evaluation = request.agent.state().evaluation(request.params[0]);
    if (!evaluation) throw ApiError(404, "eval not found");
    return std::move(*evaluation);
  });
}

void evaluation_allocations(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    StateStore& state = request.agent.state();
    Json stubs = Json::array();
    for (const Json& allocation : state.allocations()) {
      if (body_string(allocation, "EvalID") != request.params[0]) continue;
      const std::optional<Json> job = state.job(body_string(allocation, "Namespace", "default"),
                                                body_string(allocation, "JobID"));
      stubs.push_back(alloc_list_stub(allocation, job ? &*job : nullptr, false));
    }
    return stubs;
  });
}

void list_deployments(ApiRequest& request) {
  reply_blocking_read(request,
                      [&] { return filtered(request, request.agent.state().deployments()); });
}

void read_deployment(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    std::optional<Json> deployment = request.agent.state().deployment(request.params[0]);
    if (!deployment) throw ApiError(404, "deployment not found");
    return std::move(*deployment);
  });
}

}  // namespace

void add_eval_routes(Router& router) {
  router.get("/v1/evaluations", list_evaluations);
  router.get("/v1/evaluation/:id", read_evaluation);
  router.get("/v1/evaluation/:id/allocations", evaluation_allocations);
  router.get("/v1/deployments", list_deployments);
  router.get("/v1/deployment/:id", read_deployment);
}

}  // namespace pot::agent::http
