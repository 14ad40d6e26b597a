// HCL diagnostics: what was found, what was expected, and where.
//
// Every error of the language (syntax, evaluation, type conversion, function call) is a
// Diagnostic thrown inside a DiagnosticError. `format()` renders it as HCL's own tools do:
//
//   job.nomad:3:14: Missing newline after block definition; A block definition must end
//   with a newline.
//     3 |   group "g" { } }
//       |              ^
#pragma once

#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "hcl/source.h"

namespace hcl {

struct Diagnostic {
  std::string summary;  // a short title: "Invalid expression", "Unsupported argument"
  std::string detail;   // one or two sentences: what was found and what was expected
  Range range;          // where; the caret points at range.start
};

class DiagnosticError : public std::exception {
 public:
  explicit DiagnosticError(Diagnostic diagnostic);
  explicit DiagnosticError(std::vector<Diagnostic> diagnostics);

  const std::vector<Diagnostic>& diagnostics() const { return diagnostics_; }
  // The first diagnostic on one line: "file:line:col: summary; detail".
  const char* what() const noexcept override { return message_.c_str(); }

 private:
  std::vector<Diagnostic> diagnostics_;
  std::string message_;
};

// "file:line:col: summary; detail" (no trailing newline).
std::string format_one_line(const Diagnostic& diagnostic);

// The one-line form, then the source line of range.start and a caret under its column
// (a run of carets up to range.end when the range stays on that line). `source` is the
// whole text of the file the range is in; an empty view leaves the snippet out.
std::string format(const Diagnostic& diagnostic, std::string_view source);

[[noreturn]] void throw_error(std::string summary, std::string detail, Range range);

}  // namespace hcl
