// The parser of HCL's native syntax: text in, syntax tree out.
#pragma once

#include <string>
#include <string_view>

#include "hcl/ast.h"
#include "hcl/diagnostic.h"

namespace hcl {

// Limits that keep hostile input from exhausting the stack or memory: beyond them the
// parse fails with a diagnostic.
struct ParseLimits {
  int max_nesting = 256;                     // nested blocks, brackets, templates, parentheses
  std::size_t max_source_bytes = 64u << 20;  // the whole file
};

// Parses a whole configuration file. Throws DiagnosticError (the first error, located).
File parse_file(std::string source, std::string filename, const ParseLimits& limits = {});

// Parses one expression (for `-var name=EXPR`-style values and tests).
ExprPtr parse_expression(std::string_view source, std::string_view filename,
                         const ParseLimits& limits = {});

// Parses text as a template (the body of a string without the quotes; templatefile()).
ExprPtr parse_template(std::string_view source, std::string_view filename,
                       const ParseLimits& limits = {});

}  // namespace hcl
