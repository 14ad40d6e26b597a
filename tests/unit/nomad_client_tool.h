// The Go test tool nomad-plugin-client (tests/nomad_client: HashiCorp's hcldec, go-cty and
// go-plugin), for the unit tests that check our wire against HashiCorp's code. Built only
// where CMake finds `go`; NOMAD_PLUGIN_CLIENT is its path then.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test_util.h"

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

struct NomadClientRun {
  int exit_code = -1;
  std::string out;  // e.g. the msgpack bytes of `encode`
  std::string err;  // diagnostics
};

// Runs nomad-plugin-client with `args`, stdin from `in`, stdout and stderr to the files
// `out` and `err`, and returns its exit code (128 + the signal if one ended it) and output.
inline NomadClientRun run_nomad_client(std::vector<std::string> args,
                                       const std::filesystem::path& in,
                                       const std::filesystem::path& out,
                                       const std::filesystem::path& err) {
  args.insert(args.begin(), kNomadClient);
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = -1;
  const int spawned = ::posix_spawn(&pid, kNomadClient, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  NomadClientRun result;
  if (spawned != 0) {
    ADD_FAILURE() << "posix_spawn " << kNomadClient << ": " << std::strerror(spawned);
    return result;
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = read_text(out);
  result.err = read_text(err);
  return result;
}

}  // namespace pot::testing
