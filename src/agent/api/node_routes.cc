// The node and the agent: `/v1/nodes`, `/v1/node/:id`, `/v1/agent/self`,
// `/v1/agent/health`, `/v1/status/leader`, `/v1/status/peers`, `/v1/regions`. One node that
// is its own server and leader, in region "global".
#include <httplib.h>

#include "agent/api/api_request.h"
#include "agent/api/router.h"
#include "agent/scheduler/node.h"

namespace pot::agent::http {
namespace {

// Where Nomad's server would take RPC: our address and Nomad's RPC port, which is what
// scripts expect from /v1/status/leader.
std::string rpc_address(const ApiRequest& request) {
  const std::string& host = request.server.address;
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":4647";
}

void list_nodes(ApiRequest& request) {
  const std::string prefix = request.query("prefix");
  reply_blocking_read(request, [&] {
    const NodeInfo& node = request.agent.node();
    Json list = Json::array();
    if (node.id.starts_with(prefix)) {
      list.push_back(node_stub_json(node, request.agent.node_create_index(),
                                    request.agent.node_modify_index()));
    }
    return list;
  });
}

void read_node(ApiRequest& request) {
  reply_blocking_read(request, [&] {
    const NodeInfo& node = request.agent.node();
    if (request.params[0] != node.id) throw ApiError(404, "node not found");
    return Json(
        node_json(node, request.agent.node_create_index(), request.agent.node_modify_index()));
  });
}

void agent_self(ApiRequest& request) {
  Json self = request.agent.agent_self();
  if (!self.is_object()) self = Json::object();
  if (!self.contains("member")) {
    const NodeInfo& node = request.agent.node();
    self["member"] = Json{{"Name", node.name + ".global"},
                          {"Addr", request.server.address},
                          {"Port", 4648},
                          {"Tags", Json{{"region", "global"}, {"dc", node.datacenter}}},
                          {"Status", "alive"}};
  }
  reply_json(request, self);
}

void agent_health(ApiRequest& request) {
  const Json ok = {{"ok", true}, {"message", "ok"}};
  reply_json(request, Json{{"client", ok}, {"server", ok}});
}

}  // namespace

void add_node_routes(Router& router) {
  router.get("/v1/nodes", list_nodes);
  router.get("/v1/node/:id", read_node);
  router.get("/v1/agent/self", agent_self);
  router.get("/v1/agent/health", agent_health);
  router.get("/v1/status/leader",
             [](ApiRequest& request) { reply_json(request, rpc_address(request)); });
  router.get("/v1/status/peers",
             [](ApiRequest& request) { reply_json(request, Json::array({rpc_address(request)})); });
  router.get("/v1/regions",
             [](ApiRequest& request) { reply_json(request, Json::array({"global"})); });
}

}  // namespace pot::agent::http
