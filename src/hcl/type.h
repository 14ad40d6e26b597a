// Type constraints (HCL's typeexpr): `string`, `number`, `bool`, `any`, `list(T)`,
// `set(T)`, `map(T)`, `tuple([T...])`, `object({name = T...})`, `optional(T)` inside object,
// and conversion of values to them (cty's convert rules: "5" ↔ 5, "true" ↔ true, tuple →
// list, object → map...).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hcl/ast.h"
#include "hcl/value.h"

namespace hcl {

struct Type {
  enum class Kind { Any, String, Number, Bool, List, Set, Map, Tuple, Object } kind = Kind::Any;
  std::shared_ptr<const Type> element;                  // List, Set, Map
  std::vector<Type> tuple_elements;                     // Tuple
  std::map<std::string, Type, std::less<>> attributes;  // Object
  std::vector<std::string> optional_attributes;         // Object: those under optional()
};

// Reads a type expression (the value of a variable's `type`). Throws DiagnosticError.
Type parse_type(const Expr& expr);

// "list(string)", as written.
std::string type_name(const Type& type);

// Converts or throws DiagnosticError at `where`: "a number is required", "element 1: ...".
Value convert(const Value& value, const Type& type, const Range& where);

}  // namespace hcl
