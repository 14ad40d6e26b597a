// A whole job file through jobspec::parse_job: the HCL2 parser, evaluation (functions,
// templates, for expressions, variables, locals, dynamic blocks) and the job-specification
// decoder, as potd's API will run it on a submitted file (no filesystem access). Checks,
// beyond no crash, hang or leak:
//  - the result is a job or a located hcl::DiagnosticError or a std::runtime_error with a
//    message (a JSON job's type errors), never another exception;
//  - a job is an object whose ID is a string, and canonicalize is idempotent on it (Nomad's
//    Canonicalize is too);
//  - validate() on it returns without fault.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fuzz_check.h"
#include "hcl/diagnostic.h"
#include "jobspec/jobspec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  jobspec::ParseOptions options;
  options.allow_filesystem = false;
  // Both forms: the API's JSON (as -json) when it looks like it, else HCL.
  const auto first = text.find_first_not_of(" \t\r\n");
  options.json = first != std::string::npos && text[first] == '{';
  try {
    jobspec::Json job = jobspec::parse_job(text, "fuzz.nomad", options);
    FUZZ_CHECK(job.is_object());
    FUZZ_CHECK(job.contains("ID") && job["ID"].is_string());
    jobspec::Json again = job;
    jobspec::canonicalize(again);
    FUZZ_CHECK(again == job);
    (void)jobspec::validate(job);
  } catch (const hcl::DiagnosticError& error) {
    FUZZ_CHECK(!error.diagnostics().empty());
    FUZZ_CHECK(error.diagnostics().front().range.start.line >= 1);
  } catch (const std::runtime_error& error) {
    std::string message = error.what();
    FUZZ_CHECK(!message.empty());
  }
  return 0;
}
