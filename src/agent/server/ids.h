// Random identifiers: Nomad's UUIDs for jobs' evaluations, allocations and deployments,
// and the agent's token.
#pragma once

#include <string>

namespace pot::agent {

// A random (version 4) UUID, lowercase: "5c9fa0f1-...".
std::string new_uuid();
// `bytes` random bytes from the kernel, as lowercase hex.
std::string random_hex(std::size_t bytes);

}  // namespace pot::agent
