// `potd`: the single-machine orchestrator's command line. `potd job validate` and
// `potd job run -output` read job files alone; the other commands are clients of a running
// `potd agent` over its Nomad-compatible HTTP API (agent/cli/api_client.h).
#include <cstdio>
#include <string>
#include <vector>

#include "agent/cli/agent_command.h"
#include "agent/cli/alloc_commands.h"
#include "agent/cli/job_commands.h"
#include "agent/cli/node_commands.h"
#include "agent/cli/service_commands.h"
#include "core/error.h"

namespace {

using Handler = int (*)(const std::vector<std::string>&);

// One row per `potd GROUP SUBCOMMAND`: its handler and its usage line.
struct Subcommand {
  const char* group;
  const char* name;
  Handler handler;
  const char* usage;
};

// `potd agent` (the server) is dispatched in dispatch() below, before this table: it is not
// a client of the HTTP API.
constexpr Subcommand kSubcommands[] = {
    {"job", "run", pot::agent::job_run,
     "[-detach] [-verbose] [-check-index N] [-output] [-json] [-var K=V]... [-var-file F]... "
     "FILE\n      Submit a job and follow its evaluation and deployment (-output: print its JSON "
     "only)"},
    {"job", "plan", pot::agent::job_plan,
     "[-diff=false] [-verbose] [-json] [-var K=V]... [-var-file F]... FILE\n      Show what "
     "running the job would change (exit 0: nothing, 1: allocations change, 255: error)"},
    {"job", "validate", pot::agent::job_validate,
     "[-json] [-var K=V]... [-var-file F]... FILE\n      Parse and check a job file (HCL2, or "
     "JSON with -json)"},
    {"job", "status", pot::agent::job_status,
     "[-json] [-verbose] [-evals] [JOB]\n      List the jobs, or show one job (ID prefixes "
     "match)"},
    {"job", "stop", pot::agent::job_stop,
     "[-purge] [-detach] [-yes] [-verbose] JOB\n      Stop a job (-purge: forget it)"},
    {"job", "history", pot::agent::job_history,
     "[-json] [-p] [-version N] JOB\n      List a job's versions (-p: with their diffs)"},
    {"job", "revert", pot::agent::job_revert,
     "[-detach] [-verbose] JOB VERSION\n      Run an earlier version of a job again"},
    {"alloc", "status", pot::agent::alloc_status,
     "[-json] [-verbose] ALLOC\n      Show an allocation, its tasks and their events"},
    {"alloc", "logs", pot::agent::alloc_logs,
     "[-stderr] [-f] [-tail] [-n LINES] [-c BYTES] ALLOC [TASK]\n      Print a task's "
     "stdout (or stderr); -f follows"},
    {"alloc", "exec", pot::agent::alloc_exec,
     "[-task T] [-i] [-t] ALLOC CMD [ARG]...\n      Run a command in a task's pot (root "
     "only)"},
    {"alloc", "restart", pot::agent::alloc_restart,
     "[-task T] [-all-tasks] ALLOC [TASK]\n      Restart an allocation's tasks in place"},
    {"alloc", "signal", pot::agent::alloc_signal,
     "[-s SIGNAL] [-task T] ALLOC [TASK]\n      Send a signal to an allocation's tasks"},
    {"alloc", "stop", pot::agent::alloc_stop,
     "[-detach] [-verbose] ALLOC\n      Stop an allocation (the scheduler replaces it)"},
    {"node", "status", pot::agent::node_status,
     "[-json] [-verbose] [NODE]\n      Show the node: resources and allocations"},
    {"service", "list", pot::agent::service_list,
     "[-json]\n      List the registered services and their tags (-namespace '*': all)"},
    {"service", "info", pot::agent::service_info,
     "[-json] [-verbose] NAME\n      Show a service's instances and their health (-verbose: "
     "with their checks)"},
    {"service", "delete", pot::agent::service_delete,
     "NAME ID\n      Remove one service instance from the catalog"},
};

std::string usage_text() {
  std::string out = "Usage: potd <command> [args]\n\n";
  out +=
      "  agent [-bind ADDR] [-http-port N] [-consul-port N] [-dns-port N] [-advertise ADDR]\n"
      "        [-data-dir DIR] [-node NAME] [-dc DC]\n"
      "      Run the agent in the foreground (SIGTERM/SIGINT stop it; tasks keep running).\n"
      "      Nomad's API on -http-port (4646), Consul's on -consul-port (8500) and DNS on\n"
      "      -dns-port (8600), -1 turning either off; services are at -advertise (127.0.0.1)\n";
  for (const Subcommand& sub : kSubcommands) {
    out += std::string("  ") + sub.group + " " + sub.name + " " + sub.usage + "\n";
  }
  out +=
      "  version\n      Print potd's version\n"
      "\n"
      "Client commands take -address (else NOMAD_ADDR, else http://127.0.0.1:4646), -token\n"
      "(else NOMAD_TOKEN, else the agent's token file, readable by root) and -namespace.\n"
      "FILE may be - for stdin. Variables also come from NOMAD_VAR_<name> in the environment.\n";
  return out;
}

std::string subcommand_names(const std::string& group) {
  std::string names;
  for (const Subcommand& sub : kSubcommands) {
    if (sub.group != group) continue;
    names += (names.empty() ? "" : ", ") + std::string(sub.name);
  }
  return names;
}

int dispatch(const std::vector<std::string>& args) {
  if (args.empty() || args[0] == "help" || args[0] == "-h" || args[0] == "--help" ||
      args[0] == "-help") {
    std::fputs(usage_text().c_str(), args.empty() ? stderr : stdout);
    return args.empty() ? 1 : 0;
  }
  if (args[0] == "version" || args[0] == "-version" || args[0] == "--version") {
    std::printf("potd %s\n", POT_VERSION_STRING);
    return 0;
  }
  // The server first: it is no client of the HTTP API.
  if (args[0] == "agent")
    return pot::agent::agent_command(std::vector<std::string>(args.begin() + 1, args.end()));

  const std::string& group = args[0];
  const std::string names = subcommand_names(group);
  if (names.empty()) {
    throw pot::Error("potd: unknown command " + pot::quote_name(group) + " (see potd help)");
  }
  if (args.size() < 2)
    throw pot::Error("potd " + group + ": a subcommand is needed (" + names + ")");
  for (const Subcommand& sub : kSubcommands) {
    if (sub.group == group && sub.name == args[1]) {
      return sub.handler(std::vector<std::string>(args.begin() + 2, args.end()));
    }
  }
  throw pot::Error("potd " + group + ": unknown subcommand " + pot::quote_name(args[1]) + " (" +
                   names + ")");
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
