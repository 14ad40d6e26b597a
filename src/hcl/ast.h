// The syntax tree of HCL's native syntax (hclsyntax/spec.md): a file is a body; a body has
// attributes and blocks; an attribute's value is an expression.
//
// Expressions are a small class hierarchy with a `kind` tag, so a visitor is a switch.
// Every node owns its children (unique_ptr) and knows its source range.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "hcl/source.h"
#include "hcl/value.h"

namespace hcl {

enum class ExprKind {
  Literal,            // 1, "plain string", true, null
  Template,           // "a ${b} c", heredocs, %{if}/%{for}
  TemplateWrap,       // "${x}" alone: x's value, not converted to a string
  ScopeTraversal,     // var.x, local.y[0], NOMAD_PORT_http, attr.unique.hostname
  RelativeTraversal,  // (expr).a[0]: attributes and literal indexes after any expression
  Index,              // expr[expr]
  Splat,              // expr[*].a, expr.*.a
  FunctionCall,       // f(a, b...)
  Conditional,        // c ? a : b
  Binary,             // a + b, a && b, a == b ...
  Unary,              // -a, !a
  Tuple,              // [a, b]
  Object,             // { k = v, "k2": v2, (expr) = v3 }
  For,                // [for k, v in c : e if cond], {for k, v in c : k => v... if cond}
  Parentheses,        // (expr): kept so an object key `(k)` is an expression, not a name
  AnonSymbol,         // the element inside a splat's traversal
  TemplateIf,         // %{if c}a%{else}b%{endif} inside a Template
  TemplateFor,        // %{for k, v in c}a%{endfor} inside a Template
};

struct Expr {
  explicit Expr(ExprKind k, Range r) : kind(k), range(std::move(r)) {}
  virtual ~Expr() = default;
  Expr(const Expr&) = delete;
  Expr& operator=(const Expr&) = delete;

  ExprKind kind;
  Range range;
};
using ExprPtr = std::unique_ptr<Expr>;

// One step after a traversal's root: `.name`, `[0]`, `["key"]` (a literal key only;
// `[expr]` with a non-literal is an Index expression).
struct TraversalStep {
  enum class Type { Attr, Index } type = Type::Attr;
  std::string name;  // Attr
  Value key;         // Index: a number or a string
  Range range;
};

struct LiteralExpr : Expr {
  LiteralExpr(Value v, Range r) : Expr(ExprKind::Literal, std::move(r)), value(std::move(v)) {}
  Value value;
};

// The parts are Literal strings, interpolated expressions, TemplateIf and TemplateFor.
// Strip markers (`${~ x ~}`) are applied by the parser to the neighbouring literals.
struct TemplateExpr : Expr {
  explicit TemplateExpr(Range r) : Expr(ExprKind::Template, std::move(r)) {}
  std::vector<ExprPtr> parts;
  bool heredoc = false;
};

struct TemplateWrapExpr : Expr {
  TemplateWrapExpr(ExprPtr e, Range r)
      : Expr(ExprKind::TemplateWrap, std::move(r)), wrapped(std::move(e)) {}
  ExprPtr wrapped;
};

struct ScopeTraversalExpr : Expr {
  explicit ScopeTraversalExpr(Range r) : Expr(ExprKind::ScopeTraversal, std::move(r)) {}
  std::string root;
  std::vector<TraversalStep> steps;
  // The traversal as written (`attr.unique.hostname`), for references kept for run time.
  std::string source_text;
};

struct RelativeTraversalExpr : Expr {
  explicit RelativeTraversalExpr(Range r) : Expr(ExprKind::RelativeTraversal, std::move(r)) {}
  ExprPtr source;
  std::vector<TraversalStep> steps;
};

struct IndexExpr : Expr {
  explicit IndexExpr(Range r) : Expr(ExprKind::Index, std::move(r)) {}
  ExprPtr collection;
  ExprPtr key;
};

// `source[*].a.b` / `source.*.a`: `each` is evaluated once per element with the element as
// the AnonSymbol at its root. A non-list source that is not null becomes a one-element list;
// null becomes an empty list (the spec's rule).
struct SplatExpr : Expr {
  explicit SplatExpr(Range r) : Expr(ExprKind::Splat, std::move(r)) {}
  ExprPtr source;
  ExprPtr each;
  bool full = true;  // [*] (full) or .* (attribute-only)
};

struct AnonSymbolExpr : Expr {
  explicit AnonSymbolExpr(Range r) : Expr(ExprKind::AnonSymbol, std::move(r)) {}
};

struct FunctionCallExpr : Expr {
  explicit FunctionCallExpr(Range r) : Expr(ExprKind::FunctionCall, std::move(r)) {}
  std::string name;
  Range name_range;
  std::vector<ExprPtr> args;
  bool expand_final = false;  // f(a, list...)
};

struct ConditionalExpr : Expr {
  explicit ConditionalExpr(Range r) : Expr(ExprKind::Conditional, std::move(r)) {}
  ExprPtr condition;
  ExprPtr true_result;
  ExprPtr false_result;
};

enum class BinaryOp {
  Or,
  And,
  Equal,
  NotEqual,
  Less,
  LessOrEqual,
  Greater,
  GreaterOrEqual,
  Add,
  Subtract,
  Multiply,
  Divide,
  Modulo
};
enum class UnaryOp { Negate, Not };

struct BinaryExpr : Expr {
  explicit BinaryExpr(Range r) : Expr(ExprKind::Binary, std::move(r)) {}
  BinaryOp op = BinaryOp::Add;
  ExprPtr lhs;
  ExprPtr rhs;
};

struct UnaryExpr : Expr {
  explicit UnaryExpr(Range r) : Expr(ExprKind::Unary, std::move(r)) {}
  UnaryOp op = UnaryOp::Negate;
  ExprPtr operand;
};

struct TupleExpr : Expr {
  explicit TupleExpr(Range r) : Expr(ExprKind::Tuple, std::move(r)) {}
  std::vector<ExprPtr> elements;
};

struct ObjectItem {
  // A bare identifier key (`name = 1`) is a Literal string; `(expr)` and other expressions
  // are kept as they are and must evaluate to a string.
  ExprPtr key;
  ExprPtr value;
  bool key_is_bare_identifier = false;
};

struct ObjectExpr : Expr {
  explicit ObjectExpr(Range r) : Expr(ExprKind::Object, std::move(r)) {}
  std::vector<ObjectItem> items;
};

struct ForExpr : Expr {
  explicit ForExpr(Range r) : Expr(ExprKind::For, std::move(r)) {}
  std::string key_var;  // empty when only the value is named: `for v in c`
  std::string value_var;
  ExprPtr collection;
  ExprPtr key_result;  // set for the object form {for ... : k => v}
  ExprPtr value_result;
  ExprPtr condition;   // may be null
  bool group = false;  // `v...` in the object form
};

struct ParenthesesExpr : Expr {
  ParenthesesExpr(ExprPtr e, Range r)
      : Expr(ExprKind::Parentheses, std::move(r)), inner(std::move(e)) {}
  ExprPtr inner;
};

struct TemplateIfExpr : Expr {
  explicit TemplateIfExpr(Range r) : Expr(ExprKind::TemplateIf, std::move(r)) {}
  ExprPtr condition;
  ExprPtr true_part;   // a Template
  ExprPtr false_part;  // a Template, or null without %{else}
};

struct TemplateForExpr : Expr {
  explicit TemplateForExpr(Range r) : Expr(ExprKind::TemplateFor, std::move(r)) {}
  std::string key_var;  // may be empty
  std::string value_var;
  ExprPtr collection;
  ExprPtr body;  // a Template
};

struct Body;

struct Attribute {
  std::string name;
  ExprPtr expr;
  Range range;  // the whole `name = expr`
  Range name_range;
};

struct Block {
  std::string type;
  std::vector<std::string> labels;
  std::unique_ptr<Body> body;
  Range range;  // from the type to the closing brace
  Range type_range;
  std::vector<Range> label_ranges;
};

struct Body {
  // In source order. Names are unique within a body (the parser refuses a second
  // definition, as HCL does).
  std::vector<Attribute> attributes;
  std::vector<Block> blocks;
  Range range;

  const Attribute* attribute(std::string_view name) const;
};

// A parsed file: its body, and its text (for diagnostics' source snippets).
struct File {
  std::string filename;
  std::string source;
  Body body;
};

}  // namespace hcl
