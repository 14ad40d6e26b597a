// The structure of an HCL file as canonical JSON, printed from our parser's syntax tree: the
// C++ twin of the Go tool tests/hcl_structure (HashiCorp's hclsyntax), whose output it must
// match byte for byte. The format is described in tests/hcl_structure/main.go and
// canonical_json.go; hcl_differential_test.cc compares the two over tests/hcl_corpus.
#pragma once

#include <string>

#include "hcl/eval.h"
#include "hcl/function.h"

namespace pot::testing {

// `hcl-structure FILE`: bodies, blocks and attributes; an attribute's value when it
// evaluates with an empty context, else "<expr:KIND>" (KIND named as hclsyntax names its
// expression types); {"error": {...}} when the file does not parse.
std::string describe_hcl_file(std::string source, const std::string& filename);

// The variables and functions of `hcl-structure -eval VARS_FILE`: each attribute of
// `vars_source` evaluated with an empty context, and the standard library. Throws
// hcl::DiagnosticError when the variables file is wrong.
struct StructureEvalContext {
  hcl::FunctionTable functions;
  hcl::EvalContext context;
};
void load_structure_variables(const std::string& vars_source, const std::string& vars_filename,
                              StructureEvalContext& out);

// `hcl-structure -eval VARS_FILE FILE`: as describe_hcl_file, but each attribute is
// evaluated with `context`: its value, or "<error:SUMMARY>".
std::string describe_hcl_file_evaluated(std::string source, const std::string& filename,
                                        const hcl::EvalContext& context);

}  // namespace pot::testing
