// `potd agent`: the server, in the foreground. SIGTERM and SIGINT shut it down cleanly and
// leave every task running; the next start finds them again.
#pragma once

#include <string>
#include <vector>

namespace pot::agent {

int agent_command(const std::vector<std::string>& args);

}  // namespace pot::agent
