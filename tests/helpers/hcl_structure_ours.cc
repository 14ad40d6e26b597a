// hcl-structure-ours: our parser's twin of the Go tool hcl-structure (main.go), for
// tests/hcl_corpus/try_files.sh, which runs both over a directory of job files.
//
//   hcl-structure-ours [-eval VARS_FILE] FILE   the canonical JSON (main.go's usage)
//   hcl-structure-ours -decode FILE             decodes FILE as a Nomad job file
//                                               (jobspec::parse_job_file): prints "ok", or
//                                               the error on one line and exits 1
#include <cstdio>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>

#include "hcl/diagnostic.h"
#include "hcl_structure.h"
#include "jobspec/jobspec.h"

namespace {

bool read_file(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  text = buffer.str();
  return true;
}

int decode(const std::string& path) {
  try {
    jobspec::parse_job_file(path, jobspec::ParseOptions{});
    std::puts("ok");
    return 0;
  } catch (const std::exception& e) {
    std::string message = e.what();
    for (char& c : message) {
      if (c == '\n') c = ' ';
    }
    std::printf("%s\n", message.c_str());
    return 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage = "usage: hcl-structure-ours [-eval VARS_FILE | -decode] FILE\n";
  if (argc == 3 && std::string(argv[1]) == "-decode") return decode(argv[2]);
  std::string vars_path;
  int file_arg = 1;
  if (argc == 4 && std::string(argv[1]) == "-eval") {
    vars_path = argv[2];
    file_arg = 3;
  } else if (argc != 2) {
    std::fputs(usage.c_str(), stderr);
    return 2;
  }
  std::string source;
  if (!read_file(argv[file_arg], source)) {
    std::fprintf(stderr, "hcl-structure-ours: cannot read %s\n", argv[file_arg]);
    return 2;
  }
  try {
    if (vars_path.empty()) {
      std::fputs(pot::testing::describe_hcl_file(source, argv[file_arg]).c_str(), stdout);
      return 0;
    }
    std::string vars_source;
    if (!read_file(vars_path, vars_source)) {
      std::fprintf(stderr, "hcl-structure-ours: cannot read %s\n", vars_path.c_str());
      return 2;
    }
    pot::testing::StructureEvalContext context;
    pot::testing::load_structure_variables(vars_source, vars_path, context);
    std::fputs(
        pot::testing::describe_hcl_file_evaluated(source, argv[file_arg], context.context).c_str(),
        stdout);
    return 0;
  } catch (const std::exception& e) {
    // Not a diagnostic of the file (those are in the JSON): a bug of ours, reported as such.
    std::fprintf(stderr, "hcl-structure-ours: %s: %s\n", argv[file_arg], e.what());
    return 3;
  }
}
