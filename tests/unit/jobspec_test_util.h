// Helpers of the jobspec tests: decode a job file's text (before canonicalize), and catch
// the located error of a bad one.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "hcl/diagnostic.h"
#include "jobspec/decode.h"

namespace jobspec_test {

inline jobspec::Json decode(const std::string& source, const jobspec::ParseOptions& options = {}) {
  return jobspec::decode_job(source, "job.nomad", options);
}

// The diagnostics of a file that must fail; an empty list (and a test failure) if it does not.
inline std::vector<hcl::Diagnostic> errors_of(const std::string& source,
                                              const jobspec::ParseOptions& options = {}) {
  try {
    jobspec::decode_job(source, "job.nomad", options);
  } catch (const hcl::DiagnosticError& e) {
    return e.diagnostics();
  }
  ADD_FAILURE() << "no error for:\n" << source;
  return {};
}

// The first diagnostic whose summary is `summary`, or a failure.
inline hcl::Diagnostic error_named(const std::string& summary, const std::string& source,
                                   const jobspec::ParseOptions& options = {}) {
  const auto diagnostics = errors_of(source, options);
  for (const hcl::Diagnostic& d : diagnostics) {
    if (d.summary == summary) return d;
  }
  std::string found;
  for (const hcl::Diagnostic& d : diagnostics) found += "\n  " + hcl::format_one_line(d);
  ADD_FAILURE() << "no \"" << summary << "\" among:" << found;
  return {};
}

}  // namespace jobspec_test
