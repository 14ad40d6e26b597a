// The Go test tool nomad-plugin-client (tests/nomad_client: HashiCorp's hcldec, go-cty and
// go-plugin), for the unit tests that check our wire against HashiCorp's code. Built only
// where CMake finds `go`; NOMAD_PLUGIN_CLIENT is its path then.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tool_run.h"

namespace pot::testing {

#ifdef NOMAD_PLUGIN_CLIENT
inline constexpr const char* kNomadClient = NOMAD_PLUGIN_CLIENT;
#else
inline constexpr const char* kNomadClient = "";
#endif
inline constexpr const char* kNomadClientMissing =
    "nomad-plugin-client (tests/nomad_client) is built only where CMake finds go";

inline bool nomad_client_built() {
  return *kNomadClient != '\0' && ::access(kNomadClient, X_OK) == 0;
}

using NomadClientRun = ToolRun;

// Runs nomad-plugin-client with `args` (run_tool: stdin from `in`, stdout and stderr to the
// files `out` and `err`).
inline NomadClientRun run_nomad_client(std::vector<std::string> args,
                                       const std::filesystem::path& in,
                                       const std::filesystem::path& out,
                                       const std::filesystem::path& err) {
  return run_tool(kNomadClient, std::move(args), in, out, err);
}

}  // namespace pot::testing
