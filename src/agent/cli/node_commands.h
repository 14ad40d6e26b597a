// `potd node status`: the one node potd runs on, as Nomad's `node status` shows nodes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

// `potd node status [-json] [-verbose] [NODE]`
int node_status(const std::vector<std::string>& args);

// The nodes table (ID, Node Pool, DC, Name, Class, Drain, Eligibility, Status) of /v1/nodes.
std::string format_node_list(const Json& nodes, bool verbose);

// One node: its header block, events, allocated resources (of `allocs` with
// AllocatedResources, as /v1/allocations?resources=true gives them) and allocations.
std::string format_node_status(const Json& node, const Json& allocs, int64_t now_nanos,
                               bool verbose);

}  // namespace pot::agent
