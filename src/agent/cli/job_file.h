// Reading a job file the way every `potd job` command that takes one does: HCL2 (or JSON
// with -json), -var and -var-file, NOMAD_VAR_* from the environment, "-" for stdin; the
// result is the job as Nomad's API JSON with Nomad's defaults (jobspec::parse_job).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "jobspec/jobspec.h"

namespace pot::agent {

class GoFlags;

struct JobFileFlags {
  bool json = false;
  std::vector<std::string> vars;
  std::vector<std::string> var_files;
  void add_to(GoFlags& flags);
};

// The job file named by the one word left after the flags; nullopt after printing its
// diagnostics to stderr (with source lines and carets). Throws pot::Error naming `command`
// for a wrong number of words or an unreadable file.
std::optional<jobspec::Json> load_job(const std::string& command, const JobFileFlags& flags,
                                      const std::vector<std::string>& words);

}  // namespace pot::agent
