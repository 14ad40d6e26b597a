// Type constraints: reading them from expressions (typeexpr), naming them, and converting
// values to them with cty's rules.
//
// Our values carry no static type (an empty list has no element type), so conversion is
// driven by the value: each element is converted on its own, and `any` inside a collection
// unifies the elements as cty would (strings absorb numbers and bools).
#include "hcl/type.h"

#include <charconv>
#include <cmath>

#include "hcl/conversion.h"
#include "hcl/diagnostic.h"

namespace hcl {

namespace detail {

Type make_type(Type::Kind kind) {
  Type type;
  type.kind = kind;
  return type;
}

Type make_collection_type(Type::Kind kind, Type element) {
  Type type = make_type(kind);
  type.element = std::make_shared<const Type>(std::move(element));
  return type;
}

std::optional<double> parse_number(std::string_view text) {
  std::size_t i = 0;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
  const std::size_t digits_start = i;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  bool any_digit = i > digits_start;
  if (i < text.size() && text[i] == '.') {
    ++i;
    const std::size_t fraction_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    any_digit = any_digit || i > fraction_start;
  }
  if (!any_digit) return std::nullopt;
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) ++i;
    const std::size_t exponent_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == exponent_start) return std::nullopt;
  }
  if (i != text.size()) return std::nullopt;
  // from_chars takes no leading '+'.
  std::string_view digits = text[0] == '+' ? text.substr(1) : text;
  double result = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), result);
  if (ec == std::errc::result_out_of_range) {
    // Too large for a double: infinity, as the nearest representation.
    return digits[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  }
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return result;
}

std::optional<Value> try_to_string(const Value& value, std::string& error) {
  switch (value.kind()) {
    case Kind::Null:
    case Kind::String:
      return value;
    case Kind::Number:
      return Value::string(format_number(value.as_number()));
    case Kind::Bool:
      return Value::string(value.as_bool() ? "true" : "false");
    default:
      error = "a string is required";
      return std::nullopt;
  }
}

std::optional<Value> try_to_number(const Value& value, std::string& error) {
  switch (value.kind()) {
    case Kind::Null:
    case Kind::Number:
      return value;
    case Kind::String:
      if (auto n = parse_number(value.as_string())) return Value::number(*n);
      break;
    default:
      break;
  }
  error = "a number is required";
  return std::nullopt;
}

std::optional<Value> try_to_bool(const Value& value, std::string& error) {
  if (value.is_null() || value.is_bool()) return value;
  if (value.is_string()) {
    const std::string& s = value.as_string();
    if (s == "true" || s == "1") return Value::boolean(true);
    if (s == "false" || s == "0") return Value::boolean(false);
    std::string lower;
    for (char c : s) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    if (lower == "true" || lower == "false") {
      error = "a bool is required; to convert from string, use lowercase \"" + lower + "\"";
      return std::nullopt;
    }
  }
  error = "a bool is required";
  return std::nullopt;
}

namespace {

bool is_primitive(Kind kind) {
  return kind == Kind::Bool || kind == Kind::Number || kind == Kind::String;
}

// What a message says is required: "a number is required", "list of string required".
std::string required(const Type& type) {
  switch (type.kind) {
    case Type::Kind::String:
      return "a string is required";
    case Type::Kind::Number:
      return "a number is required";
    case Type::Kind::Bool:
      return "a bool is required";
    case Type::Kind::List:
    case Type::Kind::Set:
    case Type::Kind::Map: {
      const char* what = type.kind == Type::Kind::List  ? "list"
                         : type.kind == Type::Kind::Set ? "set"
                                                        : "map";
      if (!type.element || type.element->kind == Type::Kind::Any) {
        return std::string("a ") + what + " is required";
      }
      return std::string(what) + " of " + type_name(*type.element) + " required";
    }
    case Type::Kind::Tuple:
      return "a tuple is required";
    case Type::Kind::Object:
      return "an object is required";
    case Type::Kind::Any:
      break;
  }
  return "a value is required";
}

std::optional<Value::Elements> convert_elements(const Value::Elements& elements,
                                                const Type& element_type, std::string& error) {
  Value::Elements out;
  out.reserve(elements.size());
  for (std::size_t i = 0; i < elements.size(); ++i) {
    std::string inner;
    auto converted = try_convert(elements[i], element_type, inner);
    if (!converted) {
      error = "element " + std::to_string(i) + ": " + inner;
      return std::nullopt;
    }
    out.push_back(std::move(*converted));
  }
  if (element_type.kind == Type::Kind::Any) return unify_elements(out, error);
  return out;
}

std::optional<Value> convert_sequence(const Value& value, const Type& type, std::string& error) {
  if (!value.is_sequence()) {
    error = required(type);
    return std::nullopt;
  }
  const Type element_type = type.element ? *type.element : make_type(Type::Kind::Any);
  std::string inner;
  auto elements = convert_elements(value.elements(), element_type, inner);
  if (!elements) {
    if (inner.rfind("element", 0) == 0) {
      error = inner;
    } else {
      error = std::string("all ") + (type.kind == Type::Kind::Set ? "set" : "list") +
              " elements must have the same type";
    }
    return std::nullopt;
  }
  if (type.kind == Type::Kind::Set) return Value::set(std::move(*elements));
  return Value::list(std::move(*elements));
}

std::optional<Value> convert_map(const Value& value, const Type& type, std::string& error) {
  if (!value.is_mapping()) {
    error = required(type);
    return std::nullopt;
  }
  const Type element_type = type.element ? *type.element : make_type(Type::Kind::Any);
  Value::Elements values;
  for (const auto& [key, element] : value.attributes()) {
    std::string inner;
    auto converted = try_convert(element, element_type, inner);
    if (!converted) {
      error = "element \"" + key + "\": " + inner;
      return std::nullopt;
    }
    values.push_back(std::move(*converted));
  }
  if (element_type.kind == Type::Kind::Any) {
    std::string inner;
    auto unified = unify_elements(values, inner);
    if (!unified) {
      error = "all map elements must have the same type";
      return std::nullopt;
    }
    values = std::move(*unified);
  }
  Value::Attributes out;
  std::size_t i = 0;
  for (const auto& entry : value.attributes()) out.emplace(entry.first, std::move(values[i++]));
  return Value::map(std::move(out));
}

std::optional<Value> convert_tuple(const Value& value, const Type& type, std::string& error) {
  if (!value.is_sequence() || value.kind() == Kind::Set ||
      value.size() != type.tuple_elements.size()) {
    error = "a tuple of " + std::to_string(type.tuple_elements.size()) + " elements is required";
    if (!value.is_sequence()) error = required(type);
    return std::nullopt;
  }
  Value::Elements out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    std::string inner;
    auto converted = try_convert(value.elements()[i], type.tuple_elements[i], inner);
    if (!converted) {
      error = "element " + std::to_string(i) + ": " + inner;
      return std::nullopt;
    }
    out.push_back(std::move(*converted));
  }
  return Value::tuple(std::move(out));
}

std::optional<Value> convert_object(const Value& value, const Type& type, std::string& error) {
  if (!value.is_mapping()) {
    error = required(type);
    return std::nullopt;
  }
  const auto& given = value.attributes();
  Value::Attributes out;
  for (const auto& [name, attribute_type] : type.attributes) {
    auto found = given.find(name);
    if (found == given.end()) {
      bool optional = false;
      for (const auto& o : type.optional_attributes) optional = optional || o == name;
      if (!optional) {
        error = "attribute \"" + name + "\" is required";
        return std::nullopt;
      }
      out.emplace(name, Value::null());
      continue;
    }
    std::string inner;
    auto converted = try_convert(found->second, attribute_type, inner);
    if (!converted) {
      error = "attribute \"" + name + "\": " + inner;
      return std::nullopt;
    }
    out.emplace(name, std::move(*converted));
  }
  // Attributes the type does not name are dropped, as cty drops them.
  return Value::object(std::move(out));
}

}  // namespace

std::optional<Value::Elements> unify_elements(const Value::Elements& elements, std::string& error) {
  bool any_string = false;
  bool any_bool = false;
  bool any_number = false;
  bool any_other = false;
  for (const Value& element : elements) {
    any_string = any_string || element.is_string();
    any_bool = any_bool || element.is_bool();
    any_number = any_number || element.is_number();
    any_other = any_other || (!element.is_null() && !is_primitive(element.kind()));
  }
  const int primitive_kinds = int(any_string) + int(any_bool) + int(any_number);
  if (primitive_kinds == 0) return elements;
  if (any_other || (primitive_kinds > 1 && !any_string)) {
    error = "all elements must have the same type";
    return std::nullopt;
  }
  if (primitive_kinds == 1) return elements;
  Value::Elements out;
  out.reserve(elements.size());
  for (const Value& element : elements) out.push_back(*try_to_string(element, error));
  return out;
}

std::optional<Value> try_convert(const Value& value, const Type& type, std::string& error) {
  if (value.is_null()) return value;
  switch (type.kind) {
    case Type::Kind::Any:
      return value;
    case Type::Kind::String:
      return try_to_string(value, error);
    case Type::Kind::Number:
      return try_to_number(value, error);
    case Type::Kind::Bool:
      return try_to_bool(value, error);
    case Type::Kind::List:
    case Type::Kind::Set:
      return convert_sequence(value, type, error);
    case Type::Kind::Map:
      return convert_map(value, type, error);
    case Type::Kind::Tuple:
      return convert_tuple(value, type, error);
    case Type::Kind::Object:
      return convert_object(value, type, error);
  }
  return value;
}

}  // namespace detail

Value convert(const Value& value, const Type& type, const Range& where) {
  std::string error;
  auto converted = detail::try_convert(value, type, error);
  if (!converted) throw_error("Incorrect value type", "Invalid value: " + error + ".", where);
  return std::move(*converted);
}

std::string type_name(const Type& type) {
  switch (type.kind) {
    case Type::Kind::Any:
      return "any";
    case Type::Kind::String:
      return "string";
    case Type::Kind::Number:
      return "number";
    case Type::Kind::Bool:
      return "bool";
    case Type::Kind::List:
    case Type::Kind::Set:
    case Type::Kind::Map: {
      const char* what = type.kind == Type::Kind::List  ? "list"
                         : type.kind == Type::Kind::Set ? "set"
                                                        : "map";
      return std::string(what) + "(" + (type.element ? type_name(*type.element) : "any") + ")";
    }
    case Type::Kind::Tuple: {
      std::string out = "tuple([";
      for (std::size_t i = 0; i < type.tuple_elements.size(); ++i) {
        if (i > 0) out += ", ";
        out += type_name(type.tuple_elements[i]);
      }
      return out + "])";
    }
    case Type::Kind::Object: {
      std::string out = "object({";
      bool first = true;
      for (const auto& [name, attribute_type] : type.attributes) {
        if (!first) out += ", ";
        first = false;
        bool optional = false;
        for (const auto& o : type.optional_attributes) optional = optional || o == name;
        out += name + " = ";
        out += optional ? "optional(" + type_name(attribute_type) + ")" : type_name(attribute_type);
      }
      return out + "})";
    }
  }
  return "any";
}

namespace {

[[noreturn]] void invalid_type(const Range& range, const std::string& detail) {
  throw_error("Invalid type specification", detail, range);
}

// The key of an object type's attribute: a bare name or a quoted string.
std::string attribute_key(const ObjectItem& item) {
  const Expr& key = *item.key;
  if (key.kind == ExprKind::Literal) {
    const Value& v = static_cast<const LiteralExpr&>(key).value;
    if (v.is_string()) return v.as_string();
  }
  if (key.kind == ExprKind::ScopeTraversal) {
    const auto& traversal = static_cast<const ScopeTraversalExpr&>(key);
    if (traversal.steps.empty()) return traversal.root;
  }
  if (key.kind == ExprKind::Template) {
    const auto& tmpl = static_cast<const TemplateExpr&>(key);
    if (tmpl.parts.size() == 1 && tmpl.parts[0]->kind == ExprKind::Literal) {
      const Value& v = static_cast<const LiteralExpr&>(*tmpl.parts[0]).value;
      if (v.is_string()) return v.as_string();
    }
  }
  invalid_type(key.range, "Object constructor map keys must be attribute names.");
}

Type parse_type_in(const Expr& expr, bool optional_allowed, bool* is_optional);

Type parse_constructor(const FunctionCallExpr& call, bool optional_allowed, bool* is_optional) {
  const std::string& name = call.name;
  const bool known = name == "list" || name == "set" || name == "map" || name == "tuple" ||
                     name == "object" || name == "optional";
  if (!known) {
    invalid_type(call.name_range, "Keyword \"" + name + "\" is not a valid type constructor.");
  }
  if (name == "optional" && !optional_allowed) {
    invalid_type(call.range,
                 "Keyword \"optional\" is valid only as a modifier for object "
                 "type attributes.");
  }
  if (call.args.size() != 1 || call.expand_final) {
    invalid_type(call.range, "The " + name +
                                 " type constructor requires one argument specifying the " +
                                 (name == "tuple"    ? "element types as a list."
                                  : name == "object" ? "attribute types as an object."
                                                     : "element type."));
  }
  const Expr& arg = *call.args[0];
  if (name == "optional") {
    *is_optional = true;
    return parse_type_in(arg, false, nullptr);
  }
  if (name == "list" || name == "set" || name == "map") {
    const Type::Kind kind = name == "list"  ? Type::Kind::List
                            : name == "set" ? Type::Kind::Set
                                            : Type::Kind::Map;
    return detail::make_collection_type(kind, parse_type_in(arg, false, nullptr));
  }
  if (name == "tuple") {
    if (arg.kind != ExprKind::Tuple) {
      invalid_type(arg.range, "Tuple type constructor requires a list of element types.");
    }
    Type type = detail::make_type(Type::Kind::Tuple);
    for (const auto& element : static_cast<const TupleExpr&>(arg).elements) {
      type.tuple_elements.push_back(parse_type_in(*element, false, nullptr));
    }
    return type;
  }
  if (arg.kind != ExprKind::Object) {
    invalid_type(arg.range,
                 "Object type constructor requires a map whose keys are attribute "
                 "names and whose values are the corresponding attribute types.");
  }
  Type type = detail::make_type(Type::Kind::Object);
  for (const ObjectItem& item : static_cast<const ObjectExpr&>(arg).items) {
    std::string key = attribute_key(item);
    bool optional = false;
    Type attribute_type = parse_type_in(*item.value, true, &optional);
    if (optional) type.optional_attributes.push_back(key);
    type.attributes.insert_or_assign(std::move(key), std::move(attribute_type));
  }
  return type;
}

Type parse_type_in(const Expr& expr, bool optional_allowed, bool* is_optional) {
  if (expr.kind == ExprKind::Parentheses) {
    return parse_type_in(*static_cast<const ParenthesesExpr&>(expr).inner, optional_allowed,
                         is_optional);
  }
  if (expr.kind == ExprKind::ScopeTraversal) {
    const auto& traversal = static_cast<const ScopeTraversalExpr&>(expr);
    const std::string& name = traversal.root;
    if (!traversal.steps.empty()) {
      invalid_type(expr.range,
                   "A type specification is either a primitive type keyword "
                   "(bool, number, string) or a complex type constructor call, "
                   "like list(string).");
    }
    if (name == "string") return detail::make_type(Type::Kind::String);
    if (name == "number") return detail::make_type(Type::Kind::Number);
    if (name == "bool") return detail::make_type(Type::Kind::Bool);
    if (name == "any") return detail::make_type(Type::Kind::Any);
    if (name == "list" || name == "set" || name == "map") {
      invalid_type(expr.range, "The " + name +
                                   " type constructor requires one argument specifying the "
                                   "element type.");
    }
    if (name == "tuple" || name == "object" || name == "optional") {
      invalid_type(expr.range, "The " + name + " type constructor requires one argument.");
    }
    invalid_type(expr.range, "The keyword \"" + name + "\" is not a valid type specification.");
  }
  if (expr.kind == ExprKind::FunctionCall) {
    return parse_constructor(static_cast<const FunctionCallExpr&>(expr), optional_allowed,
                             is_optional);
  }
  invalid_type(expr.range,
               "A type specification is either a primitive type keyword (bool, "
               "number, string) or a complex type constructor call, like "
               "list(string).");
}

}  // namespace

Type parse_type(const Expr& expr) {
  return parse_type_in(expr, false, nullptr);
}

}  // namespace hcl
