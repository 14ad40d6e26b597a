// parse_job: the steps from a job file's text to Nomad's canonical API JSON.
#include "jobspec/jobspec.h"

#include <stdexcept>

#include "hcl/diagnostic.h"
#include "hcl/eval.h"
#include "hcl/parser.h"
#include "jobspec/decode.h"
#include "jobspec/json_job.h"
#include "jobspec/text_file.h"
#include "jobspec/variables.h"

namespace jobspec {
namespace {

// Nomad tells HCL's JSON syntax by the first character after spaces.
void refuse_hcl_json(const std::string& source, const std::string& filename) {
  const auto first = source.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || source[first] != '{') return;
  hcl::Pos pos;
  for (std::size_t i = 0; i < first; ++i) {
    pos.line += source[i] == '\n' ? 1 : 0;
    pos.column = source[i] == '\n' ? 1 : pos.column + 1;
  }
  pos.byte = first;
  hcl::Pos end = pos;
  end.column += 1;
  end.byte += 1;
  hcl::throw_error("Unsupported JSON syntax",
                   "This file is JSON. The API's JSON form is read with -json; HCL's JSON syntax "
                   "(a job file written as JSON, which Nomad reads without -json) is not "
                   "supported: write the job in HCL.",
                   hcl::Range{filename, pos, end});
}

}  // namespace

Json decode_job(const std::string& source, const std::string& filename,
                const ParseOptions& options) {
  // One budget of evaluation for the whole file, variables and locals included.
  const hcl::SharedEvalBudget budget;
  const hcl::File file = hcl::parse_file(source, filename);
  check_top_level(file);
  const auto context = job_context(file, options);
  return decode_job_block(file, context);
}

Json parse_job(const std::string& source, const std::string& filename,
               const ParseOptions& options) {
  if (!options.json) refuse_hcl_json(source, filename);
  Json job =
      options.json ? parse_json_job(source, filename) : decode_job(source, filename, options);
  canonicalize(job);
  return job;
}

Json parse_job_file(const std::string& path, const ParseOptions& options) {
  return parse_job(read_text_file(path, "job file"), path, options);
}

}  // namespace jobspec
