// parse_job: the steps from a job file's text to Nomad's canonical API JSON.
#include "jobspec/jobspec.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "hcl/parser.h"
#include "jobspec/decode.h"
#include "jobspec/json_job.h"
#include "jobspec/variables.h"

namespace jobspec {
namespace {

// Nomad tells the JSON form by its first character after spaces.
bool looks_like_json(const std::string& source) {
  const auto first = source.find_first_not_of(" \t\r\n");
  return first != std::string::npos && source[first] == '{';
}

}  // namespace

Json decode_job(const std::string& source, const std::string& filename,
                const ParseOptions& options) {
  const hcl::File file = hcl::parse_file(source, filename);
  check_top_level(file);
  const auto context = job_context(file, options);
  return decode_job_block(file, context);
}

Json parse_job(const std::string& source, const std::string& filename,
               const ParseOptions& options) {
  Json job = looks_like_json(source) ? parse_json_job(source, filename)
                                     : decode_job(source, filename, options);
  canonicalize(job);
  return job;
}

Json parse_job_file(const std::string& path, const ParseOptions& options) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("reading job file `" + path + "`: cannot open it");
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) throw std::runtime_error("reading job file `" + path + "`: read error");
  return parse_job(text.str(), path, options);
}

}  // namespace jobspec
