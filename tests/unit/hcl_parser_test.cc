// The HCL parser: every syntax form of hclsyntax/spec.md, the errors with their positions,
// hostile input, and a realistic Nomad job file.
#include "hcl/parser.h"

#include <gtest/gtest.h>

#include <string>

#include "hcl_ast_dump.h"

namespace hcl {
namespace {

using testing::dump;

std::string expr(std::string_view text) {
  return dump(parse_expression(text, "t.hcl").get());
}
std::string tmpl(std::string_view text) {
  return dump(parse_template(text, "t.tpl").get());
}

// The value of attribute `a` in a file.
std::string attr(const std::string& file_text, const std::string& name = "a") {
  File file = parse_file(file_text, "t.hcl");
  const Attribute* attribute = file.body.attribute(name);
  if (attribute == nullptr) return "<missing>";
  return dump(attribute->expr.get());
}

struct Failure {
  std::string summary;
  std::string detail;
  int line = 0;
  int column = 0;
};

template <typename Parse>
Failure failure(Parse parse) {
  try {
    parse();
  } catch (const DiagnosticError& error) {
    const Diagnostic& d = error.diagnostics().front();
    return {d.summary, d.detail, d.range.start.line, d.range.start.column};
  }
  ADD_FAILURE() << "parsed without an error";
  return {};
}

Failure file_error(const std::string& text, const ParseLimits& limits = {}) {
  return failure([&] { parse_file(text, "job.nomad", limits); });
}
Failure expr_error(std::string_view text, const ParseLimits& limits = {}) {
  return failure([&] { parse_expression(text, "t.hcl", limits); });
}
Failure tmpl_error(std::string_view text) {
  return failure([&] { parse_template(text, "t.tpl"); });
}

// --- bodies

TEST(HclParser, AttributesAndBlocksWithLabels) {
  File file = parse_file(
      "a = 1\n"
      "job \"web\" {\n"
      "  group api ports {\n"
      "    count = 2\n"
      "  }\n"
      "}\n",
      "job.nomad");
  ASSERT_EQ(file.body.attributes.size(), 1u);
  EXPECT_EQ(file.body.attributes[0].name, "a");
  EXPECT_EQ(file.body.attributes[0].name_range.start.line, 1);
  ASSERT_EQ(file.body.blocks.size(), 1u);
  const Block& job = file.body.blocks[0];
  EXPECT_EQ(job.type, "job");
  EXPECT_EQ(job.labels, std::vector<std::string>{"web"});
  EXPECT_EQ(job.label_ranges[0].start.column, 5);
  EXPECT_EQ(job.label_ranges[0].end.column, 10);
  EXPECT_EQ(job.range.start.line, 2);
  EXPECT_EQ(job.range.end.line, 6);
  const Block& group = job.body->blocks.at(0);
  EXPECT_EQ(group.labels, (std::vector<std::string>{"api", "ports"}));
  EXPECT_EQ(dump(group.body->attribute("count")->expr.get()), "2");
  EXPECT_EQ(group.body->attribute("missing"), nullptr);
  EXPECT_EQ(file.filename, "job.nomad");
  EXPECT_EQ(file.body.attributes[0].range.filename, "job.nomad");
}

TEST(HclParser, SingleLineBlocks) {
  File file = parse_file("a { b = 1 }\nc {}\nd \"x\" { }\n", "t");
  ASSERT_EQ(file.body.blocks.size(), 3u);
  EXPECT_EQ(dump(file.body.blocks[0].body->attribute("b")->expr.get()), "1");
  EXPECT_TRUE(file.body.blocks[1].body->attributes.empty());
  EXPECT_EQ(file.body.blocks[2].labels[0], "x");
}

TEST(HclParser, LastLineNeedsNoNewlineAndBlankLinesAndCommentsAreFine) {
  File file = parse_file("# header\n\n\na = 1 // one\n/* two */ b = 2", "t");
  EXPECT_EQ(file.body.attributes.size(), 2u);
  EXPECT_EQ(parse_file("", "t").body.attributes.size(), 0u);
}

TEST(HclParser, SecondAttributeOfOneNameIsAnError) {
  Failure f = file_error("a = 1\nb { a = 1 }\na = 2\n");
  EXPECT_EQ(f.summary, "Attribute redefined");
  EXPECT_EQ(f.line, 3);
  EXPECT_EQ(f.column, 1);
  EXPECT_NE(f.detail.find("already set at 1:1"), std::string::npos);
  // Blocks of one type repeat freely.
  EXPECT_EQ(parse_file("t {}\nt {}\n", "t").body.blocks.size(), 2u);
}

TEST(HclParser, ClosingBracesOnOneLineAreTheNomadSlideError) {
  Failure f = file_error(
      "job \"x\" {\n"
      "  group \"g\" {\n"
      "    task \"t\" { driver = \"pot\" } } }\n");
  EXPECT_EQ(f.summary, "Missing newline after block definition");
  EXPECT_EQ(f.line, 3);
  EXPECT_EQ(f.column, 33);
  EXPECT_NE(f.detail.find("found `}`"), std::string::npos);
}

TEST(HclParser, BodyErrors) {
  Failure stray = file_error("a = 1\n}\n");
  EXPECT_EQ(stray.summary, "Argument or block definition required");
  EXPECT_EQ(stray.line, 2);
  EXPECT_NE(stray.detail.find("found `}`"), std::string::npos);

  Failure quoted = file_error("\"a\" = 1\n");
  EXPECT_EQ(quoted.summary, "Invalid argument name");

  Failure no_equals = file_error("a\n");
  EXPECT_EQ(no_equals.summary, "Argument or block definition required");
  EXPECT_EQ(no_equals.column, 1);

  Failure unclosed = file_error("job \"x\" {\n  a = 1\n");
  EXPECT_EQ(unclosed.summary, "Unclosed configuration block");
  EXPECT_EQ(unclosed.line, 1);
  EXPECT_EQ(unclosed.column, 9);

  Failure brace_on_next_line = file_error("job \"x\"\n{\n}\n");
  EXPECT_EQ(brace_on_next_line.summary, "Invalid block definition");
  EXPECT_EQ(brace_on_next_line.column, 8);

  Failure equals_in_block = file_error("job \"x\" = {\n}\n");
  EXPECT_EQ(equals_in_block.summary, "Invalid block definition");
  EXPECT_EQ(equals_in_block.column, 9);

  Failure number_label = file_error("job \"x\" 1 {\n}\n");
  EXPECT_EQ(number_label.summary, "Invalid block definition");
  EXPECT_EQ(number_label.column, 9);

  Failure template_label = file_error("job \"${x}\" {\n}\n");
  EXPECT_EQ(template_label.summary, "Invalid string literal");

  Failure no_newline = file_error("a = 1 b = 2\n");
  EXPECT_EQ(no_newline.summary, "Missing newline after argument");
  EXPECT_EQ(no_newline.column, 7);

  Failure comma = file_error("a = 1, b = 2\n");
  EXPECT_EQ(comma.summary, "Unexpected comma after argument");

  Failure attr_then_brace = file_error("x {\n  a = 1 }\n");
  EXPECT_EQ(attr_then_brace.summary, "Missing newline after argument");
}

TEST(HclParser, SingleLineBlockErrors) {
  EXPECT_EQ(file_error("a { b = 1, c = 2 }\n").summary, "Invalid single-argument block definition");
  EXPECT_EQ(file_error("a { b = 1\n}\n").summary, "Invalid single-argument block definition");
  Failure nested = file_error("a { b { } }\n");
  EXPECT_EQ(nested.summary, "Argument definition required");
  EXPECT_EQ(nested.column, 5);
  EXPECT_EQ(file_error("a { b = 1").summary, "Unclosed configuration block");
  EXPECT_EQ(file_error("a { b = 1 c }\n").summary, "Invalid single-argument block definition");
}

// --- expressions

TEST(HclParser, Literals) {
  EXPECT_EQ(expr("1"), "1");
  EXPECT_EQ(expr("1.5"), "1.5");
  EXPECT_EQ(expr("1e3"), "1000");
  EXPECT_EQ(expr("true"), "true");
  EXPECT_EQ(expr("false"), "false");
  EXPECT_EQ(expr("null"), "null");
}

TEST(HclParser, OperatorPrecedenceFollowsTheSpec) {
  EXPECT_EQ(expr("a || b && c"), "(|| a (&& b c))");
  EXPECT_EQ(expr("a && b == c"), "(&& a (== b c))");
  EXPECT_EQ(expr("a == b < c"), "(== a (< b c))");
  EXPECT_EQ(expr("a != b >= c"), "(!= a (>= b c))");
  EXPECT_EQ(expr("a <= b + c"), "(<= a (+ b c))");
  EXPECT_EQ(expr("a > b - c"), "(> a (- b c))");
  EXPECT_EQ(expr("a + b * c"), "(+ a (* b c))");
  EXPECT_EQ(expr("a - b / c % d"), "(- a (% (/ b c) d))");
  EXPECT_EQ(expr("x / y * z"), "(* (/ x y) z)");  // left to right within a level
  EXPECT_EQ(expr("a - b - c"), "(- (- a b) c)");
  EXPECT_EQ(expr("-a + b"), "(+ (- a) b)");
  EXPECT_EQ(expr("!a.b && c"), "(&& (! a.b) c)");
  EXPECT_EQ(expr("- -1"), "(- (- 1))");
  EXPECT_EQ(expr("(a + b) * c"), "(* (paren (+ a b)) c)");
}

TEST(HclParser, Conditionals) {
  EXPECT_EQ(expr("a ? b : c"), "(? a b c)");
  EXPECT_EQ(expr("a || b ? c + 1 : d"), "(? (|| a b) (+ c 1) d)");
  EXPECT_EQ(expr("a ? b : c ? d : e"), "(? a b (? c d e))");
  EXPECT_EQ(expr("a ? b ? c : d : e"), "(? a (? b c d) e)");
}

TEST(HclParser, TuplesAndObjects) {
  EXPECT_EQ(expr("[]"), "[]");
  EXPECT_EQ(expr("[1, \"two\", [3],]"), "[1 (tpl \"two\") [3]]");
  EXPECT_EQ(expr("[\n  1,\n  2\n]"), "[1 2]");
  EXPECT_EQ(expr("{}"), "{}");
  EXPECT_EQ(expr("{a = 1, \"b\" = 2, c: 3, (d) = 4, e.f = 5,}"),
            "{a=1 ((tpl \"b\"))=2 c=3 ((paren d))=4 (e.f)=5}");
  EXPECT_EQ(expr("{\n  a = 1\n  b = 2\n\n}"), "{a=1 b=2}");
  EXPECT_EQ(expr("{ true = 1, null = 2 }"), "{true=1 null=2}");
  EXPECT_EQ(attr("a = {\n  b = [\n    1,\n    2,\n  ]\n}\n"), "{b=[1 2]}");
}

TEST(HclParser, ObjectKeyThatIsAVariableNeedsParentheses) {
  std::unique_ptr<Expr> parsed = parse_expression("{foo = 1, (foo) = 2}", "t");
  const auto& object = static_cast<const ObjectExpr&>(*parsed);
  EXPECT_TRUE(object.items[0].key_is_bare_identifier);
  EXPECT_EQ(object.items[0].key->kind, ExprKind::Literal);
  EXPECT_FALSE(object.items[1].key_is_bare_identifier);
  EXPECT_EQ(object.items[1].key->kind, ExprKind::Parentheses);
}

TEST(HclParser, FunctionCalls) {
  EXPECT_EQ(expr("f()"), "(call f)");
  EXPECT_EQ(expr("f(a, b + 1)"), "(call f a (+ b 1))");
  EXPECT_EQ(expr("f(\n  a,\n  b,\n)"), "(call f a b)");
  EXPECT_EQ(expr("concat(a, b...)"), "(call concat a b...)");
  EXPECT_EQ(expr("upper(x).y"), "(rel (call upper x) .y)");
}

TEST(HclParser, ScopeTraversalsKeepTheirTextAsWritten) {
  for (const char* text :
       {"attr.unique.hostname", "var.x[0]", "local.m[\"k\"].v", "a.0.b", "NOMAD_PORT_http"}) {
    std::unique_ptr<Expr> parsed = parse_expression(text, "t");
    ASSERT_EQ(parsed->kind, ExprKind::ScopeTraversal) << text;
    EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*parsed).source_text, text);
  }
  std::unique_ptr<Expr> parsed = parse_expression("var.x[0][\"k\"].y", "t");
  const auto& traversal = static_cast<const ScopeTraversalExpr&>(*parsed);
  EXPECT_EQ(traversal.root, "var");
  ASSERT_EQ(traversal.steps.size(), 4u);
  EXPECT_EQ(traversal.steps[0].type, TraversalStep::Type::Attr);
  EXPECT_EQ(traversal.steps[0].name, "x");
  EXPECT_EQ(traversal.steps[1].type, TraversalStep::Type::Index);
  EXPECT_EQ(traversal.steps[1].key.as_number(), 0);
  EXPECT_EQ(traversal.steps[2].key.as_string(), "k");
  EXPECT_EQ(traversal.steps[3].name, "y");
  EXPECT_EQ(traversal.range.end.column, 16);
}

TEST(HclParser, IndexWithAnExpressionAndTraversalAfterOtherTerms) {
  EXPECT_EQ(expr("a[b]"), "(index a b)");
  EXPECT_EQ(expr("a[b].c[0]"), "(rel (index a b) .c[0])");
  EXPECT_EQ(expr("a[\"${b}\"]"), "(index a (wrap b))");
  EXPECT_EQ(expr("a[-1]"), "(index a (- 1))");
  EXPECT_EQ(expr("[1, 2][0]"), "(rel [1 2] [0])");
  EXPECT_EQ(expr("(a).b"), "(rel (paren a) .b)");
  EXPECT_EQ(expr("a[\n 0\n]"), "a[0]");
  // The collection of an index keeps its own text.
  std::unique_ptr<Expr> parsed = parse_expression("var.list[var.i]", "t");
  const auto& index = static_cast<const IndexExpr&>(*parsed);
  EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*index.collection).source_text, "var.list");
}

TEST(HclParser, Splats) {
  EXPECT_EQ(expr("a[*]"), "(splat a *)");
  EXPECT_EQ(expr("a[*].b.c"), "(splat a (rel * .b.c))");
  EXPECT_EQ(expr("a[*].b[0]"), "(splat a (rel * .b[0]))");
  EXPECT_EQ(expr("a[*].b[x]"), "(splat a (index (rel * .b) x))");
  EXPECT_EQ(expr("a.*"), "(attrsplat a *)");
  EXPECT_EQ(expr("a.*.b.c"), "(attrsplat a (rel * .b.c))");
  // An index after an attribute-only splat applies to its result.
  EXPECT_EQ(expr("a.*.b[0]"), "(rel (attrsplat a (rel * .b)) [0])");
  EXPECT_EQ(expr("a[*].b[*].c"), "(splat a (splat (rel * .b) (rel * .c)))");
  std::unique_ptr<Expr> parsed = parse_expression("var.nodes[*].id", "t");
  const auto& splat = static_cast<const SplatExpr&>(*parsed);
  EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*splat.source).source_text, "var.nodes");
}

TEST(HclParser, ForExpressions) {
  EXPECT_EQ(expr("[for v in list : v]"), "(for v list : v)");
  EXPECT_EQ(expr("[for i, v in list : upper(v) if i < 2]"),
            "(for i,v list : (call upper v) if (< i 2))");
  EXPECT_EQ(expr("{for k, v in map : k => v}"), "(for k,v map : k => v)");
  EXPECT_EQ(expr("{for k, v in map : v => k... if k != \"x\"}"),
            "(for k,v map : v => k... if (!= k (tpl \"x\")))");
  EXPECT_EQ(expr("{\n  for v in l :\n  v => v\n}"), "(for v l : v => v)");
  EXPECT_EQ(expr("[(for), foo]"), "[(paren for) foo]");
}

TEST(HclParser, ForExpressionErrors) {
  EXPECT_EQ(expr_error("[for, foo]").detail,
            "For expression requires variable name after 'for'. Found `,`.");
  EXPECT_NE(expr_error("[for a, 1 in x : a]").detail.find("after comma"), std::string::npos);
  EXPECT_NE(expr_error("[for a of x : a]").detail.find("'in' keyword"), std::string::npos);
  EXPECT_NE(expr_error("[for a in x a]").detail.find("colon"), std::string::npos);
  EXPECT_NE(expr_error("[for a in x : a => a]").detail.find("tuple"), std::string::npos);
  EXPECT_NE(expr_error("[for a in x : a...]").detail.find("Grouping"), std::string::npos);
  EXPECT_NE(expr_error("{for a in x : a}").detail.find("required when building an object"),
            std::string::npos);
  Failure extra = expr_error("[for a in x : a b]");
  EXPECT_EQ(extra.summary, "Invalid 'for' expression");
  EXPECT_EQ(extra.column, 17);
  EXPECT_EQ(expr_error("{for = 1}").summary, "Invalid 'for' expression");
}

TEST(HclParser, ExpressionErrorsSayWhatWasFoundAndWhere) {
  Failure invalid = file_error("a = 1\nb = }\n");
  EXPECT_EQ(invalid.summary, "Invalid expression");
  EXPECT_EQ(invalid.detail, "Expected the start of an expression, but found `}`.");
  EXPECT_EQ(invalid.line, 2);
  EXPECT_EQ(invalid.column, 5);

  Failure missing = file_error("a =");
  EXPECT_EQ(missing.summary, "Missing expression");
  EXPECT_EQ(missing.detail, "Expected the start of an expression, but found the end of the file.");

  Failure newline = file_error("a =\n1\n");
  EXPECT_EQ(newline.detail, "Expected the start of an expression, but found a line break.");

  EXPECT_EQ(expr_error("(a b)").summary, "Unbalanced parentheses");
  EXPECT_EQ(expr_error("a ? b").summary, "Missing false expression in conditional");
  EXPECT_EQ(expr_error("[1 2]").summary, "Missing item separator");
  Failure tuple = expr_error("[1, 2");
  EXPECT_EQ(tuple.summary, "Unterminated tuple constructor expression");
  EXPECT_EQ(tuple.column, 1);
  EXPECT_EQ(expr_error("{a = 1 b = 2}").summary, "Missing attribute separator");
  EXPECT_EQ(expr_error("{a 1}").summary, "Missing key/value separator");
  EXPECT_EQ(expr_error("{a b}").summary, "Missing key/value separator");
  EXPECT_EQ(expr_error("{a, b}").summary, "Missing attribute value");
  EXPECT_EQ(expr_error("{a = 1").summary, "Unterminated object constructor expression");
  EXPECT_EQ(expr_error("f(a b)").summary, "Missing argument separator");
  Failure call = expr_error("x + f(a,");
  EXPECT_EQ(call.summary, "Missing expression");
  EXPECT_EQ(expr_error("f(a").summary, "Unterminated function call");
  EXPECT_EQ(expr_error("f(a..., b)").summary, "Missing closing parenthesis");
  EXPECT_EQ(expr_error("a.").summary, "Invalid attribute name");
  EXPECT_EQ(expr_error("a.\"b\"").summary, "Invalid attribute name");
  EXPECT_EQ(expr_error("a[*.b").summary, "Missing close bracket on splat index");
  EXPECT_EQ(expr_error("a[1").summary, "Missing close bracket on index");
  EXPECT_EQ(expr_error("a.*.*").summary, "Nested splat expression not allowed");
  EXPECT_EQ(expr_error("a.0.1").summary, "Invalid legacy index syntax");
  EXPECT_EQ(expr_error("1.2.3").summary, "Invalid number literal");
  EXPECT_EQ(expr_error("1e999").summary, "Invalid number literal");
  Failure extra = expr_error("a b");
  EXPECT_EQ(extra.summary, "Extra characters after expression");
  EXPECT_EQ(extra.column, 3);
}

// Every error path of the parser, with the summary and the position it reports.
TEST(HclParser, ErrorPathsReportTheirPosition) {
  struct Case {
    bool file;  // a whole file, else one expression
    const char* text;
    const char* summary;
    int line;
    int column;
  };
  const Case cases[] = {
      {false, "(a b)", "Unbalanced parentheses", 1, 4},
      {false, "a ? b", "Missing false expression in conditional", 1, 6},
      {false, "[1 2]", "Missing item separator", 1, 4},
      {false, "[1, 2", "Unterminated tuple constructor expression", 1, 1},
      {false, "{a = 1 b = 2}", "Missing attribute separator", 1, 8},
      {false, "{a 1}", "Missing key/value separator", 1, 4},
      {false, "{a b}", "Missing key/value separator", 1, 4},
      {false, "{a, b}", "Missing attribute value", 1, 3},
      {false, "{a = 1", "Unterminated object constructor expression", 1, 1},
      {false, "f(a b)", "Missing argument separator", 1, 5},
      {false, "f(a", "Unterminated function call", 1, 1},
      {false, "f(a..., b)", "Missing closing parenthesis", 1, 4},  // at the `...`, as HCL
      {false, "a.", "Invalid attribute name", 1, 3},
      {false, "a[*.b", "Missing close bracket on splat index", 1, 4},
      {false, "a[1", "Missing close bracket on index", 1, 4},
      {false, "a.*.*", "Nested splat expression not allowed", 1, 5},
      {false, "a.0.1", "Invalid legacy index syntax", 1, 3},
      {false, "1.2.3", "Invalid number literal", 1, 1},
      {false, "1e999", "Invalid number literal", 1, 1},
      {false, "a b", "Extra characters after expression", 1, 3},
      {false, "\"${a b}\"", "Extra characters after interpolation expression", 1, 6},
      {false, "\"${a:b}\"", "Extra characters after interpolation expression", 1, 5},
      {false, "\"%{ endif }\"", "Unexpected endif directive", 1, 2},
      {false, "\"%{ if a }%{ else }%{ else }%{ endif }\"", "Unexpected else directive", 1, 20},
      {false, "\"%{ if a }%{ endfor }\"", "Unexpected endfor directive", 1, 11},
      {false, "\"%{ for a in b }%{ else }%{ endfor }\"", "Unexpected else directive", 1, 17},
      {false, "\"%{ for a in b }%{ endif }\"", "Unexpected endif directive", 1, 17},
      {false, "\"%{ for a in b }\"", "Unexpected end of template", 1, 2},
      {false, "\"%{ 1 }\"", "Invalid template directive", 1, 5},
      {false, "\"%{ else x }\"", "Extra characters in else marker", 1, 10},
      {false, "\"%{ for 1 in b }%{ endfor }\"", "Invalid 'for' directive", 1, 9},
      {false, "\"%{ for a b }%{ endfor }\"", "Invalid 'for' directive", 1, 11},
      {false, "\"%{ for a, }%{ endfor }\"", "Invalid 'for' directive", 1, 12},
      {true, "a = 1\n}\n", "Argument or block definition required", 2, 1},
      {true, "\"a\" = 1\n", "Invalid argument name", 1, 1},
      {true, "a\n", "Argument or block definition required", 1, 1},
      {true, "job \"x\"\n{\n}\n", "Invalid block definition", 1, 8},
      {true, "job \"x\" = {\n}\n", "Invalid block definition", 1, 9},
      {true, "job \"${x}\" {\n}\n", "Invalid string literal", 1, 6},
      {true, "a = 1, b = 2\n", "Unexpected comma after argument", 1, 6},
      {true, "x {\n  a = 1 }\n", "Missing newline after argument", 2, 9},
      {true, "a { b = 1, c = 2 }\n", "Invalid single-argument block definition", 1, 10},
      {true, "a { b = 1\n}\n", "Invalid single-argument block definition", 1, 10},
      {true, "a { b = 1", "Unclosed configuration block", 1, 3},
      {true, "a { b = 1 c }\n", "Invalid single-argument block definition", 1, 11},
      {true, "a { \"b\" = 1 }\n", "Argument or block definition required", 1, 5},
      {true, "a { b }\n", "Argument or block definition required", 1, 5},
  };
  for (const Case& c : cases) {
    const Failure f = c.file ? file_error(c.text) : expr_error(c.text);
    EXPECT_EQ(f.summary, c.summary) << c.text;
    EXPECT_EQ(f.line, c.line) << c.text;
    EXPECT_EQ(f.column, c.column) << c.text;
    EXPECT_FALSE(f.detail.empty()) << c.text;
  }
}

TEST(HclParser, NewlinesAreIgnoredInsideBracketsButEndAttributes) {
  EXPECT_EQ(attr("a = (\n1 +\n2\n)\n"), "(paren (+ 1 2))");
  EXPECT_EQ(attr("a = f(\n1\n)\n"), "(call f 1)");
  EXPECT_EQ(file_error("a = 1\n+ 2\n").summary, "Argument or block definition required");
  EXPECT_EQ(parse_expression("1 +\n 2", "t")->kind, ExprKind::Binary);
}

// --- templates

TEST(HclParser, QuotedTemplates) {
  EXPECT_EQ(expr("\"\""), "(tpl \"\")");
  EXPECT_EQ(expr("\"plain\""), "(tpl \"plain\")");
  EXPECT_EQ(expr("\"a ${b} c\""), "(tpl \"a \" b \" c\")");
  EXPECT_EQ(expr("\"${a}${b}\""), "(tpl a b)");
  EXPECT_EQ(expr("\"$${a} %%{b}\""), "(tpl \"${a} %{b}\")");
  EXPECT_EQ(expr("\"${ f(\n 1) }\""), "(wrap (call f 1))");
  EXPECT_EQ(expr("\"${\"${true}\"}\""), "(wrap (wrap true))");
}

TEST(HclParser, ASingleInterpolationIsUnwrapped) {
  std::unique_ptr<Expr> parsed = parse_expression("\"${var.list}\"", "t");
  ASSERT_EQ(parsed->kind, ExprKind::TemplateWrap);
  const auto& wrap = static_cast<const TemplateWrapExpr&>(*parsed);
  EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*wrap.wrapped).source_text, "var.list");
  EXPECT_EQ(expr("\"${x} \""), "(tpl x \" \")");
  EXPECT_EQ(expr("\" ${~x}\""), "(tpl x)");  // stripped to nothing, but not unwrapped
}

TEST(HclParser, StripMarkersTrimTheNeighbouringLiterals) {
  EXPECT_EQ(expr("\"hello ${~ \"world\" }\""), "(tpl \"hello\" (tpl \"world\"))");
  EXPECT_EQ(expr("\"a ${~x~} b\""), "(tpl \"a\" x \"b\")");
  EXPECT_EQ(expr("\"%{ if true ~} hello %{~ endif }\""), "(tpl (if true (tpl \"hello\") -))");
  EXPECT_EQ(tmpl("trim\n${~\"trim\"~}\ntrim"), "(tpl \"trim\" (tpl \"trim\") \"trim\")");
  EXPECT_EQ(
      tmpl("%{ if true ~} %{~ if false ~} hello %{~ else ~} goodbye %{~ endif ~} %{~ endif }"),
      "(tpl (if true (tpl (if false (tpl \"hello\") (tpl \"goodbye\"))) -))");
  EXPECT_EQ(tmpl("%{ for v in l ~} ${v} %{~ endfor }"), "(tpl (tfor v l (tpl v)))");
  // Only literal text is trimmed, never a value.
  EXPECT_EQ(expr("\"${\"hello \" ~}${\" world\"}\""), "(tpl (tpl \"hello \") (tpl \" world\"))");
}

TEST(HclParser, Heredocs) {
  EXPECT_EQ(attr("a = <<EOT\nhello\n  world\nEOT\n"), "(heredoc \"hello\n  world\n\")");
  EXPECT_EQ(attr("a = <<EOT\nC:\\dir ${x}\nEOT\n"), "(heredoc \"C:\\dir \" x \"\n\")");
  EXPECT_EQ(attr("a = <<EOT\nEOT\n"), "(heredoc \"\")");
  EXPECT_EQ(attr("a = <<-EOT\n    a\n      b\n\n    c\n    EOT\n"), "(heredoc \"a\n  b\n\nc\n\")");
  // The indent of interpolated values does not count, only the text's.
  EXPECT_EQ(attr("a = <<-EOT\n    ${x}\n      b\n  EOT\n"), "(heredoc x \"\n  b\n\")");
  // HCL's quirk, kept: after `~}` the next line's indent is not at a line start.
  EXPECT_EQ(attr("a = <<-EOT\n    %{ for x in xs ~}\n      ${x}\n    %{ endfor ~}\n    EOT\n"),
            "(heredoc (tfor x xs (tpl \"      \" x \"\n\")))");
  EXPECT_EQ(attr("a = <<-EOT\n\t  tab\n\t  EOT\n"), "(heredoc \"tab\n\")");
  EXPECT_EQ(attr("a = <<EOT\n%{ for x in xs ~}\n${x}\n%{ endfor ~}\nEOT\n"),
            "(heredoc (tfor x xs (tpl x \"\n\")))");
  File file = parse_file("a = <<EOT\nx\nEOT\nb = 2\n", "t");
  EXPECT_EQ(dump(file.body.attribute("b")->expr.get()), "2");
  EXPECT_EQ(attr("a = <<EOT\nx\nEOT"), "(heredoc \"x\n\")");
}

TEST(HclParser, NestedHeredocInsideAnInterpolation) {
  EXPECT_EQ(attr("a = <<EOF\n${<<-EOF\n  hello\n  EOF\n}\nEOF\n"),
            "(heredoc (heredoc \"hello\n\") \"\n\")");
}

TEST(HclParser, TemplateDirectives) {
  EXPECT_EQ(expr("\"%{ if a }x%{ else }y%{ endif }\""), "(tpl (if a (tpl \"x\") (tpl \"y\")))");
  EXPECT_EQ(expr("\"%{ if a }%{ endif }\""), "(tpl (if a (tpl \"\") -))");
  EXPECT_EQ(expr("\"%{ for k, v in m }${k}=${v};%{ endfor }\""),
            "(tpl (tfor k,v m (tpl k \"=\" v \";\")))");
  EXPECT_EQ(expr("\"%{ for v in [true] }${v}%{ endfor }\""), "(tpl (tfor v [true] (tpl v)))");
  EXPECT_EQ(tmpl("%{ if a }%{ for x in y }${x}%{ endfor }%{ endif }"),
            "(tpl (if a (tpl (tfor x y (tpl x))) -))");
}

TEST(HclParser, WholeTemplates) {
  EXPECT_EQ(tmpl("Hello ${name}!\nBye"), "(tpl \"Hello \" name \"!\nBye\")");
  EXPECT_EQ(tmpl("${x}"), "(wrap x)");
  EXPECT_EQ(tmpl(""), "(tpl \"\")");
  EXPECT_EQ(tmpl("50% and $5 and \\n"), "(tpl \"50% and $5 and \\n\")");
  // Strip markers trim the literal of their own line only (literals are one per line).
  EXPECT_EQ(tmpl("a\n  ${~ b ~}  \n c"), "(tpl \"a\n\" b \" c\")");
}

TEST(HclParser, TemplateErrors) {
  Failure unclosed = expr_error("\"a ${b\"");
  EXPECT_EQ(unclosed.summary, "Unclosed template interpolation sequence");
  EXPECT_EQ(unclosed.column, 4);
  Failure at_end = tmpl_error("a ${b");
  EXPECT_EQ(at_end.summary, "Unclosed template interpolation sequence");
  EXPECT_EQ(at_end.column, 3);
  EXPECT_EQ(expr_error("\"${a b}\"").summary, "Extra characters after interpolation expression");
  EXPECT_NE(expr_error("\"${a:b}\"").detail.find("colon"), std::string::npos);
  Failure no_endif = expr_error("\"x%{ if a }y\"");
  EXPECT_EQ(no_endif.summary, "Unexpected end of template");
  EXPECT_EQ(no_endif.column, 3);
  EXPECT_EQ(expr_error("\"%{ endif }\"").summary, "Unexpected endif directive");
  EXPECT_EQ(expr_error("\"%{ if a }%{ else }%{ else }%{ endif }\"").summary,
            "Unexpected else directive");
  EXPECT_EQ(expr_error("\"%{ if a }%{ endfor }\"").summary, "Unexpected endfor directive");
  EXPECT_EQ(expr_error("\"%{ for a in b }%{ else }%{ endfor }\"").summary,
            "Unexpected else directive");
  EXPECT_EQ(expr_error("\"%{ for a in b }%{ endif }\"").summary, "Unexpected endif directive");
  EXPECT_EQ(expr_error("\"%{ for a in b }\"").summary, "Unexpected end of template");
  Failure keyword = expr_error("\"%{ iff a }%{ endif }\"");
  EXPECT_EQ(keyword.summary, "Invalid template control keyword");
  EXPECT_NE(keyword.detail.find("Did you mean \"if\"?"), std::string::npos);
  EXPECT_EQ(expr_error("\"%{ 1 }\"").summary, "Invalid template directive");
  EXPECT_EQ(expr_error("\"%{ else x }\"").summary, "Extra characters in else marker");
  EXPECT_EQ(expr_error("\"%{ for 1 in b }%{ endfor }\"").summary, "Invalid 'for' directive");
  EXPECT_EQ(expr_error("\"%{ for a b }%{ endfor }\"").summary, "Invalid 'for' directive");
}

// --- limits and hostile input

TEST(HclParser, DeepNestingIsADiagnosticNotAStackOverflow) {
  const std::string brackets(100000, '[');
  Failure f = expr_error(brackets);
  EXPECT_EQ(f.summary, "Too deeply nested");
  EXPECT_EQ(f.line, 1);
  EXPECT_LE(f.column, 260);

  EXPECT_EQ(file_error("a = " + std::string(100000, '(')).summary, "Too deeply nested");
  EXPECT_EQ(expr_error(std::string(100000, '!') + "x").summary, "Too deeply nested");
  std::string chain = "x";
  for (int i = 0; i < 100000; ++i) chain += "+x";
  EXPECT_EQ(expr_error(chain).summary, "Too deeply nested");
  std::string indexes = "x";
  for (int i = 0; i < 100000; ++i) indexes += "[y]";
  EXPECT_EQ(expr_error(indexes).summary, "Too deeply nested");
  std::string splats = "x";
  for (int i = 0; i < 100000; ++i) splats += "[*]";
  EXPECT_EQ(expr_error(splats).summary, "Too deeply nested");
  std::string conditionals = "x";
  for (int i = 0; i < 100000; ++i) conditionals += "?x:x";
  EXPECT_EQ(expr_error(conditionals).summary, "Too deeply nested");
  std::string blocks;
  for (int i = 0; i < 100000; ++i) blocks += "b {\n";
  EXPECT_EQ(file_error(blocks).summary, "Too deeply nested");
  std::string templates;
  for (int i = 0; i < 100000; ++i) templates += "\"${";
  EXPECT_EQ(expr_error(templates).summary, "Too deeply nested");
  std::string ifs;
  for (int i = 0; i < 100000; ++i) ifs += "%{if x}";
  EXPECT_EQ(tmpl_error(ifs).summary, "Too deeply nested");
}

TEST(HclParser, NestingLimitIsConfigurable) {
  ParseLimits limits;
  limits.max_nesting = 4;
  EXPECT_NO_THROW(parse_expression("[[1]]", "t", limits));
  EXPECT_EQ(expr_error("[[[[[1]]]]]", limits).summary, "Too deeply nested");
  EXPECT_NO_THROW(parse_expression("[[[[[[[[1]]]]]]]]", "t"));
}

TEST(HclParser, SourceSizeLimit) {
  ParseLimits limits;
  limits.max_source_bytes = 10;
  Failure f = file_error("a = 123456789\n", limits);
  EXPECT_EQ(f.summary, "Source too large");
  EXPECT_NE(f.detail.find("14 bytes"), std::string::npos);
}

TEST(HclParser, TenMegabyteStringParses) {
  const std::string big(10u << 20, 'x');
  File file = parse_file("a = \"" + big + "\"\n", "t");
  const auto& tpl = static_cast<const TemplateExpr&>(*file.body.attribute("a")->expr);
  ASSERT_EQ(tpl.parts.size(), 1u);
  EXPECT_EQ(static_cast<const LiteralExpr&>(*tpl.parts[0]).value.as_string().size(), big.size());
}

TEST(HclParser, LongHeredocIsOneLiteral) {
  std::string text = "a = <<EOT\n";
  for (int i = 0; i < 200000; ++i) text += "line\n";
  File file = parse_file(text + "EOT\n", "t");
  const auto& heredoc = static_cast<const TemplateExpr&>(*file.body.attribute("a")->expr);
  ASSERT_EQ(heredoc.parts.size(), 1u);
  EXPECT_EQ(static_cast<const LiteralExpr&>(*heredoc.parts[0]).value.as_string().size(),
            200000u * 5);

  std::string flush = "a = <<-EOT\n";
  for (int i = 0; i < 200000; ++i) flush += "  line\n";
  File flushed = parse_file(flush + "  EOT\n", "t");
  const auto& flush_heredoc = static_cast<const TemplateExpr&>(*flushed.body.attribute("a")->expr);
  ASSERT_EQ(flush_heredoc.parts.size(), 1u);
  EXPECT_EQ(static_cast<const LiteralExpr&>(*flush_heredoc.parts[0]).value.as_string().size(),
            200000u * 5);
}

TEST(HclParser, LongTraversalIsLinear) {
  std::string text = "a";
  for (int i = 0; i < 200000; ++i) text += ".b";
  std::unique_ptr<Expr> parsed = parse_expression(text, "t");
  EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*parsed).steps.size(), 200000u);
  EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*parsed).source_text.size(), text.size());
}

TEST(HclParser, UnterminatedInterpolationAtTheEnd) {
  Failure f = file_error("a = \"${");
  EXPECT_EQ(f.summary, "Unclosed template interpolation sequence");
  EXPECT_EQ(f.column, 6);
  Failure next_line = file_error("a = \"${x\nb = 2\n");
  EXPECT_EQ(next_line.summary, "Unclosed template interpolation sequence");
  EXPECT_EQ(next_line.line, 1);
  EXPECT_EQ(next_line.column, 6);
  EXPECT_EQ(tmpl_error("a %{").summary, "Unclosed template directive");
  // An interpolation may span lines when it is complete.
  EXPECT_EQ(attr("a = \"${f(\n1)}\"\n"), "(wrap (call f 1))");
  Failure g = file_error("a = \"${x");
  EXPECT_EQ(g.summary, "Unclosed template interpolation sequence");
  EXPECT_EQ(g.column, 6);
}

TEST(HclParser, ArbitraryBytesNeverCrash) {
  // A deterministic scramble of job-file characters: every prefix either parses or fails
  // with a located diagnostic.
  const std::string alphabet = "ab=\"${}%~[]().,*<-EOT\n #/:?!\\1e";
  unsigned state = 12345;
  for (int round = 0; round < 2000; ++round) {
    std::string text;
    const int length = static_cast<int>(state % 40);
    for (int i = 0; i < length; ++i) {
      state = state * 1103515245u + 12345u;
      text += alphabet[(state >> 16) % alphabet.size()];
    }
    state = state * 1103515245u + 12345u;
    try {
      parse_file(text, "fuzz");
    } catch (const DiagnosticError& error) {
      EXPECT_GE(error.diagnostics().front().range.start.line, 1) << text;
    }
    try {
      parse_template(text, "fuzz");
    } catch (const DiagnosticError& error) {
      EXPECT_GE(error.diagnostics().front().range.start.column, 1) << text;
    }
  }
}

// --- a realistic job file

TEST(HclParser, NomadJobFile) {
  const std::string job = R"hcl(
# A web service with a sidecar.
variable "image" {
  type    = string
  default = "nginx:1.25"
}

locals {
  ports = [for p in [8080, 8081] : p + 1]
}

job "web" {
  datacenters = ["dc1"]
  type        = "service"

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "freebsd"
  }

  group "frontend" {
    count = 2

    network {
      port "http" { to = 80 }
    }

    restart {
      attempts = 3
      delay    = "15s"
      mode     = "delay"
    }

    task "nginx" {
      driver = "pot"

      config {
        image   = var.image
        command = "/usr/local/bin/nginx"
        args    = ["-g", "daemon off;", "-p", "${NOMAD_TASK_DIR}"]
        port_map = {
          http = "80"
        }
      }

      env {
        HOSTNAME = "${attr.unique.hostname}"
        LISTEN   = "0.0.0.0:${NOMAD_PORT_http}"
        WORKERS  = length(local.ports) > 1 ? "auto" : "1"
      }

      template {
        data        = <<-EOT
          server {
            listen {{ env "NOMAD_PORT_http" }};
          }
        EOT
        destination = "local/nginx.conf"
      }

      resources {
        cpu    = 500 # MHz
        memory = 256 // MB
      }

      service {
        name = "web"
        port = "http"
        tags = ["urlprefix-/"]

        check {
          type     = "http"
          path     = "/health"
          interval = "10s"
          timeout  = "2s"
        }
      }
    }
  }
}
)hcl";
  File file = parse_file(job, "web.nomad");
  ASSERT_EQ(file.body.blocks.size(), 3u);
  EXPECT_EQ(file.body.blocks[0].type, "variable");
  EXPECT_EQ(dump(file.body.blocks[1].body->attribute("ports")->expr.get()),
            "(for p [8080 8081] : (+ p 1))");
  const Block& job_block = file.body.blocks[2];
  EXPECT_EQ(job_block.labels[0], "web");
  const Block& group = job_block.body->blocks.at(1);
  EXPECT_EQ(group.labels[0], "frontend");
  const Block& task = group.body->blocks.at(2);
  EXPECT_EQ(task.type, "task");
  const Body& config = *task.body->blocks.at(0).body;
  EXPECT_EQ(dump(config.attribute("image")->expr.get()), "var.image");
  EXPECT_EQ(dump(config.attribute("args")->expr.get()),
            "[(tpl \"-g\") (tpl \"daemon off;\") (tpl \"-p\") (wrap NOMAD_TASK_DIR)]");
  const Body& env = *task.body->blocks.at(1).body;
  const auto& hostname = static_cast<const TemplateWrapExpr&>(*env.attribute("HOSTNAME")->expr);
  EXPECT_EQ(static_cast<const ScopeTraversalExpr&>(*hostname.wrapped).source_text,
            "attr.unique.hostname");
  EXPECT_EQ(dump(env.attribute("LISTEN")->expr.get()), "(tpl \"0.0.0.0:\" NOMAD_PORT_http)");
  const Body& tmpl_body = *task.body->blocks.at(2).body;
  EXPECT_EQ(dump(tmpl_body.attribute("data")->expr.get()),
            "(heredoc \"server {\n  listen {{ env \"NOMAD_PORT_http\" }};\n}\n\")");
  EXPECT_EQ(tmpl_body.attribute("destination")->range.start.line, 58);
  const Block& port = group.body->blocks.at(0).body->blocks.at(0);
  EXPECT_EQ(port.labels[0], "http");
  EXPECT_EQ(dump(port.body->attribute("to")->expr.get()), "80");
}

}  // namespace
}  // namespace hcl
