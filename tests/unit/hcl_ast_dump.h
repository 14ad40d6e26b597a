// A compact text form of HCL syntax trees, for the parser's tests: `(+ a (* b c))`,
// `[1 "x"]`, `{a=1 ("k")=2}`, `(call f a b...)`, `var.x[0]`, `(splat list (rel * .id))`.
#pragma once

#include <string>

#include "hcl/ast.h"
#include "hcl/value.h"

namespace hcl::testing {

inline std::string dump_value(const Value& value) {
  switch (value.kind()) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return value.as_bool() ? "true" : "false";
    case Kind::Number:
      return format_number(value.as_number());
    case Kind::String:
      return "\"" + value.as_string() + "\"";
    default:
      return "<collection>";
  }
}

inline std::string dump_steps(const std::vector<TraversalStep>& steps) {
  std::string out;
  for (const TraversalStep& step : steps) {
    out +=
        step.type == TraversalStep::Type::Attr ? "." + step.name : "[" + dump_value(step.key) + "]";
  }
  return out;
}

inline const char* op_symbol(BinaryOp op) {
  switch (op) {
    case BinaryOp::Or:
      return "||";
    case BinaryOp::And:
      return "&&";
    case BinaryOp::Equal:
      return "==";
    case BinaryOp::NotEqual:
      return "!=";
    case BinaryOp::Less:
      return "<";
    case BinaryOp::LessOrEqual:
      return "<=";
    case BinaryOp::Greater:
      return ">";
    case BinaryOp::GreaterOrEqual:
      return ">=";
    case BinaryOp::Add:
      return "+";
    case BinaryOp::Subtract:
      return "-";
    case BinaryOp::Multiply:
      return "*";
    case BinaryOp::Divide:
      return "/";
    case BinaryOp::Modulo:
      return "%";
  }
  return "?";
}

inline std::string dump(const Expr* expr);

inline std::string dump_parts(const std::vector<ExprPtr>& parts) {
  std::string out;
  for (const ExprPtr& part : parts) out += " " + dump(part.get());
  return out;
}

inline std::string dump(const Expr* expr) {
  if (expr == nullptr) return "<null>";
  switch (expr->kind) {
    case ExprKind::Literal:
      return dump_value(static_cast<const LiteralExpr*>(expr)->value);
    case ExprKind::Template: {
      const auto* t = static_cast<const TemplateExpr*>(expr);
      return std::string(t->heredoc ? "(heredoc" : "(tpl") + dump_parts(t->parts) + ")";
    }
    case ExprKind::TemplateWrap:
      return "(wrap " + dump(static_cast<const TemplateWrapExpr*>(expr)->wrapped.get()) + ")";
    case ExprKind::ScopeTraversal: {
      const auto* t = static_cast<const ScopeTraversalExpr*>(expr);
      return t->root + dump_steps(t->steps);
    }
    case ExprKind::RelativeTraversal: {
      const auto* t = static_cast<const RelativeTraversalExpr*>(expr);
      return "(rel " + dump(t->source.get()) + " " + dump_steps(t->steps) + ")";
    }
    case ExprKind::Index: {
      const auto* i = static_cast<const IndexExpr*>(expr);
      return "(index " + dump(i->collection.get()) + " " + dump(i->key.get()) + ")";
    }
    case ExprKind::Splat: {
      const auto* s = static_cast<const SplatExpr*>(expr);
      return std::string(s->full ? "(splat " : "(attrsplat ") + dump(s->source.get()) + " " +
             dump(s->each.get()) + ")";
    }
    case ExprKind::AnonSymbol:
      return "*";
    case ExprKind::FunctionCall: {
      const auto* c = static_cast<const FunctionCallExpr*>(expr);
      return "(call " + c->name + dump_parts(c->args) + (c->expand_final ? "...)" : ")");
    }
    case ExprKind::Conditional: {
      const auto* c = static_cast<const ConditionalExpr*>(expr);
      return "(? " + dump(c->condition.get()) + " " + dump(c->true_result.get()) + " " +
             dump(c->false_result.get()) + ")";
    }
    case ExprKind::Binary: {
      const auto* b = static_cast<const BinaryExpr*>(expr);
      return std::string("(") + op_symbol(b->op) + " " + dump(b->lhs.get()) + " " +
             dump(b->rhs.get()) + ")";
    }
    case ExprKind::Unary: {
      const auto* u = static_cast<const UnaryExpr*>(expr);
      return std::string(u->op == UnaryOp::Negate ? "(- " : "(! ") + dump(u->operand.get()) + ")";
    }
    case ExprKind::Tuple: {
      const auto* t = static_cast<const TupleExpr*>(expr);
      std::string out = "[";
      for (const ExprPtr& e : t->elements) out += (out.size() > 1 ? " " : "") + dump(e.get());
      return out + "]";
    }
    case ExprKind::Object: {
      const auto* o = static_cast<const ObjectExpr*>(expr);
      std::string out = "{";
      for (const ObjectItem& item : o->items) {
        if (out.size() > 1) out += " ";
        out += item.key_is_bare_identifier
                   ? static_cast<const LiteralExpr*>(item.key.get())->value.as_string()
                   : "(" + dump(item.key.get()) + ")";
        out += "=" + dump(item.value.get());
      }
      return out + "}";
    }
    case ExprKind::For: {
      const auto* f = static_cast<const ForExpr*>(expr);
      std::string out = "(for " + (f->key_var.empty() ? "" : f->key_var + ",") + f->value_var +
                        " " + dump(f->collection.get()) + " :";
      if (f->key_result) out += " " + dump(f->key_result.get()) + " =>";
      out += " " + dump(f->value_result.get());
      if (f->group) out += "...";
      if (f->condition) out += " if " + dump(f->condition.get());
      return out + ")";
    }
    case ExprKind::Parentheses:
      return "(paren " + dump(static_cast<const ParenthesesExpr*>(expr)->inner.get()) + ")";
    case ExprKind::TemplateIf: {
      const auto* i = static_cast<const TemplateIfExpr*>(expr);
      return "(if " + dump(i->condition.get()) + " " + dump(i->true_part.get()) + " " +
             (i->false_part ? dump(i->false_part.get()) : "-") + ")";
    }
    case ExprKind::TemplateFor: {
      const auto* f = static_cast<const TemplateForExpr*>(expr);
      return "(tfor " + (f->key_var.empty() ? "" : f->key_var + ",") + f->value_var + " " +
             dump(f->collection.get()) + " " + dump(f->body.get()) + ")";
    }
  }
  return "<?>";
}

}  // namespace hcl::testing
