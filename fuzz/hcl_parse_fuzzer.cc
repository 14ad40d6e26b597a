// The HCL2 parser (src/hcl/parser.cc) on hostile text: job files come from users and, through
// potd's HTTP API, from anyone who can reach it. Checks, beyond no crash, hang or leak:
//  - a parse either returns a file or throws hcl::DiagnosticError, nothing else;
//  - every diagnostic points into the text (its line exists; line and column count from 1),
//    and its formatted form with the source snippet is built without fault;
//  - a parsed file's attributes are unique per body.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "hcl/diagnostic.h"
#include "hcl/parser.h"

namespace {

int count_lines(const std::string& text) {
  int lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  return lines;
}

void check_body(const hcl::Body& body) {
  std::set<std::string> names;
  for (const hcl::Attribute& attribute : body.attributes) {
    FUZZ_CHECK(names.insert(attribute.name).second);
    FUZZ_CHECK(attribute.expr != nullptr);
  }
  for (const hcl::Block& block : body.blocks) {
    FUZZ_CHECK(block.body != nullptr);
    check_body(*block.body);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    hcl::File file = hcl::parse_file(text, "fuzz.hcl");
    check_body(file.body);
  } catch (const hcl::DiagnosticError& error) {
    FUZZ_CHECK(!error.diagnostics().empty());
    for (const hcl::Diagnostic& diagnostic : error.diagnostics()) {
      FUZZ_CHECK(diagnostic.range.start.line >= 1);
      FUZZ_CHECK(diagnostic.range.start.column >= 1);
      FUZZ_CHECK(diagnostic.range.start.line <= count_lines(text));
      FUZZ_CHECK(!diagnostic.summary.empty());
      FUZZ_CHECK(!hcl::format(diagnostic, text).empty());
    }
  }
  return 0;
}
