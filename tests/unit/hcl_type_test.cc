// Type constraints: reading them, naming them, and converting values to them.
#include <gtest/gtest.h>

#include "hcl/parser.h"
#include "hcl/type.h"
#include "hcl_test_util.h"

namespace {

using hcl::Type;
using hcl::Value;

Type type_of(std::string_view source) {
  return hcl::parse_type(*hcl::parse_expression(source, "type.hcl"));
}

std::string type_error(std::string_view source) {
  try {
    type_of(source);
  } catch (const hcl::DiagnosticError& error) {
    return error.diagnostics().front().summary + "; " + error.diagnostics().front().detail;
  }
  return "no error";
}

Value convert(const Value& value, std::string_view type) {
  return hcl::convert(value, type_of(type), hcl::Range{});
}

std::string convert_error(const Value& value, std::string_view type) {
  try {
    convert(value, type);
  } catch (const hcl::DiagnosticError& error) {
    return error.diagnostics().front().detail;
  }
  return "no error";
}

Value str(const char* s) {
  return Value::string(s);
}
Value num(double n) {
  return Value::number(n);
}

TEST(HclType, ParseAndName) {
  for (const char* name :
       {"string", "number", "bool", "any", "list(string)", "set(number)", "map(bool)",
        "list(map(string))", "tuple([string, number])", "object({a = string, b = list(any)})",
        "object({a = optional(string), b = number})"}) {
    EXPECT_EQ(hcl::type_name(type_of(name)), name);
  }
  EXPECT_EQ(type_of("object({a = optional(number)})").optional_attributes,
            std::vector<std::string>{"a"});
  EXPECT_EQ(hcl::type_name(type_of("object({\"quoted\" = string})")), "object({quoted = string})");
}

TEST(HclType, ParseErrors) {
  EXPECT_EQ(type_error("strin"),
            "Invalid type specification; The keyword \"strin\" is not a valid type "
            "specification.");
  EXPECT_EQ(type_error("list"),
            "Invalid type specification; The list type constructor requires one argument "
            "specifying the element type.");
  EXPECT_EQ(type_error("list(string, number)"),
            "Invalid type specification; The list type constructor requires one argument "
            "specifying the element type.");
  EXPECT_EQ(type_error("optional(string)"),
            "Invalid type specification; Keyword \"optional\" is valid only as a modifier for "
            "object type attributes.");
  EXPECT_EQ(type_error("list(optional(string))")
                .rfind("Invalid type specification; Keyword "
                       "\"optional\"",
                       0),
            0u);
  EXPECT_EQ(type_error("frob(string)"),
            "Invalid type specification; Keyword \"frob\" is not a valid type constructor.");
  EXPECT_EQ(type_error("tuple(string)"),
            "Invalid type specification; Tuple type constructor requires a list of element "
            "types.");
  EXPECT_EQ(type_error("object([string])")
                .rfind("Invalid type specification; Object type "
                       "constructor requires a map",
                       0),
            0u);
  EXPECT_EQ(type_error("\"string\"").rfind("Invalid type specification;", 0), 0u);
  EXPECT_EQ(type_error("var.x").rfind("Invalid type specification;", 0), 0u);
}

TEST(HclType, PrimitiveConversions) {
  EXPECT_EQ(convert(num(5), "string"), str("5"));
  EXPECT_EQ(convert(num(0.5), "string"), str("0.5"));
  EXPECT_EQ(convert(Value::boolean(true), "string"), str("true"));
  EXPECT_EQ(convert(str("5"), "number"), num(5));
  EXPECT_EQ(convert(str("-1.5e3"), "number"), num(-1500));
  EXPECT_EQ(convert(str("true"), "bool"), Value::boolean(true));
  EXPECT_EQ(convert(str("0"), "bool"), Value::boolean(false));
  EXPECT_EQ(convert(Value::null(), "number"), Value::null());
  EXPECT_EQ(convert(str("x"), "any"), str("x"));
}

TEST(HclType, PrimitiveConversionErrors) {
  EXPECT_EQ(convert_error(str("five"), "number"), "Invalid value: a number is required.");
  EXPECT_EQ(convert_error(str(" 5"), "number"), "Invalid value: a number is required.");
  EXPECT_EQ(convert_error(str("0x10"), "number"), "Invalid value: a number is required.");
  EXPECT_EQ(convert_error(num(1), "bool"), "Invalid value: a bool is required.");
  EXPECT_EQ(convert_error(str("True"), "bool"),
            "Invalid value: a bool is required; to convert from string, use lowercase \"true\".");
  EXPECT_EQ(convert_error(Value::list({}), "string"), "Invalid value: a string is required.");
  EXPECT_EQ(convert_error(Value::boolean(true), "number"), "Invalid value: a number is required.");
}

TEST(HclType, CollectionConversions) {
  EXPECT_EQ(convert(Value::tuple({num(1), str("2")}), "list(string)"),
            Value::list({str("1"), str("2")}));
  EXPECT_EQ(convert(Value::tuple({num(1), str("2")}), "list(number)"),
            Value::list({num(1), num(2)}));
  EXPECT_EQ(convert(Value::tuple({str("b"), str("a"), str("b")}), "set(string)"),
            Value::set({str("a"), str("b")}));
  EXPECT_EQ(convert(Value::object({{"a", num(1)}}), "map(string)"), Value::map({{"a", str("1")}}));
  EXPECT_EQ(convert(Value::tuple({num(1), str("x")}), "tuple([string, string])"),
            Value::tuple({str("1"), str("x")}));
  // list(any) unifies: strings absorb numbers and bools.
  Value unified = convert(Value::tuple({num(1), str("x"), Value::boolean(true)}), "list(any)");
  EXPECT_EQ(unified, Value::list({str("1"), str("x"), str("true")}));
  EXPECT_EQ(unified.kind(), hcl::Kind::List);
}

TEST(HclType, CollectionConversionErrors) {
  EXPECT_EQ(convert_error(Value::tuple({str("a"), str("b")}), "list(number)"),
            "Invalid value: element 0: a number is required.");
  EXPECT_EQ(convert_error(Value::tuple({num(1), Value::list({})}), "list(string)"),
            "Invalid value: element 1: a string is required.");
  EXPECT_EQ(convert_error(num(1), "list(string)"), "Invalid value: list of string required.");
  EXPECT_EQ(convert_error(num(1), "map(any)"), "Invalid value: a map is required.");
  EXPECT_EQ(convert_error(Value::object({{"k", str("x")}}), "map(number)"),
            "Invalid value: element \"k\": a number is required.");
  EXPECT_EQ(convert_error(Value::tuple({num(1), Value::boolean(true)}), "list(any)"),
            "Invalid value: all list elements must have the same type.");
  EXPECT_EQ(convert_error(Value::tuple({num(1)}), "tuple([number, number])"),
            "Invalid value: a tuple of 2 elements is required.");
  EXPECT_EQ(convert_error(Value::tuple({num(1), str("x")}), "tuple([number, number])"),
            "Invalid value: element 1: a number is required.");
}

TEST(HclType, ObjectConversions) {
  const char* type = "object({name = string, port = number, tag = optional(string)})";
  Value given = Value::object({{"name", str("web")}, {"port", str("80")}, {"extra", num(1)}});
  // Optional attributes absent become null; attributes the type does not name are dropped.
  EXPECT_EQ(convert(given, type),
            Value::object({{"name", str("web")}, {"port", num(80)}, {"tag", Value::null()}}));
  EXPECT_EQ(convert_error(Value::object({{"port", num(1)}}), type),
            "Invalid value: attribute \"name\" is required.");
  EXPECT_EQ(convert_error(Value::object({{"name", str("a")}, {"port", str("x")}}), type),
            "Invalid value: attribute \"port\": a number is required.");
  EXPECT_EQ(convert_error(str("x"), type), "Invalid value: an object is required.");
  EXPECT_EQ(convert(Value::map({{"name", str("a")}, {"port", num(1)}}), type).kind(),
            hcl::Kind::Object);
}

TEST(HclType, ConversionErrorIsLocated) {
  hcl::Range where;
  where.filename = "vars.hcl";
  where.start.line = 7;
  try {
    hcl::convert(str("x"), type_of("number"), where);
    FAIL() << "no error";
  } catch (const hcl::DiagnosticError& error) {
    EXPECT_EQ(error.diagnostics().front().summary, "Incorrect value type");
    EXPECT_EQ(error.diagnostics().front().range.start.line, 7);
  }
}

}  // namespace
