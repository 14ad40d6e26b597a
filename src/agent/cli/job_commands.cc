#include "agent/cli/job_commands.h"

#include <cstdio>
#include <iostream>

#include "agent/cli/api_client.h"
#include "agent/cli/go_flags.h"
#include "agent/cli/job_file.h"
#include "agent/cli/monitor.h"
#include "core/error.h"
#include "jobspec/jobspec.h"

namespace pot::agent {

int job_validate(const std::vector<std::string>& args) {
  const std::string command = "potd job validate";
  JobFileFlags flags;
  GoFlags parser(command);
  flags.add_to(parser);
  std::optional<jobspec::Json> job = load_job(command, flags, parser.parse(args));
  if (!job) return 1;
  std::vector<std::string> problems = jobspec::validate(*job);
  if (!problems.empty()) {
    std::fprintf(stderr, "Job validation errors:\n");
    for (const std::string& problem : problems) std::fprintf(stderr, "  * %s\n", problem.c_str());
    return 1;
  }
  std::printf("Job validation successful\n");
  return 0;
}

uint64_t parse_index_flag(const std::string& command, const std::string& flag,
                          const std::string& value) {
  std::size_t used = 0;
  unsigned long long parsed = 0;
  try {
    parsed = std::stoull(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (value.empty() || used != value.size() || value[0] == '-') {
    throw Error(command + ": invalid value " + quote_name(value) + " for -" + flag +
                " (a non-negative integer)");
  }
  return parsed;
}

int job_run(const std::vector<std::string>& args) {
  const std::string command = "potd job run";
  JobFileFlags file_flags;
  GlobalFlags global;
  bool output = false, detach = false, verbose = false;
  std::string check_index;
  GoFlags parser(command);
  parser.add_bool("output", &output);
  parser.add_bool("detach", &detach);
  parser.add_bool("verbose", &verbose);
  parser.add_string("check-index", &check_index);
  file_flags.add_to(parser);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  std::optional<jobspec::Json> job = load_job(command, file_flags, words);
  if (!job) return 1;

  // The body of a job registration.
  jobspec::Json request = {{"Job", std::move(*job)}};
  if (output) {
    // Indented by four, as `nomad job run -output` prints it (but canonicalized: Nomad's
    // defaults are filled in, as /v1/jobs/parse gives them).
    std::cout << request.dump(4) << '\n';
    return 0;
  }
  if (!check_index.empty()) {
    request["EnforceIndex"] = true;
    request["JobModifyIndex"] = parse_index_flag(command, "check-index", check_index);
  }

  auto api = connect_agent(command, global);
  Json response = api->put("/v1/jobs", request);
  if (!response.is_object()) response = Json::object();
  const std::string eval_id = response.value("EvalID", "");
  if (std::string warnings = response.value("Warnings", ""); !warnings.empty()) {
    std::cout << "Job Warnings:\n" << warnings << "\n\n";
  }
  // A periodic or parameterized job is registered without an evaluation.
  if (eval_id.empty()) {
    std::cout << "Job registration successful\n";
    return 0;
  }
  if (detach) {
    std::cout << "Job registration successful\nEvaluation ID: " << eval_id << "\n";
    return 0;
  }
  return monitor_evaluation(*api, eval_id, response.value("JobModifyIndex", uint64_t{0}), verbose);
}

}  // namespace pot::agent
