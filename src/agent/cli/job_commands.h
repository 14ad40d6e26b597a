// `potd job ...`: the commands that read job files. validate and run -output need no agent.
#pragma once

#include <string>
#include <vector>

namespace pot::agent {

// `potd job validate [-json] [-var K=V]... [-var-file F]... FILE`
int job_validate(const std::vector<std::string>& args);

// `potd job run -output [-json] [-var K=V]... [-var-file F]... FILE`
int job_run(const std::vector<std::string>& args);

}  // namespace pot::agent
