// Log lines for Nomad: go-plugin reads a plugin's stderr as hclog JSON, one object a line,
// and files each under the plugin's name in the agent's log at the level given.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace pot::nomad {

// `level`: trace, debug, info, warn or error. Safe from any thread (one write per line).
void log_line(std::string_view level, std::string_view message,
              const std::map<std::string, std::string>& fields = {});

// The JSON object of one line (without the newline), for tests.
std::string hclog_json(std::string_view level, std::string_view message,
                       const std::map<std::string, std::string>& fields);

}  // namespace pot::nomad
