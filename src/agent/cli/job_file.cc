#include "agent/cli/job_file.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>

#include "agent/cli/api_client.h"
#include "agent/cli/go_flags.h"
#include "core/error.h"
#include "hcl/diagnostic.h"

namespace pot::agent {
namespace {

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

}  // namespace

void JobFileFlags::add_to(GoFlags& flags) {
  flags.add_bool("json", &json);
  flags.add_list("var", &vars);
  flags.add_list("var-file", &var_files);
}

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
  options.environment = process_environment();
  // The job file's directory is where file() and templatefile() look; stdin has none.
  options.allow_filesystem = path != "-";
  try {
    return jobspec::parse_job(source, filename, options);
  } catch (const hcl::DiagnosticError& error) {
    print_diagnostics(error, filename, source);
    return std::nullopt;
  }
}

}  // namespace pot::agent
