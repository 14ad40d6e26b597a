// Evaluation of expressions: the rules of hclsyntax/spec.md (operators, conversions,
// templates, for expressions, splats) against a context of variables and functions.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>

#include "hcl/ast.h"
#include "hcl/diagnostic.h"
#include "hcl/value.h"

namespace hcl {

struct Function;
using FunctionTable = std::map<std::string, Function, std::less<>>;

struct EvalLimits {
  std::size_t max_string_bytes = 16u << 20;  // a template's or a function's result
  std::size_t max_elements = 1u << 20;       // a collection built by for, range(), ...
  int max_depth = 256;                       // nested evaluation (for in for in template ...)
};

struct EvalContext {
  // Root names: `var`, `local`, iterators of `for` and `dynamic`...
  std::map<std::string, Value, std::less<>> variables;
  const FunctionTable* functions = nullptr;
  // Consulted for a root name in no scope. Returning a value uses it; returning nullopt makes
  // the reference an error ("Unknown variable"). Nomad keeps run-time references: it answers
  // `${NOMAD_PORT_http}` with the string "${NOMAD_PORT_http}" (the traversal's source text).
  std::function<std::optional<Value>(const ScopeTraversalExpr&)> unknown_variable;
  // Scopes nest (a for expression's iterators over the file's variables).
  const EvalContext* parent = nullptr;
  EvalLimits limits;

  // This context's variable or its parents'; null when none has it.
  const Value* find_variable(std::string_view name) const;
  const FunctionTable* find_functions() const;
};

// Throws DiagnosticError located at the failing sub-expression.
Value evaluate(const Expr& expr, const EvalContext& context);

// Each top-level evaluate() has a budget of steps and string bytes (EvalLimits). While one of
// these lives, every evaluation on this thread shares a single budget instead, so that a
// file of many expressions (a job's attributes and locals) cannot cost the budget many
// times over.
class SharedEvalBudget {
 public:
  SharedEvalBudget();
  ~SharedEvalBudget();
  SharedEvalBudget(const SharedEvalBudget&) = delete;
  SharedEvalBudget& operator=(const SharedEvalBudget&) = delete;
};

// Collects the root names an expression refers to (`var`, `local`, iterators excluded),
// with the traversal; for ordering locals and for validation messages.
std::vector<const ScopeTraversalExpr*> variables_of(const Expr& expr);

}  // namespace hcl
