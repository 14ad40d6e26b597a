// `potd`: the single-machine orchestrator's command line. Today it reads job files
// (`potd job validate`, `potd job run -output`); the agent that runs them comes next.
#include <cstdio>
#include <string>
#include <vector>

#include "agent/cli/agent_command.h"
#include "agent/cli/job_commands.h"
#include "core/error.h"

namespace {

constexpr const char* kUsage =
    "Usage: potd <command> [args]\n"
    "\n"
    "  agent [-bind ADDR] [-http-port N] [-data-dir DIR] [-node NAME] [-dc DC]\n"
    "      Run the agent in the foreground (SIGTERM/SIGINT stop it; tasks keep running)\n"
    "  job validate [-json] [-var K=V]... [-var-file F]... FILE\n"
    "      Parse and check a Nomad job file (HCL2, or JSON with -json)\n"
    "  job run -output [-json] [-var K=V]... [-var-file F]... FILE\n"
    "      Print the job as Nomad's API JSON, with Nomad's defaults, and run nothing\n"
    "  version\n"
    "      Print potd's version\n"
    "\n"
    "FILE may be - for stdin. Variables also come from NOMAD_VAR_<name> in the environment.\n";

int dispatch(const std::vector<std::string>& args) {
  auto rest = [&](std::size_t from) {
    return std::vector<std::string>(args.begin() + static_cast<std::ptrdiff_t>(from), args.end());
  };
  if (args.empty() || args[0] == "help" || args[0] == "-h" || args[0] == "--help" ||
      args[0] == "-help") {
    std::fputs(kUsage, args.empty() ? stderr : stdout);
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "version" || args[0] == "-version" || args[0] == "--version") {
    std::printf("potd %s\n", POT_VERSION_STRING);
    return 0;
  }
  if (args[0] == "agent") return pot::agent::agent_command(rest(1));
  if (args[0] == "job" && args.size() >= 2) {
    if (args[1] == "validate") return pot::agent::job_validate(rest(2));
    if (args[1] == "run") return pot::agent::job_run(rest(2));
    throw pot::Error("potd job: unknown subcommand " + pot::quote_name(args[1]) +
                     " (validate, run)");
  }
  if (args[0] == "job") throw pot::Error("potd job: a subcommand is needed (validate, run)");
  throw pot::Error("potd: unknown command " + pot::quote_name(args[0]) + " (see potd help)");
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return dispatch(std::vector<std::string>(argv + 1, argv + argc));
  } catch (const pot::Error& e) {
    // Its message starts with the command: "potd job run: ...".
    std::fflush(stdout);
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "potd: %s\n", e.what());
    return 1;
  }
}
