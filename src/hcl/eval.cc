// Evaluation of HCL expressions (hclsyntax/spec.md).
//
// One Evaluator walks the tree for one call of evaluate(). Three guards keep hostile input
// from hanging or exhausting the machine, whatever the expression's shape:
//   - depth: nested evaluation (including evaluations that functions such as templatefile
//     start) is counted per thread and stops at EvalLimits::max_depth;
//   - steps: every node visited and every element a function returns counts against a
//     budget for the whole top-level evaluation, so nested `for` over large ranges ends
//     with a diagnostic instead of running for hours;
//   - bytes: every string a template or a function builds counts against a budget too, and
//     no single string may exceed EvalLimits::max_string_bytes.
#include "hcl/eval.h"

#include <cmath>
#include <new>
#include <regex>
#include <stdexcept>
#include <string>

#include "hcl/conversion.h"
#include "hcl/eval_access.h"
#include "hcl/eval_budget.h"
#include "hcl/function.h"
#include "hcl/type.h"

namespace hcl {

const Value* EvalContext::find_variable(std::string_view name) const {
  for (const EvalContext* scope = this; scope != nullptr; scope = scope->parent) {
    auto found = scope->variables.find(name);
    if (found != scope->variables.end()) return &found->second;
  }
  return nullptr;
}

const FunctionTable* EvalContext::find_functions() const {
  for (const EvalContext* scope = this; scope != nullptr; scope = scope->parent) {
    if (scope->functions != nullptr) return scope->functions;
  }
  return nullptr;
}

namespace detail {

namespace {

struct EvalState {
  int depth = 0;
  int shared_budgets = 0;  // SharedEvalBudget scopes alive on this thread
  std::size_t steps = 0;
  std::size_t bytes = 0;
};
thread_local EvalState state;

std::size_t step_budget(const EvalLimits& limits) {
  return limits.max_elements * 4 + 4096;
}
std::size_t byte_budget(const EvalLimits& limits) {
  return limits.max_string_bytes * 4;
}

}  // namespace

void count_steps(const EvalContext& context, std::size_t steps, const Range& where) {
  state.steps += steps;
  if (state.steps > step_budget(context.limits)) {
    throw_error("Expression too complex",
                "Evaluating this expression takes more than " +
                    std::to_string(step_budget(context.limits)) +
                    " steps (elements visited or built); simplify it or split the work.",
                where);
  }
}

void count_string(const EvalContext& context, std::size_t bytes, const Range& where) {
  if (bytes > context.limits.max_string_bytes) {
    throw_error("String too long",
                "The result would be " + std::to_string(bytes) + " bytes long; the limit is " +
                    std::to_string(context.limits.max_string_bytes) + " bytes.",
                where);
  }
}

void count_produced_string(const EvalContext& context, std::size_t bytes, const Range& where) {
  count_string(context, bytes, where);
  state.bytes += bytes;
  if (state.bytes > byte_budget(context.limits)) {
    throw_error("Expression too complex",
                "Evaluating this expression builds more than " +
                    std::to_string(byte_budget(context.limits)) + " bytes of strings.",
                where);
  }
}

void count_elements(const EvalContext& context, std::size_t count, const Range& where) {
  if (count > context.limits.max_elements) {
    throw_error("Too many elements",
                "The result would have " + std::to_string(count) + " elements; the limit is " +
                    std::to_string(context.limits.max_elements) + ".",
                where);
  }
}

DepthGuard::DepthGuard(const EvalContext& context, const Range& where) {
  if (state.depth >= context.limits.max_depth) {
    throw_error("Expression too deeply nested",
                "Evaluation goes deeper than " + std::to_string(context.limits.max_depth) +
                    " levels (nested expressions, for loops or template calls).",
                where);
  }
  if (state.depth == 0 && state.shared_budgets == 0) {
    state.steps = 0;
    state.bytes = 0;
  }
  ++state.depth;
}

DepthGuard::~DepthGuard() {
  --state.depth;
}

namespace {

template <typename T>
const T& as(const Expr& expr) {
  return static_cast<const T&>(expr);
}

// The value of `name` in the scope, or the unknown_variable answer of the nearest scope that
// has a callback.
std::optional<Value> lookup_root(const ScopeTraversalExpr& traversal, const EvalContext& context) {
  if (const Value* found = context.find_variable(traversal.root)) return *found;
  for (const EvalContext* scope = &context; scope != nullptr; scope = scope->parent) {
    if (scope->unknown_variable) return scope->unknown_variable(traversal);
  }
  return std::nullopt;
}

Value apply_steps(Value value, const std::vector<TraversalStep>& steps) {
  for (const TraversalStep& step : steps) {
    if (step.type == TraversalStep::Type::Attr) {
      value = get_attribute(value, step.name, step.range);
    } else {
      value = get_index(value, step.key, step.range, step.range);
    }
  }
  return value;
}

// The iterations of a for expression or a %{for} directive: (key, value) pairs.
std::vector<std::pair<Value, Value>> iteration_pairs(const Value& collection, const Range& range) {
  if (collection.is_null()) {
    throw_error("Iteration over null value",
                "A null value cannot be used as the collection in a 'for' expression.", range);
  }
  std::vector<std::pair<Value, Value>> pairs;
  if (collection.kind() == Kind::Set) {
    for (const Value& element : collection.elements()) pairs.emplace_back(element, element);
  } else if (collection.is_sequence()) {
    std::size_t index = 0;
    for (const Value& element : collection.elements()) {
      pairs.emplace_back(Value::number(static_cast<double>(index++)), element);
    }
  } else if (collection.is_mapping()) {
    for (const auto& [key, element] : collection.attributes()) {
      pairs.emplace_back(Value::string(key), element);
    }
  } else {
    throw_error("Iteration over non-iterable value",
                "A value of type " + std::string(kind_name(collection.kind())) +
                    " cannot be used as the collection in a 'for' expression.",
                range);
  }
  return pairs;
}

bool require_condition(const Value& value, const Range& range, const char* what) {
  if (value.is_null()) {
    throw_error(
        "Null condition",
        std::string("The ") + what + " value is null. Conditions must either be true or false.",
        range);
  }
  std::string error;
  auto converted = try_to_bool(value, error);
  if (!converted) {
    throw_error("Incorrect condition type",
                std::string("The ") + what + " expression must be of type bool: " + error + ".",
                range);
  }
  return converted->as_bool();
}

class Evaluator {
 public:
  Value eval(const Expr& expr, const EvalContext& context);

 private:
  Value eval_template(const TemplateExpr& expr, const EvalContext& context);
  void append_template_part(std::string& out, const Expr& part, const EvalContext& context,
                            const Range& whole);
  Value eval_traversal(const ScopeTraversalExpr& expr, const EvalContext& context);
  Value eval_splat(const SplatExpr& expr, const EvalContext& context);
  Value eval_call(const FunctionCallExpr& expr, const EvalContext& context);
  Value eval_try(const FunctionCallExpr& expr, const EvalContext& context);
  Value eval_convert(const FunctionCallExpr& expr, const EvalContext& context);
  Value eval_can(const FunctionCallExpr& expr, const EvalContext& context);
  Value eval_conditional(const ConditionalExpr& expr, const EvalContext& context);
  Value eval_binary(const BinaryExpr& expr, const EvalContext& context);
  Value eval_unary(const UnaryExpr& expr, const EvalContext& context);
  // eval without the checks of the result's size.
  Value eval_node(const Expr& expr, const EvalContext& context);
  Value eval_object(const ObjectExpr& expr, const EvalContext& context);
  Value eval_for(const ForExpr& expr, const EvalContext& context);
  std::string eval_template_for(const TemplateForExpr& expr, const EvalContext& context,
                                const Range& whole);

  // The elements a splat is at (innermost last).
  std::vector<Value> splat_elements_;
};

Value Evaluator::eval(const Expr& expr, const EvalContext& context) {
  DepthGuard depth(context, expr.range);
  count_steps(context, 1, expr.range);
  Value result = eval_node(expr, context);
  // Parts are shared, so a result can stand for far more than was built to make it
  // ([for i in range(1000) : local.big]): its size in full is what JSON, YAML and equality
  // will walk, and what a job may hold.
  if (result.total_values() > context.limits.max_elements) {
    throw_error("Value too large",
                "The result would hold " + std::to_string(result.total_values()) +
                    " values in all, counting repeated parts each time; the limit is " +
                    std::to_string(context.limits.max_elements) + ".",
                expr.range);
  }
  if (result.total_string_bytes() > 4 * context.limits.max_string_bytes) {
    throw_error("Value too large",
                "The result would hold " + std::to_string(result.total_string_bytes()) +
                    " bytes of strings in all, counting repeated parts each time; the limit is " +
                    std::to_string(4 * context.limits.max_string_bytes) + ".",
                expr.range);
  }
  return result;
}

Value Evaluator::eval_node(const Expr& expr, const EvalContext& context) {
  switch (expr.kind) {
    case ExprKind::Literal:
      return as<LiteralExpr>(expr).value;
    case ExprKind::Template:
      return eval_template(as<TemplateExpr>(expr), context);
    case ExprKind::TemplateWrap:
      return eval(*as<TemplateWrapExpr>(expr).wrapped, context);
    case ExprKind::ScopeTraversal:
      return eval_traversal(as<ScopeTraversalExpr>(expr), context);
    case ExprKind::RelativeTraversal: {
      const auto& traversal = as<RelativeTraversalExpr>(expr);
      return apply_steps(eval(*traversal.source, context), traversal.steps);
    }
    case ExprKind::Index: {
      const auto& index = as<IndexExpr>(expr);
      Value collection = eval(*index.collection, context);
      Value key = eval(*index.key, context);
      return get_index(collection, key, expr.range, index.key->range);
    }
    case ExprKind::Splat:
      return eval_splat(as<SplatExpr>(expr), context);
    case ExprKind::AnonSymbol:
      if (splat_elements_.empty()) {
        throw_error("Invalid splat", "The splat symbol is only valid inside a splat expression.",
                    expr.range);
      }
      return splat_elements_.back();
    case ExprKind::FunctionCall:
      return eval_call(as<FunctionCallExpr>(expr), context);
    case ExprKind::Conditional:
      return eval_conditional(as<ConditionalExpr>(expr), context);
    case ExprKind::Binary:
      return eval_binary(as<BinaryExpr>(expr), context);
    case ExprKind::Unary:
      return eval_unary(as<UnaryExpr>(expr), context);
    case ExprKind::Tuple: {
      Value::Elements elements;
      for (const ExprPtr& element : as<TupleExpr>(expr).elements) {
        elements.push_back(eval(*element, context));
      }
      return Value::tuple(std::move(elements));
    }
    case ExprKind::Object:
      return eval_object(as<ObjectExpr>(expr), context);
    case ExprKind::For:
      return eval_for(as<ForExpr>(expr), context);
    case ExprKind::Parentheses:
      return eval(*as<ParenthesesExpr>(expr).inner, context);
    case ExprKind::TemplateIf:
    case ExprKind::TemplateFor: {
      // Directives only appear inside a template; alone, they are a template of one part.
      std::string out;
      append_template_part(out, expr, context, expr.range);
      return Value::string(std::move(out));
    }
  }
  throw_error("Invalid expression", "This kind of expression cannot be evaluated.", expr.range);
}

Value Evaluator::eval_template(const TemplateExpr& expr, const EvalContext& context) {
  std::string out;
  for (const ExprPtr& part : expr.parts) append_template_part(out, *part, context, expr.range);
  count_produced_string(context, out.size(), expr.range);
  return Value::string(std::move(out));
}

void Evaluator::append_template_part(std::string& out, const Expr& part, const EvalContext& context,
                                     const Range& whole) {
  switch (part.kind) {
    case ExprKind::TemplateIf: {
      const auto& directive = as<TemplateIfExpr>(part);
      DepthGuard depth(context, part.range);
      const bool condition = require_condition(eval(*directive.condition, context),
                                               directive.condition->range, "condition");
      const Expr* chosen = condition ? directive.true_part.get() : directive.false_part.get();
      if (chosen != nullptr) {
        if (chosen->kind == ExprKind::Template) {
          for (const ExprPtr& inner : as<TemplateExpr>(*chosen).parts) {
            append_template_part(out, *inner, context, whole);
          }
        } else {
          append_template_part(out, *chosen, context, whole);
        }
      }
      break;
    }
    case ExprKind::TemplateFor: {
      DepthGuard depth(context, part.range);
      out += eval_template_for(as<TemplateForExpr>(part), context, whole);
      break;
    }
    default: {
      Value value = eval(part, context);
      if (value.is_null()) {
        throw_error("Invalid template interpolation value",
                    "The expression result is null. Cannot include a null value in a string "
                    "template.",
                    part.range);
      }
      std::string error;
      auto text = try_to_string(value, error);
      if (!text) {
        throw_error("Invalid template interpolation value",
                    "Cannot include the given value (a " + std::string(kind_name(value.kind())) +
                        ") in a string template: string required.",
                    part.range);
      }
      out += text->as_string();
    }
  }
  count_string(context, out.size(), whole);
}

std::string Evaluator::eval_template_for(const TemplateForExpr& expr, const EvalContext& context,
                                         const Range& whole) {
  auto pairs = iteration_pairs(eval(*expr.collection, context), expr.collection->range);
  EvalContext scope;
  scope.parent = &context;
  scope.limits = context.limits;
  std::string out;
  for (auto& [key, value] : pairs) {
    if (!expr.key_var.empty()) scope.variables.insert_or_assign(expr.key_var, key);
    scope.variables.insert_or_assign(expr.value_var, value);
    if (expr.body->kind == ExprKind::Template) {
      for (const ExprPtr& inner : as<TemplateExpr>(*expr.body).parts) {
        append_template_part(out, *inner, scope, whole);
      }
    } else {
      append_template_part(out, *expr.body, scope, whole);
    }
  }
  return out;
}

Value Evaluator::eval_traversal(const ScopeTraversalExpr& expr, const EvalContext& context) {
  std::optional<Value> root = lookup_root(expr, context);
  if (!root) {
    throw_error("Unknown variable", "There is no variable named \"" + expr.root + "\".",
                expr.range);
  }
  // A value the unknown_variable callback gave stands for the whole traversal.
  if (context.find_variable(expr.root) == nullptr) return *root;
  return apply_steps(std::move(*root), expr.steps);
}

Value Evaluator::eval_splat(const SplatExpr& expr, const EvalContext& context) {
  Value source = eval(*expr.source, context);
  if (source.is_null()) return Value::tuple({});
  const bool sequence = source.is_sequence();
  Value::Elements inputs = sequence ? source.elements() : Value::Elements{source};
  Value::Elements results;
  results.reserve(inputs.size());
  for (const Value& element : inputs) {
    if (expr.each == nullptr) {
      results.push_back(element);
      continue;
    }
    splat_elements_.push_back(element);
    try {
      results.push_back(eval(*expr.each, context));
    } catch (...) {
      splat_elements_.pop_back();
      throw;
    }
    splat_elements_.pop_back();
  }
  if (source.kind() == Kind::List || source.kind() == Kind::Set) {
    return Value::list(std::move(results));
  }
  return Value::tuple(std::move(results));
}

Value Evaluator::eval_can(const FunctionCallExpr& expr, const EvalContext& context) {
  if (expr.args.size() != 1 || expr.expand_final) {
    throw_error("Invalid function arguments",
                "Function \"can\" expects exactly one argument: the expression to test.",
                expr.range);
  }
  try {
    eval(*expr.args[0], context);
    return Value::boolean(true);
  } catch (const DiagnosticError&) {
    return Value::boolean(false);
  }
}

// convert(value, type): HCL's typeexpr function, whose second argument is a type expression
// (`list(string)`), read as a type rather than evaluated.
Value Evaluator::eval_convert(const FunctionCallExpr& expr, const EvalContext& context) {
  if (expr.args.size() != 2 || expr.expand_final) {
    throw_error("Invalid function arguments",
                "Function \"convert\" expects two arguments: the value and the type to convert "
                "it to.",
                expr.range);
  }
  const Value value = eval(*expr.args[0], context);
  const Type type = parse_type(*expr.args[1]);
  return convert(value, type, expr.args[0]->range);
}

Value Evaluator::eval_try(const FunctionCallExpr& expr, const EvalContext& context) {
  if (expr.args.empty() || expr.expand_final) {
    throw_error("Invalid function arguments",
                "Function \"try\" expects at least one argument, each an expression to attempt.",
                expr.range);
  }
  std::string reasons;
  for (const ExprPtr& arg : expr.args) {
    try {
      return eval(*arg, context);
    } catch (const DiagnosticError& error) {
      reasons += "\n- ";
      reasons += format_one_line(error.diagnostics().front());
    }
  }
  throw_error("Error in function call",
              "Call to function \"try\" failed: no expression succeeded:" + reasons, expr.range);
}

Value Evaluator::eval_call(const FunctionCallExpr& expr, const EvalContext& context) {
  const FunctionTable* functions = context.find_functions();
  auto found = functions != nullptr ? functions->find(expr.name) : FunctionTable::const_iterator();
  if (functions == nullptr || found == functions->end()) {
    throw_error("Call to unknown function", "There is no function named \"" + expr.name + "\".",
                expr.name_range);
  }
  // can and try take their arguments unevaluated: an error is their answer, not ours.
  if (expr.name == "can") return eval_can(expr, context);
  if (expr.name == "try") return eval_try(expr, context);
  if (expr.name == "convert") return eval_convert(expr, context);

  const Function& function = found->second;
  std::vector<Value> args;
  args.reserve(expr.args.size());
  for (const ExprPtr& arg : expr.args) args.push_back(eval(*arg, context));
  if (expr.expand_final && !args.empty()) {
    Value last = std::move(args.back());
    args.pop_back();
    if (last.is_null() || !last.is_sequence()) {
      throw_error("Invalid expanding argument value",
                  "The expanding argument (indicated by ...) must be of a tuple, list, or set "
                  "type, not a " +
                      std::string(kind_name(last.kind())) + ".",
                  expr.args.back()->range);
    }
    count_steps(context, last.size(), expr.args.back()->range);
    for (const Value& element : last.elements()) args.push_back(element);
  }
  const auto given = static_cast<int>(args.size());
  if (given < function.min_args) {
    throw_error("Not enough function arguments",
                "Function \"" + expr.name + "\" expects " +
                    (function.max_args == function.min_args ? "" : "at least ") +
                    std::to_string(function.min_args) + " argument(s); " + std::to_string(given) +
                    " given.",
                expr.range);
  }
  if (function.max_args >= 0 && given > function.max_args) {
    throw_error("Too many function arguments",
                "Function \"" + expr.name + "\" expects " +
                    (function.max_args == function.min_args ? "" : "at most ") +
                    std::to_string(function.max_args) + " argument(s); " + std::to_string(given) +
                    " given.",
                expr.range);
  }
  Value result;
  try {
    result = function.impl(args, CallSite{expr, context});
  } catch (const DiagnosticError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw_error("Error in function call",
                "Call to function \"" + expr.name + "\" failed: out of memory.", expr.range);
  } catch (const std::exception& error) {
    throw_error("Error in function call",
                "Call to function \"" + expr.name + "\" failed: " + error.what() + ".", expr.range);
  }
  count_steps(context, result.size(), expr.range);
  if (result.is_string()) count_produced_string(context, result.as_string().size(), expr.range);
  return result;
}

Value Evaluator::eval_conditional(const ConditionalExpr& expr, const EvalContext& context) {
  const bool condition =
      require_condition(eval(*expr.condition, context), expr.condition->range, "condition");
  const Expr& chosen = condition ? *expr.true_result : *expr.false_result;
  const Expr& other = condition ? *expr.false_result : *expr.true_result;
  Value result = eval(chosen, context);
  if (result.is_null() || !(result.is_bool() || result.is_number() || result.is_string())) {
    return result;
  }
  // The two results unify to one type, as HCL's do: a number and a string give a string.
  // Only the chosen side's errors count, so the other is looked at on a best-effort basis.
  Value other_value;
  try {
    other_value = eval(other, context);
  } catch (const DiagnosticError&) {
    return result;
  }
  if (other_value.is_null() || other_value.kind() == result.kind()) return result;
  if (other_value.is_string()) {
    std::string error;
    return *try_to_string(result, error);
  }
  if (result.is_string()) return result;
  if (other_value.is_bool() || other_value.is_number()) {
    throw_error("Inconsistent conditional result types",
                std::string("The true and false result expressions must have consistent "
                            "types. The 'true' value is ") +
                    std::string(kind_name(condition ? result.kind() : other_value.kind())) +
                    ", but the 'false' value is " +
                    std::string(kind_name(condition ? other_value.kind() : result.kind())) + ".",
                expr.range);
  }
  return result;
}

Value operand_as(const Value& value, bool want_bool, const Range& range, const char* side) {
  if (value.is_null()) {
    throw_error(
        "Invalid operand",
        std::string("Unsuitable value for ") + side + " operand: argument must not be null.",
        range);
  }
  std::string error;
  auto converted = want_bool ? try_to_bool(value, error) : try_to_number(value, error);
  if (!converted) {
    throw_error("Invalid operand",
                std::string("Unsuitable value for ") + side + " operand: " + error + ".", range);
  }
  return *converted;
}

Value Evaluator::eval_binary(const BinaryExpr& expr, const EvalContext& context) {
  // HCL evaluates both operands, even of && and ||: there is no short-circuit.
  Value lhs = eval(*expr.lhs, context);
  Value rhs = eval(*expr.rhs, context);
  switch (expr.op) {
    case BinaryOp::Equal:
      return Value::boolean(lhs == rhs);
    case BinaryOp::NotEqual:
      return Value::boolean(!(lhs == rhs));
    case BinaryOp::And:
    case BinaryOp::Or: {
      const bool a = operand_as(lhs, true, expr.lhs->range, "left").as_bool();
      const bool b = operand_as(rhs, true, expr.rhs->range, "right").as_bool();
      return Value::boolean(expr.op == BinaryOp::And ? a && b : a || b);
    }
    default:
      break;
  }
  const double a = operand_as(lhs, false, expr.lhs->range, "left").as_number();
  const double b = operand_as(rhs, false, expr.rhs->range, "right").as_number();
  double result = 0;
  switch (expr.op) {
    case BinaryOp::Less:
      return Value::boolean(a < b);
    case BinaryOp::LessOrEqual:
      return Value::boolean(a <= b);
    case BinaryOp::Greater:
      return Value::boolean(a > b);
    case BinaryOp::GreaterOrEqual:
      return Value::boolean(a >= b);
    case BinaryOp::Add:
      result = a + b;
      break;
    case BinaryOp::Subtract:
      result = a - b;
      break;
    case BinaryOp::Multiply:
      result = a * b;
      break;
    case BinaryOp::Divide:
      // As cty: 1 / 0 is +Inf (0 / 0 is not a number, refused below).
      result = a / b;
      break;
    case BinaryOp::Modulo:
      // As cty: x % 0 is x, and an infinite operand makes the result a * b.
      if (std::isinf(a) || std::isinf(b)) {
        result = a * b;
      } else {
        result = b == 0 ? a : std::fmod(a, b);
      }
      break;
    default:
      break;
  }
  if (std::isnan(result)) {
    throw_error("Operation failed", "Error during operation: the result is not a number.",
                expr.range);
  }
  return Value::number(result);
}

Value Evaluator::eval_unary(const UnaryExpr& expr, const EvalContext& context) {
  Value operand = eval(*expr.operand, context);
  if (expr.op == UnaryOp::Not) {
    return Value::boolean(!operand_as(operand, true, expr.operand->range, "the").as_bool());
  }
  return Value::number(-operand_as(operand, false, expr.operand->range, "the").as_number());
}

Value Evaluator::eval_object(const ObjectExpr& expr, const EvalContext& context) {
  Value::Attributes attributes;
  for (const ObjectItem& item : expr.items) {
    Value key = eval(*item.key, context);
    if (key.is_null()) {
      throw_error("Null value as key", "Can't use a null value as a key.", item.key->range);
    }
    std::string error;
    auto text = try_to_string(key, error);
    if (!text) {
      throw_error("Incorrect key type", "Can't use this value as a key: " + error + ".",
                  item.key->range);
    }
    attributes.insert_or_assign(text->as_string(), eval(*item.value, context));
  }
  return Value::object(std::move(attributes));
}

Value Evaluator::eval_for(const ForExpr& expr, const EvalContext& context) {
  auto pairs = iteration_pairs(eval(*expr.collection, context), expr.collection->range);
  EvalContext scope;
  scope.parent = &context;
  scope.limits = context.limits;
  const bool object_form = expr.key_result != nullptr;
  Value::Elements elements;
  Value::Attributes attributes;
  // The grouping form (`v...`) collects the values of one key, in order.
  std::map<std::string, Value::Elements, std::less<>> groups;
  for (auto& [key, value] : pairs) {
    if (!expr.key_var.empty()) scope.variables.insert_or_assign(expr.key_var, key);
    scope.variables.insert_or_assign(expr.value_var, value);
    if (expr.condition != nullptr) {
      const Value condition = eval(*expr.condition, scope);
      if (condition.is_null()) {
        throw_error("Condition is null", "The value of the 'if' clause must not be null.",
                    expr.condition->range);
      }
      std::string error;
      auto converted = try_to_bool(condition, error);
      if (!converted) {
        throw_error("Invalid 'for' condition", "The 'if' clause value is invalid: " + error + ".",
                    expr.condition->range);
      }
      if (!converted->as_bool()) continue;
    }
    if (!object_form) {
      elements.push_back(eval(*expr.value_result, scope));
      count_elements(context, elements.size(), expr.range);
      continue;
    }
    Value result_key = eval(*expr.key_result, scope);
    if (result_key.is_null()) {
      throw_error("Invalid object key",
                  "Key expression in 'for' expression must not produce a null value.",
                  expr.key_result->range);
    }
    std::string error;
    auto text = try_to_string(result_key, error);
    if (!text) {
      throw_error("Invalid object key",
                  "The key expression produced an invalid result: " + error + ".",
                  expr.key_result->range);
    }
    Value result_value = eval(*expr.value_result, scope);
    const std::string& name = text->as_string();
    if (expr.group) {
      groups[name].push_back(std::move(result_value));
      continue;
    }
    if (!attributes.emplace(name, std::move(result_value)).second) {
      throw_error("Duplicate object key",
                  "Two different items produced the key \"" + name +
                      "\" in this 'for' expression. If duplicates are expected, use the "
                      "ellipsis (...) after the value expression to enable grouping by key.",
                  expr.key_result->range);
    }
    count_elements(context, attributes.size(), expr.range);
  }
  if (!object_form) return Value::tuple(std::move(elements));
  if (expr.group) {
    for (auto& [name, values] : groups) {
      attributes.emplace(name, Value::tuple(std::move(values)));
    }
  }
  return Value::object(std::move(attributes));
}

// variables_of: a walk over the tree that remembers the names for-expressions bind.
void collect_variables(const Expr* expr, std::vector<std::string>& bound,
                       std::vector<const ScopeTraversalExpr*>& out) {
  if (expr == nullptr) return;
  auto visit = [&](const ExprPtr& child) { collect_variables(child.get(), bound, out); };
  switch (expr->kind) {
    case ExprKind::ScopeTraversal: {
      const auto& traversal = as<ScopeTraversalExpr>(*expr);
      for (const std::string& name : bound) {
        if (name == traversal.root) return;
      }
      out.push_back(&traversal);
      return;
    }
    case ExprKind::Template:
      for (const ExprPtr& part : as<TemplateExpr>(*expr).parts) visit(part);
      return;
    case ExprKind::TemplateWrap:
      visit(as<TemplateWrapExpr>(*expr).wrapped);
      return;
    case ExprKind::RelativeTraversal:
      visit(as<RelativeTraversalExpr>(*expr).source);
      return;
    case ExprKind::Index:
      visit(as<IndexExpr>(*expr).collection);
      visit(as<IndexExpr>(*expr).key);
      return;
    case ExprKind::Splat:
      visit(as<SplatExpr>(*expr).source);
      visit(as<SplatExpr>(*expr).each);
      return;
    case ExprKind::FunctionCall:
      for (const ExprPtr& arg : as<FunctionCallExpr>(*expr).args) visit(arg);
      return;
    case ExprKind::Conditional: {
      const auto& conditional = as<ConditionalExpr>(*expr);
      visit(conditional.condition);
      visit(conditional.true_result);
      visit(conditional.false_result);
      return;
    }
    case ExprKind::Binary:
      visit(as<BinaryExpr>(*expr).lhs);
      visit(as<BinaryExpr>(*expr).rhs);
      return;
    case ExprKind::Unary:
      visit(as<UnaryExpr>(*expr).operand);
      return;
    case ExprKind::Tuple:
      for (const ExprPtr& element : as<TupleExpr>(*expr).elements) visit(element);
      return;
    case ExprKind::Object:
      for (const ObjectItem& item : as<ObjectExpr>(*expr).items) {
        if (!item.key_is_bare_identifier) visit(item.key);
        visit(item.value);
      }
      return;
    case ExprKind::For: {
      const auto& loop = as<ForExpr>(*expr);
      visit(loop.collection);
      const std::size_t before = bound.size();
      if (!loop.key_var.empty()) bound.push_back(loop.key_var);
      bound.push_back(loop.value_var);
      visit(loop.key_result);
      visit(loop.value_result);
      visit(loop.condition);
      bound.resize(before);
      return;
    }
    case ExprKind::Parentheses:
      visit(as<ParenthesesExpr>(*expr).inner);
      return;
    case ExprKind::TemplateIf: {
      const auto& directive = as<TemplateIfExpr>(*expr);
      visit(directive.condition);
      visit(directive.true_part);
      visit(directive.false_part);
      return;
    }
    case ExprKind::TemplateFor: {
      const auto& directive = as<TemplateForExpr>(*expr);
      visit(directive.collection);
      const std::size_t before = bound.size();
      if (!directive.key_var.empty()) bound.push_back(directive.key_var);
      bound.push_back(directive.value_var);
      visit(directive.body);
      bound.resize(before);
      return;
    }
    case ExprKind::Literal:
    case ExprKind::AnonSymbol:
      return;
  }
}

}  // namespace

}  // namespace detail

SharedEvalBudget::SharedEvalBudget() {
  if (detail::state.shared_budgets++ == 0) {
    detail::state.steps = 0;
    detail::state.bytes = 0;
  }
}

SharedEvalBudget::~SharedEvalBudget() {
  --detail::state.shared_budgets;
}

Value evaluate(const Expr& expr, const EvalContext& context) {
  detail::Evaluator evaluator;
  return evaluator.eval(expr, context);
}

std::vector<const ScopeTraversalExpr*> variables_of(const Expr& expr) {
  std::vector<std::string> bound;
  std::vector<const ScopeTraversalExpr*> out;
  detail::collect_variables(&expr, bound, out);
  return out;
}

}  // namespace hcl
