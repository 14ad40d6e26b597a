// Evaluation of HCL expressions: operators, conversions, templates, traversals, splats, for
// expressions, function calls, variables, and the limits that stop hostile expressions.
#include <gtest/gtest.h>

#include <chrono>
#include <limits>

#include "hcl/eval.h"
#include "hcl/function.h"
#include "hcl/parser.h"
#include "hcl_test_util.h"

namespace {

using hcl::Value;

hcl::EvalContext make_context() {
  static const hcl::FunctionTable functions = hcl::standard_functions({});
  hcl::EvalContext context;
  context.functions = &functions;
  context.variables["var"] = Value::object({
      {"name", Value::string("web")},
      {"count", Value::number(3)},
      {"ports", Value::list({Value::number(80), Value::number(443)})},
      {"tags", Value::map({{"env", Value::string("prod")}, {"team", Value::string("ops")}})},
      {"nothing", Value::null()},
      {"servers", Value::tuple({Value::object({{"name", Value::string("a")}}),
                                Value::object({{"name", Value::string("b")}})})},
  });
  return context;
}

Value eval(std::string_view source, const hcl::EvalContext& context = make_context()) {
  hcl::ExprPtr expr = hcl::parse_expression(source, "test.hcl");
  return hcl::evaluate(*expr, context);
}

// "summary; detail" of the error the expression raises, or "no error".
std::string error_of(std::string_view source, const hcl::EvalContext& context = make_context()) {
  try {
    eval(source, context);
  } catch (const hcl::DiagnosticError& error) {
    const hcl::Diagnostic& d = error.diagnostics().front();
    return d.summary + "; " + d.detail;
  }
  return "no error";
}

Value str(const char* s) {
  return Value::string(s);
}
Value num(double n) {
  return Value::number(n);
}

TEST(HclEval, LiteralsAndArithmetic) {
  EXPECT_EQ(eval("1 + 2 * 3"), num(7));
  EXPECT_EQ(eval("(1 + 2) * 3"), num(9));
  EXPECT_EQ(eval("7 % 3"), num(1));
  EXPECT_EQ(eval("-7 % 3"), num(-1));
  EXPECT_EQ(eval("1 / 4"), num(0.25));
  EXPECT_EQ(eval("-var.count"), num(-3));
  EXPECT_EQ(eval("\"2\" * 3"), num(6));  // a string that reads as a number converts
  EXPECT_EQ(eval("null"), Value::null());
}

// As cty computes them, so that a job file Nomad takes evaluates the same here.
TEST(HclEval, DivisionByZeroIsInfiniteAndModuloByZeroIsTheDividend) {
  EXPECT_EQ(eval("1 / 0"), num(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(eval("-1 / 0"), num(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(eval("5 % 0"), num(5));
  EXPECT_EQ(eval("\"x${1 / 0}\""), Value::string("x+Inf"));
}

TEST(HclEval, ArithmeticErrors) {
  EXPECT_EQ(error_of("0 / 0"),
            "Operation failed; Error during operation: the result is not a number.");
  EXPECT_EQ(error_of("\"a\" + 1"),
            "Invalid operand; Unsuitable value for left operand: a number is required.");
  EXPECT_EQ(error_of("1 + null"),
            "Invalid operand; Unsuitable value for right operand: argument must not be null.");
  EXPECT_EQ(error_of("1 + [1]"),
            "Invalid operand; Unsuitable value for right operand: a number is required.");
  EXPECT_EQ(error_of("-\"x\""),
            "Invalid operand; Unsuitable value for the operand: a number is required.");
}

TEST(HclEval, ComparisonAndLogic) {
  EXPECT_EQ(eval("1 < 2"), Value::boolean(true));
  EXPECT_EQ(eval("\"10\" > 9"), Value::boolean(true));
  EXPECT_EQ(eval("2 <= 2 && 3 >= 4"), Value::boolean(false));
  EXPECT_EQ(eval("true || false"), Value::boolean(true));
  EXPECT_EQ(eval("!true"), Value::boolean(false));
  EXPECT_EQ(eval("\"true\" && true"), Value::boolean(true));
  EXPECT_EQ(error_of("1 && true"),
            "Invalid operand; Unsuitable value for left operand: a bool is required.");
  EXPECT_EQ(error_of("!\"yes\""),
            "Invalid operand; Unsuitable value for the operand: a bool is required.");
  // HCL has no short-circuit: the right side is evaluated, and its error counts.
  EXPECT_EQ(error_of("false && nosuch"),
            "Unknown variable; There is no variable named \"nosuch\".");
}

TEST(HclEval, Equality) {
  EXPECT_EQ(eval("1 == 1"), Value::boolean(true));
  EXPECT_EQ(eval("1 == \"1\""), Value::boolean(false));  // different types are never equal
  EXPECT_EQ(eval("\"a\" != \"b\""), Value::boolean(true));
  EXPECT_EQ(eval("null == null"), Value::boolean(true));
  EXPECT_EQ(eval("var.nothing == null"), Value::boolean(true));
  EXPECT_EQ(eval("[1, 2] == [1, 2]"), Value::boolean(true));
  EXPECT_EQ(eval("{a = 1} == {a = 1}"), Value::boolean(true));
  EXPECT_EQ(eval("{a = 1} == {a = 2}"), Value::boolean(false));
  EXPECT_EQ(eval("var.ports == [80, 443]"), Value::boolean(true));  // list and tuple
}

TEST(HclEval, Conditional) {
  EXPECT_EQ(eval("true ? 1 : 2"), num(1));
  EXPECT_EQ(eval("var.count > 2 ? \"many\" : \"few\""), str("many"));
  // The results unify: a number and a string give a string.
  EXPECT_EQ(eval("true ? 1 : \"x\""), str("1"));
  EXPECT_EQ(eval("false ? \"x\" : 2"), str("2"));
  EXPECT_EQ(eval("true ? 1 : null"), num(1));
  // Only the chosen side's errors count.
  EXPECT_EQ(eval("length(var.ports) > 5 ? var.ports[5] : 0"), num(0));
  EXPECT_EQ(error_of("null ? 1 : 2"),
            "Null condition; The condition value is null. Conditions must either be true or "
            "false.");
  EXPECT_EQ(error_of("\"maybe\" ? 1 : 2"),
            "Incorrect condition type; The condition expression must be of type bool: a bool "
            "is required.");
  EXPECT_EQ(error_of("true ? 1 : false"),
            "Inconsistent conditional result types; The true and false result expressions must "
            "have consistent types. The 'true' value is number, but the 'false' value is bool.");
}

TEST(HclEval, Templates) {
  EXPECT_EQ(eval("\"hello ${var.name}!\""), str("hello web!"));
  EXPECT_EQ(eval("\"n=${var.count} half=${var.count / 2} t=${true}\""), str("n=3 half=1.5 t=true"));
  EXPECT_EQ(eval("\"x${1e21}\""), str("x1000000000000000000000"));
  EXPECT_EQ(eval("\"$${literal}\""), str("${literal}"));
  EXPECT_EQ(error_of("\"x${var.nothing}\""),
            "Invalid template interpolation value; The expression result is null. Cannot "
            "include a null value in a string template.");
  EXPECT_EQ(error_of("\"x${var.ports}\""),
            "Invalid template interpolation value; Cannot include the given value (a list) in "
            "a string template: string required.");
}

TEST(HclEval, TemplateWrapKeepsTheValue) {
  EXPECT_EQ(eval("\"${var.ports}\""), eval("var.ports"));
  EXPECT_EQ(eval("\"${var.count}\""), num(3));
  EXPECT_EQ(eval("\"${var.nothing}\""), Value::null());
}

TEST(HclEval, TemplateDirectives) {
  EXPECT_EQ(eval("\"%{if var.count > 1}many%{else}one%{endif}\""), str("many"));
  EXPECT_EQ(eval("\"%{if false}yes%{endif}.\""), str("."));
  EXPECT_EQ(eval("\"%{for p in var.ports}${p},%{endfor}\""), str("80,443,"));
  EXPECT_EQ(eval("\"%{for k, v in var.tags}${k}=${v};%{endfor}\""), str("env=prod;team=ops;"));
  EXPECT_EQ(eval("\"%{for i, p in var.ports}${i}:${p} %{endfor}\""), str("0:80 1:443 "));
  EXPECT_EQ(error_of("\"%{if null}x%{endif}\""),
            "Null condition; The condition value is null. Conditions must either be true or "
            "false.");
  EXPECT_EQ(error_of("\"%{for x in 5}x%{endfor}\""),
            "Iteration over non-iterable value; A value of type number cannot be used as the "
            "collection in a 'for' expression.");
}

TEST(HclEval, TuplesAndObjects) {
  EXPECT_EQ(eval("[1, \"a\", true]"), Value::tuple({num(1), str("a"), Value::boolean(true)}));
  EXPECT_EQ(eval("{a = 1, \"b\" = 2}"), Value::object({{"a", num(1)}, {"b", num(2)}}));
  EXPECT_EQ(eval("{(var.name) = 1}"), Value::object({{"web", num(1)}}));
  EXPECT_EQ(eval("{1 = \"one\"}"), Value::object({{"1", str("one")}}));
  EXPECT_EQ(eval("{(true) = 1}"), Value::object({{"true", num(1)}}));
  EXPECT_EQ(error_of("{(null) = 1}"), "Null value as key; Can't use a null value as a key.");
  EXPECT_EQ(error_of("{(var.ports) = 1}"),
            "Incorrect key type; Can't use this value as a key: a string is required.");
}

TEST(HclEval, Variables) {
  EXPECT_EQ(eval("var.name"), str("web"));
  EXPECT_EQ(error_of("nosuch.x"), "Unknown variable; There is no variable named \"nosuch\".");
  hcl::EvalContext context = make_context();
  // Nomad's run-time references: kept as written.
  context.unknown_variable = [](const hcl::ScopeTraversalExpr& t) -> std::optional<Value> {
    if (t.root == "attr" || t.root.rfind("NOMAD_", 0) == 0) {
      return Value::string("${" + t.source_text + "}");
    }
    return std::nullopt;
  };
  EXPECT_EQ(eval("\"port ${NOMAD_PORT_http}\"", context), str("port ${NOMAD_PORT_http}"));
  EXPECT_EQ(eval("attr.unique.hostname", context), str("${attr.unique.hostname}"));
  EXPECT_EQ(error_of("other", context), "Unknown variable; There is no variable named \"other\".");
  // A child scope sees its parent's names and the parent's callback.
  hcl::EvalContext child;
  child.parent = &context;
  child.variables["x"] = num(1);
  EXPECT_EQ(eval("x + var.count", child), num(4));
  EXPECT_EQ(eval("\"${attr.kernel.name}\"", child), str("${attr.kernel.name}"));
}

TEST(HclEval, AttributesAndIndexes) {
  EXPECT_EQ(eval("var.ports[1]"), num(443));
  EXPECT_EQ(eval("var.ports[\"0\"]"), num(80));  // the key converts to a number
  EXPECT_EQ(eval("var.ports.0"), num(80));       // the legacy index form
  EXPECT_EQ(eval("var.tags.env"), str("prod"));
  EXPECT_EQ(eval("var.tags[\"team\"]"), str("ops"));
  EXPECT_EQ(eval("var[\"name\"]"), str("web"));
  EXPECT_EQ(eval("var.servers[1].name"), str("b"));
  EXPECT_EQ(eval("[10, 20][var.count - 2]"), num(20));
  EXPECT_EQ(eval("{a = {b = 5}}.a.b"), num(5));
  EXPECT_EQ(eval("{\"1\" = \"x\"}[1]"), str("x"));
}

TEST(HclEval, AttributeAndIndexErrors) {
  EXPECT_EQ(error_of("var.missing"),
            "Unsupported attribute; This object does not have an attribute named \"missing\".");
  EXPECT_EQ(error_of("var.tags.missing"),
            "Missing map element; This map does not have an element with the key \"missing\".");
  EXPECT_EQ(error_of("var.nothing.x"),
            "Attempt to get attribute from null value; This value is null, so it does not have "
            "any attributes.");
  EXPECT_EQ(error_of("var.nothing[0]"),
            "Attempt to index null value; This value is null, so it does not have any indices.");
  EXPECT_EQ(error_of("var.ports[2]"),
            "Invalid index; The given key does not identify an element in this collection "
            "value: index 2 is out of range for a list of 2 element(s).");
  EXPECT_EQ(error_of("var.ports[-1]"),
            "Invalid index; The given key does not identify an element in this collection "
            "value: a negative number is not a valid index for a sequence.");
  EXPECT_EQ(error_of("var.ports[0.5]"),
            "Invalid index; The given key does not identify an element in this collection "
            "value: the index must be a whole number.");
  EXPECT_EQ(error_of("var.ports[\"x\"]"),
            "Invalid index; The given key does not identify an element in this collection "
            "value: a number is required.");
  EXPECT_EQ(error_of("var.ports[null]"),
            "Invalid index; Can't use a null value as an indexing key.");
  EXPECT_EQ(error_of("var.tags[\"nope\"]"),
            "Invalid index; The given key does not identify an element in this collection "
            "value: there is no element with the key \"nope\".");
  EXPECT_EQ(error_of("var.tags[[1]]"),
            "Invalid index; The given key does not identify an element in this collection "
            "value: a string is required.");
  EXPECT_EQ(error_of("var.name[0]"),
            "Invalid index; This value (a string) does not have any indices.");
  EXPECT_EQ(error_of("var.name.x"),
            "Unsupported attribute; Can't access attributes on a primitive-typed value "
            "(string): \"x\" was requested.");
  EXPECT_EQ(error_of("toset([1])[0]").rfind("Invalid index; Elements of a set are identified", 0),
            0u);
  EXPECT_EQ(error_of("var.servers.name")
                .rfind("Unsupported attribute; Can't access attributes "
                       "on a tuple of values.",
                       0),
            0u);
}

TEST(HclEval, Splats) {
  EXPECT_EQ(eval("var.servers[*].name"), Value::tuple({str("a"), str("b")}));
  EXPECT_EQ(eval("var.servers.*.name"), Value::tuple({str("a"), str("b")}));
  EXPECT_EQ(eval("var.ports[*]"), eval("var.ports"));
  EXPECT_EQ(eval("var.nothing[*]"), Value::tuple({}));         // null: empty
  EXPECT_EQ(eval("var.name[*]"), Value::tuple({str("web")}));  // not a sequence: one element
  EXPECT_EQ(eval("{a = 1}[*].a"), Value::tuple({num(1)}));
  EXPECT_EQ(eval("toset([\"x\"])[*]"), Value::list({str("x")}));
  EXPECT_EQ(error_of("var.servers[*].nope"),
            "Unsupported attribute; This object does not have an attribute named \"nope\".");
}

TEST(HclEval, ForExpressions) {
  EXPECT_EQ(eval("[for p in var.ports : p + 1]"), Value::tuple({num(81), num(444)}));
  EXPECT_EQ(eval("[for i, p in var.ports : i]"), Value::tuple({num(0), num(1)}));
  EXPECT_EQ(eval("[for p in var.ports : p if p > 100]"), Value::tuple({num(443)}));
  EXPECT_EQ(eval("[for k, v in var.tags : \"${k}=${v}\"]"),
            Value::tuple({str("env=prod"), str("team=ops")}));
  EXPECT_EQ(eval("[for s in toset([\"b\", \"a\"]) : s]"), Value::tuple({str("a"), str("b")}));
  EXPECT_EQ(eval("[for k, s in toset([\"b\"]) : k]"), Value::tuple({str("b")}));
  EXPECT_EQ(eval("{for k, v in var.tags : v => k}"),
            Value::object({{"prod", str("env")}, {"ops", str("team")}}));
  EXPECT_EQ(eval("{for s in var.servers : s.name => 1}"),
            Value::object({{"a", num(1)}, {"b", num(1)}}));
  EXPECT_EQ(
      eval("{for p in [1, 2, 3] : (p % 2 == 0 ? \"even\" : \"odd\") => p...}"),
      Value::object({{"even", Value::tuple({num(2)})}, {"odd", Value::tuple({num(1), num(3)})}}));
  EXPECT_EQ(eval("{for x in [1, 2] : x => x}"), Value::object({{"1", num(1)}, {"2", num(2)}}));
  // The iterator shadows an outer name only inside the loop.
  EXPECT_EQ(eval("[for var in [1] : var]"), Value::tuple({num(1)}));
}

TEST(HclEval, ForExpressionErrors) {
  EXPECT_EQ(error_of("[for x in null : x]"),
            "Iteration over null value; A null value cannot be used as the collection in a "
            "'for' expression.");
  EXPECT_EQ(error_of("[for x in \"abc\" : x]"),
            "Iteration over non-iterable value; A value of type string cannot be used as the "
            "collection in a 'for' expression.");
  EXPECT_EQ(error_of("[for x in [1] : x if null]"),
            "Condition is null; The value of the 'if' clause must not be null.");
  EXPECT_EQ(error_of("[for x in [1] : x if \"no\"]"),
            "Invalid 'for' condition; The 'if' clause value is invalid: a bool is required.");
  EXPECT_EQ(error_of("{for x in [1, 1] : x => x}"),
            "Duplicate object key; Two different items produced the key \"1\" in this 'for' "
            "expression. If duplicates are expected, use the ellipsis (...) after the value "
            "expression to enable grouping by key.");
  EXPECT_EQ(error_of("{for x in [1] : null => x}"),
            "Invalid object key; Key expression in 'for' expression must not produce a null "
            "value.");
  EXPECT_EQ(error_of("{for x in [1] : [x] => x}"),
            "Invalid object key; The key expression produced an invalid result: a string is "
            "required.");
}

TEST(HclEval, FunctionCalls) {
  EXPECT_EQ(eval("upper(var.name)"), str("WEB"));
  EXPECT_EQ(eval("max(var.ports...)"), num(443));
  EXPECT_EQ(eval("max(1, var.ports...)"), num(443));
  EXPECT_EQ(error_of("nosuch(1)"),
            "Call to unknown function; There is no function named \"nosuch\".");
  EXPECT_EQ(error_of("upper()"),
            "Not enough function arguments; Function \"upper\" expects 1 argument(s); 0 given.");
  EXPECT_EQ(error_of("upper(\"a\", \"b\")"),
            "Too many function arguments; Function \"upper\" expects 1 argument(s); 2 given.");
  EXPECT_EQ(error_of("join(\",\")"),
            "Not enough function arguments; Function \"join\" expects at least 2 argument(s); 1 "
            "given.");
  EXPECT_EQ(error_of("lookup({}, \"a\", 1, 2)"),
            "Too many function arguments; Function \"lookup\" expects at most 3 argument(s); 4 "
            "given.");
  EXPECT_EQ(error_of("max(var.name...)"),
            "Invalid expanding argument value; The expanding argument (indicated by ...) must "
            "be of a tuple, list, or set type, not a string.");
  EXPECT_EQ(error_of("max(null...)").rfind("Invalid expanding argument value;", 0), 0u);
  hcl::EvalContext no_functions;
  EXPECT_EQ(error_of("upper(\"a\")", no_functions),
            "Call to unknown function; There is no function named \"upper\".");
}

TEST(HclEval, CanAndTry) {
  EXPECT_EQ(eval("can(var.ports[5])"), Value::boolean(false));
  EXPECT_EQ(eval("can(var.ports[1])"), Value::boolean(true));
  EXPECT_EQ(eval("can(nosuch)"), Value::boolean(false));
  EXPECT_EQ(eval("try(var.tags.nope, var.name)"), str("web"));
  EXPECT_EQ(eval("try(var.count)"), num(3));
  EXPECT_EQ(eval("try(tonumber(\"x\"), 0)"), num(0));
  std::string error = error_of("try(var.nope, nosuch)");
  EXPECT_EQ(error.rfind("Error in function call; Call to function \"try\" failed: no expression "
                        "succeeded:",
                        0),
            0u);
  EXPECT_NE(error.find("There is no variable named \"nosuch\""), std::string::npos);
  EXPECT_EQ(error_of("can()").rfind("Invalid function arguments;", 0), 0u);
  EXPECT_EQ(error_of("can(1, 2)").rfind("Invalid function arguments;", 0), 0u);
  EXPECT_EQ(error_of("try()").rfind("Invalid function arguments;", 0), 0u);
}

TEST(HclEval, ErrorsAreLocated) {
  try {
    eval("1 +\n  var.nope");
    FAIL() << "no error";
  } catch (const hcl::DiagnosticError& error) {
    const hcl::Range& range = error.diagnostics().front().range;
    EXPECT_EQ(range.filename, "test.hcl");
    EXPECT_EQ(range.start.line, 2);
  }
}

TEST(HclEval, VariablesOf) {
  hcl::ExprPtr expr =
      hcl::parse_expression("\"${var.a}\" == local.b ? [for x in var.c : x + y] : f(z.w)", "t.hcl");
  std::vector<std::string> roots;
  for (const hcl::ScopeTraversalExpr* t : hcl::variables_of(*expr)) roots.push_back(t->root);
  EXPECT_EQ(roots, (std::vector<std::string>{"var", "local", "var", "y", "z"}));
}

// The hostile cases: each must end quickly with a diagnostic.
class HclEvalLimits : public ::testing::Test {
 protected:
  void SetUp() override { start_ = std::chrono::steady_clock::now(); }
  void TearDown() override {
    const auto elapsed = std::chrono::steady_clock::now() - start_;
    EXPECT_LT(elapsed, std::chrono::seconds(20));
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

TEST_F(HclEvalLimits, RangeOfABillion) {
  EXPECT_NE(error_of("range(1e9)").find("more than 1024 values"), std::string::npos);
}

TEST_F(HclEvalLimits, TemplateLoopOfAGigabyte) {
  // 1024 * 1024 iterations of a 1 KiB string would be a gigabyte.
  const std::string error = error_of(
      "\"%{for a in range(1024)}%{for b in range(1024)}${format(\"%1024s\", \"\")}%{endfor}"
      "%{endfor}\"");
  EXPECT_TRUE(error.rfind("String too long;", 0) == 0 ||
              error.rfind("Expression too complex;", 0) == 0)
      << error;
}

TEST_F(HclEvalLimits, NestedForLoops) {
  const std::string error =
      error_of("[for a in range(1000) : [for b in range(1000) : [for c in range(1000) : 1]]]");
  EXPECT_EQ(error.rfind("Expression too complex;", 0), 0u) << error;
}

TEST_F(HclEvalLimits, ManyBigStrings) {
  const std::string error =
      error_of("[for a in range(2) : [for b in range(1000) : format(\"%60000s\", \"\")]]");
  EXPECT_EQ(error.rfind("Expression too complex;", 0), 0u) << error;
}

TEST_F(HclEvalLimits, DeepNesting) {
  hcl::EvalContext context = make_context();
  context.limits.max_depth = 20;
  std::string source;
  for (int i = 0; i < 30; ++i) source += "[";
  for (int i = 0; i < 30; ++i) source += "]";
  EXPECT_EQ(error_of(source, context).rfind("Expression too deeply nested;", 0), 0u);
  EXPECT_EQ(eval("[[[1]]]", context), Value::tuple({Value::tuple({Value::tuple({num(1)})})}));
}

TEST_F(HclEvalLimits, ElementCount) {
  hcl::EvalContext context = make_context();
  context.limits.max_elements = 100;
  // range(200) is refused before any for expression sees it: every result is checked.
  EXPECT_EQ(error_of("[for i in range(200) : i]", context),
            "Value too large; The result would hold 201 values in all, counting repeated parts "
            "each time; the limit is 100.");
  EXPECT_EQ(error_of("{for i in range(60) : i => [i, i]}", context),
            "Value too large; The result would hold 181 values in all, counting repeated parts "
            "each time; the limit is 100.");
  // Shared parts count each time they appear.
  context.variables["ten"] = hcl::evaluate(*hcl::parse_expression("range(10)", "t"), context);
  EXPECT_EQ(error_of("[for i in range(10) : ten]", context),
            "Value too large; The result would hold 111 values in all, counting repeated parts "
            "each time; the limit is 100.");
}

TEST_F(HclEvalLimits, StringSize) {
  hcl::EvalContext context = make_context();
  context.limits.max_string_bytes = 1000;
  EXPECT_EQ(
      error_of("\"%{for i in range(200)}abcdefgh%{endfor}\"", context).rfind("String too long;", 0),
      0u);
  EXPECT_EQ(error_of("join(\"\", [for i in range(200) : \"abcdefgh\"])", context)
                .rfind("String too long;", 0),
            0u);
  EXPECT_EQ(error_of("indent(2000, \"a\\nb\")", context).rfind("String too long;", 0), 0u);
}

}  // namespace
