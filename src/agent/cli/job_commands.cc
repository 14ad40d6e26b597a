#include "agent/cli/job_commands.h"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "agent/cli/go_flags.h"
#include "core/error.h"
#include "hcl/diagnostic.h"
#include "jobspec/jobspec.h"

extern char** environ;

namespace pot::agent {
namespace {

struct JobFileFlags {
  bool json = false;
  std::vector<std::string> vars;
  std::vector<std::string> var_files;

  void add_to(GoFlags& flags) {
    flags.add_bool("json", &json);
    flags.add_list("var", &vars);
    flags.add_list("var-file", &var_files);
  }
};

std::string read_all(std::istream& in) {
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The job file's text; "-" is stdin, as for nomad.
std::string read_job_file(const std::string& command, const std::string& path) {
  if (path == "-") return read_all(std::cin);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw_sys(command + ": reading job file " + quote_name(path));
  return read_all(in);
}

std::map<std::string, std::string> environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    auto eq = text.find('=');
    if (eq != std::string_view::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

// Each diagnostic with its source line and caret. The job file's text is at hand; a
// diagnostic in a -var-file is shown from that file.
void print_diagnostics(const hcl::DiagnosticError& error, const std::string& job_path,
                       const std::string& job_source) {
  for (const hcl::Diagnostic& diagnostic : error.diagnostics()) {
    std::string source;
    if (diagnostic.range.filename == job_path) {
      source = job_source;
    } else if (!diagnostic.range.filename.empty()) {
      std::ifstream in(diagnostic.range.filename, std::ios::binary);
      if (in) source = read_all(in);
    }
    std::fprintf(stderr, "Error: %s\n", hcl::format(diagnostic, source).c_str());
  }
}

// The job file named by the one word left after the flags, as Nomad's API JSON; nullopt
// after printing its diagnostics.
std::optional<jobspec::Json> load_job(const std::string& command, const JobFileFlags& flags,
                                      const std::vector<std::string>& words) {
  if (words.size() != 1) {
    throw Error(command +
                ": this command takes one argument: <path> (the job file, or - for stdin)");
  }
  const std::string& path = words[0];
  std::string source = read_job_file(command, path);
  std::string filename = path == "-" ? "<stdin>" : path;

  jobspec::ParseOptions options;
  options.var_args = flags.vars;
  options.var_files = flags.var_files;
  options.json = flags.json;
  options.environment = environment();
  // The job file's directory is where file() and templatefile() look; stdin has none.
  options.allow_filesystem = path != "-";
  try {
    return jobspec::parse_job(source, filename, options);
  } catch (const hcl::DiagnosticError& error) {
    print_diagnostics(error, filename, source);
    return std::nullopt;
  }
}

}  // namespace

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

int job_run(const std::vector<std::string>& args) {
  const std::string command = "potd job run";
  JobFileFlags flags;
  bool output = false;
  GoFlags parser(command);
  parser.add_bool("output", &output);
  flags.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (!output) {
    throw Error(command +
                ": submitting a job needs the potd agent, which this build does not have yet; "
                "-output prints the job's JSON without running it");
  }
  std::optional<jobspec::Json> job = load_job(command, flags, words);
  if (!job) return 1;
  // The body of a job registration, indented by four, as `nomad job run -output` prints it
  // (but canonicalized: Nomad's defaults are filled in, as /v1/jobs/parse gives them).
  jobspec::Json request = {{"Job", std::move(*job)}};
  std::cout << request.dump(4) << '\n';
  return 0;
}

}  // namespace pot::agent
