// The expression language: operators by precedence, terms, and the postfix traversals
// (attribute access, index, splat). See parser_internal.h for the design.
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

#include "hcl/parser_internal.h"

namespace hcl::parsing {

namespace {

struct BinaryOperator {
  BinaryOp op;
  int level;  // higher binds tighter (the spec's table)
};

std::optional<BinaryOperator> binary_operator(TokenKind kind) {
  switch (kind) {
    case TokenKind::Or:
      return BinaryOperator{BinaryOp::Or, 1};
    case TokenKind::And:
      return BinaryOperator{BinaryOp::And, 2};
    case TokenKind::Equal:
      return BinaryOperator{BinaryOp::Equal, 3};
    case TokenKind::NotEqual:
      return BinaryOperator{BinaryOp::NotEqual, 3};
    case TokenKind::Less:
      return BinaryOperator{BinaryOp::Less, 4};
    case TokenKind::LessOrEqual:
      return BinaryOperator{BinaryOp::LessOrEqual, 4};
    case TokenKind::Greater:
      return BinaryOperator{BinaryOp::Greater, 4};
    case TokenKind::GreaterOrEqual:
      return BinaryOperator{BinaryOp::GreaterOrEqual, 4};
    case TokenKind::Plus:
      return BinaryOperator{BinaryOp::Add, 5};
    case TokenKind::Minus:
      return BinaryOperator{BinaryOp::Subtract, 5};
    case TokenKind::Star:
      return BinaryOperator{BinaryOp::Multiply, 6};
    case TokenKind::Slash:
      return BinaryOperator{BinaryOp::Divide, 6};
    case TokenKind::Percent:
      return BinaryOperator{BinaryOp::Modulo, 6};
    default:
      return std::nullopt;
  }
}

bool is_keyword(const Token& token, std::string_view word) {
  return token.kind == TokenKind::Identifier && token.text == word;
}

// The key of `x[key]` when it is a constant a traversal step can hold: a number, or a string
// without interpolation.
std::optional<Value> literal_key(const Expr& key) {
  if (key.kind == ExprKind::Literal) {
    const Value& value = static_cast<const LiteralExpr&>(key).value;
    if (value.is_number() || value.is_string()) return value;
    return std::nullopt;
  }
  if (key.kind == ExprKind::Template) {
    const auto& parts = static_cast<const TemplateExpr&>(key).parts;
    if (parts.size() == 1 && parts[0]->kind == ExprKind::Literal) {
      return static_cast<const LiteralExpr&>(*parts[0]).value;
    }
  }
  return std::nullopt;
}

// Appends a step to a traversal expression, or starts a relative traversal on any other.
ExprPtr add_step(ExprPtr expr, TraversalStep step) {
  const Pos end = step.range.end;
  if (expr->kind == ExprKind::ScopeTraversal) {
    auto& traversal = static_cast<ScopeTraversalExpr&>(*expr);
    traversal.steps.push_back(std::move(step));
    traversal.range.end = end;
    return expr;
  }
  if (expr->kind == ExprKind::RelativeTraversal) {
    auto& traversal = static_cast<RelativeTraversalExpr&>(*expr);
    traversal.steps.push_back(std::move(step));
    traversal.range.end = end;
    return expr;
  }
  Range range = expr->range;
  range.end = end;
  auto traversal = std::make_unique<RelativeTraversalExpr>(std::move(range));
  traversal->source = std::move(expr);
  traversal->steps.push_back(std::move(step));
  return traversal;
}

}  // namespace

ExprPtr Parser::expression() {
  Nesting nesting(*this, peek());
  ExprPtr condition = binary_operation(0);
  if (peek().kind != TokenKind::Question) return condition;
  read();

  ExprPtr true_result = expression();
  const Token& colon = peek();
  if (colon.kind != TokenKind::Colon) {
    fail_at("Missing false expression in conditional",
            "The conditional operator (...?...:...) requires a false expression, delimited by a "
            "colon, but found " +
                found(colon) + ".",
            colon);
  }
  read();
  ExprPtr false_result = expression();

  auto conditional =
      std::make_unique<ConditionalExpr>(range(condition->range.start, false_result->range.end));
  conditional->condition = std::move(condition);
  conditional->true_result = std::move(true_result);
  conditional->false_result = std::move(false_result);
  return conditional;
}

// Precedence climbing: operands at higher levels are parsed by the recursive call, operators
// of one level are folded left to right in the loop (`a - b - c` is `(a - b) - c`).
ExprPtr Parser::binary_operation(int min_level) {
  ExprPtr lhs = unary_operation();
  std::optional<Nesting> chain;  // a long chain of operators is a deep tree: it counts
  while (true) {
    const Token& next = peek();
    const std::optional<BinaryOperator> op = binary_operator(next.kind);
    if (!op || op->level < min_level) return lhs;
    if (chain) {
      chain->add(next);
    } else {
      chain.emplace(*this, next);
    }
    read();
    ExprPtr rhs = binary_operation(op->level + 1);
    auto binary = std::make_unique<BinaryExpr>(range(lhs->range.start, rhs->range.end));
    binary->op = op->op;
    binary->lhs = std::move(lhs);
    binary->rhs = std::move(rhs);
    lhs = std::move(binary);
  }
}

// `-x`, `!x`, `- -x`: the operand is a term with its traversals, so `-a + b` is `(-a) + b`.
ExprPtr Parser::unary_operation() {
  std::vector<Token> operators;
  std::optional<Nesting> nesting;
  while (peek().kind == TokenKind::Minus || peek().kind == TokenKind::Bang) {
    if (nesting) {
      nesting->add(peek());
    } else {
      nesting.emplace(*this, peek());
    }
    operators.push_back(read());
  }
  ExprPtr operand = term_with_traversals();
  for (auto op = operators.rbegin(); op != operators.rend(); ++op) {
    auto unary = std::make_unique<UnaryExpr>(range(op->start, operand->range.end));
    unary->op = op->kind == TokenKind::Minus ? UnaryOp::Negate : UnaryOp::Not;
    unary->operand = std::move(operand);
    operand = std::move(unary);
  }
  return operand;
}

ExprPtr Parser::term_with_traversals() {
  return traversals(term());
}

ExprPtr Parser::term() {
  const Token start = read();
  switch (start.kind) {
    case TokenKind::OpenParen:
      return parentheses(start);
    case TokenKind::Number:
      return number(start);
    case TokenKind::Identifier: {
      if (peek().kind == TokenKind::OpenParen) return function_call(start);
      if (start.text == "true" || start.text == "false") {
        return std::make_unique<LiteralExpr>(Value::boolean(start.text == "true"), range_of(start));
      }
      if (start.text == "null") return std::make_unique<LiteralExpr>(Value(), range_of(start));
      auto traversal = std::make_unique<ScopeTraversalExpr>(range_of(start));
      traversal->root = start.text;
      traversal->source_text = start.text;
      return traversal;
    }
    case TokenKind::OpenQuote:
    case TokenKind::OpenHeredoc:
      return template_expression(start);
    case TokenKind::OpenBracket:
      return tuple(start);
    case TokenKind::OpenBrace:
      return object(start);
    case TokenKind::EndOfFile:
      fail_at("Missing expression",
              "Expected the start of an expression, but found the end of the file.", start);
    default:
      fail_at("Invalid expression",
              "Expected the start of an expression, but found " + found(start) + ".", start);
  }
}

ExprPtr Parser::number(const Token& token) {
  double value = 0;
  const char* first = token.text.data();
  const char* last = first + token.text.size();
  const auto [end, error] = std::from_chars(first, last, value);
  if (error == std::errc::result_out_of_range) {
    fail_at("Invalid number literal",
            "The number " + found(token) +
                " is beyond the range of numbers this implementation holds (about 1.8e308).",
            token);
  }
  if (error != std::errc() || end != last || !std::isfinite(value)) {
    fail_at("Invalid number literal",
            "Failed to recognize the value of this number literal: " + found(token) +
                " is not one decimal number (digits, an optional fraction and an optional "
                "exponent).",
            token);
  }
  return std::make_unique<LiteralExpr>(Value::number(value), range_of(token));
}

ExprPtr Parser::parentheses(const Token& open) {
  NewlineMode ignore_newlines(*this, false);
  ExprPtr inner = expression();
  const Token& close = peek();
  if (close.kind != TokenKind::CloseParen) {
    fail_at("Unbalanced parentheses",
            "Expected a closing parenthesis to terminate the expression, but found " +
                found(close) + ".",
            close);
  }
  const Pos end = read().end;
  return std::make_unique<ParenthesesExpr>(std::move(inner), range(open.start, end));
}

ExprPtr Parser::function_call(const Token& name) {
  const Token open = read();
  NewlineMode ignore_newlines(*this, false);
  auto call = std::make_unique<FunctionCallExpr>(range_of(name));
  call->name = name.text;
  call->name_range = range_of(name);
  while (peek().kind != TokenKind::CloseParen) {
    call->args.push_back(expression());
    const Token separator = read();
    if (separator.kind == TokenKind::CloseParen) {
      call->range.end = separator.end;
      return call;
    }
    if (separator.kind == TokenKind::Ellipsis) {
      call->expand_final = true;
      const Token& close = peek();
      if (close.kind != TokenKind::CloseParen) {
        fail_at("Missing closing parenthesis",
                "An expanded function argument (with ...) must be immediately followed by "
                "closing parentheses, but found " +
                    found(close) + ".",
                separator);  // at the `...`, where HashiCorp's parser reports it
      }
      break;
    }
    if (separator.kind == TokenKind::EndOfFile) {
      fail("Unterminated function call",
           "There is no closing parenthesis for this function call before the end of the file. "
           "This may be caused by incorrect parenthesis nesting elsewhere in this file.",
           range(name.start, open.end));
    }
    if (separator.kind != TokenKind::Comma) {
      fail_at("Missing argument separator",
              "A comma is required to separate each function argument from the next, but found " +
                  found(separator) + ".",
              separator);
    }
  }
  call->range.end = read().end;
  return call;
}

ExprPtr Parser::tuple(const Token& open) {
  NewlineMode ignore_newlines(*this, false);
  if (is_keyword(peek(), "for")) return for_expression(open);

  auto tuple = std::make_unique<TupleExpr>(range_of(open));
  while (peek().kind != TokenKind::CloseBracket) {
    tuple->elements.push_back(expression());
    const Token& next = peek();
    if (next.kind == TokenKind::CloseBracket) break;
    if (next.kind == TokenKind::EndOfFile) {
      fail_at("Unterminated tuple constructor expression",
              "There is no corresponding closing bracket before the end of the file. This may be "
              "caused by incorrect bracket nesting elsewhere in this file.",
              open);
    }
    if (next.kind != TokenKind::Comma) {
      fail_at(
          "Missing item separator",
          "Expected a comma to mark the beginning of the next item, but found " + found(next) + ".",
          next);
    }
    read();
  }
  tuple->range.end = read().end;
  return tuple;
}

ExprPtr Parser::object(const Token& open) {
  bool is_for = false;
  {
    // `for` may follow on the next line: for expressions ignore line breaks.
    NewlineMode ignore_newlines(*this, false);
    is_for = is_keyword(peek(), "for");
  }
  if (is_for) return for_expression(open);

  NewlineMode newlines_separate(*this, true);
  auto object = std::make_unique<ObjectExpr>(range_of(open));
  while (true) {
    const Token& next = peek();
    if (next.kind == TokenKind::Newline) {
      read();
      continue;
    }
    if (next.kind == TokenKind::CloseBrace) break;
    if (next.kind == TokenKind::EndOfFile) {
      fail_at("Unterminated object constructor expression",
              "There is no corresponding closing brace before the end of the file. This may be "
              "caused by incorrect brace nesting elsewhere in this file.",
              open);
    }

    // A naked identifier is the key's name, not a variable: `{foo = 1}` has the key "foo";
    // `{(foo) = 1}` takes it from the variable.
    const Token first = next;
    ObjectItem item;
    item.key = expression();
    if (first.kind == TokenKind::Identifier && item.key->range.end.byte == first.end.byte) {
      item.key = std::make_unique<LiteralExpr>(Value::string(first.text), range_of(first));
      item.key_is_bare_identifier = true;
    }

    const Token& separator = peek();
    if (separator.kind != TokenKind::Assign && separator.kind != TokenKind::Colon) {
      switch (separator.kind) {
        case TokenKind::Newline:
        case TokenKind::Comma:
          fail_at("Missing attribute value",
                  "Expected an attribute value, introduced by an equals sign (\"=\"), but found " +
                      found(separator) + ".",
                  separator);
        case TokenKind::Identifier:
          fail_at("Missing key/value separator",
                  "Expected an equals sign (\"=\") to mark the beginning of the attribute value, "
                  "but found " +
                      found(separator) +
                      ". If you intended to give an attribute name containing periods or "
                      "spaces, write the name in quotes to create a string literal.",
                  separator);
        case TokenKind::EndOfFile:
          fail_at("Unterminated object constructor expression",
                  "There is no corresponding closing brace before the end of the file. This may "
                  "be caused by incorrect brace nesting elsewhere in this file.",
                  open);
        default:
          fail_at("Missing key/value separator",
                  "Expected an equals sign (\"=\") to mark the beginning of the attribute value, "
                  "but found " +
                      found(separator) + ".",
                  separator);
      }
    }
    read();
    item.value = expression();
    object->items.push_back(std::move(item));

    const Token& after = peek();
    if (after.kind == TokenKind::CloseBrace) break;
    if (after.kind == TokenKind::EndOfFile) {
      fail_at("Unterminated object constructor expression",
              "There is no corresponding closing brace before the end of the file. This may be "
              "caused by incorrect brace nesting elsewhere in this file.",
              open);
    }
    if (after.kind != TokenKind::Comma && after.kind != TokenKind::Newline) {
      fail_at("Missing attribute separator",
              "Expected a newline or comma to mark the beginning of the next attribute, but "
              "found " +
                  found(after) + ".",
              after);
    }
    read();
  }
  object->range.end = read().end;
  return object;
}

ExprPtr Parser::for_expression(const Token& open) {
  NewlineMode ignore_newlines(*this, false);
  const bool make_object = open.kind == TokenKind::OpenBrace;
  const TokenKind close_kind = make_object ? TokenKind::CloseBrace : TokenKind::CloseBracket;
  read();  // for

  auto invalid = [this](const std::string& detail, const Token& at) {
    fail_at("Invalid 'for' expression", detail + " Found " + found(at) + ".", at);
  };
  auto result = std::make_unique<ForExpr>(range_of(open));
  if (peek().kind != TokenKind::Identifier) {
    invalid("For expression requires variable name after 'for'.", peek());
  }
  result->value_var = read().text;
  if (peek().kind == TokenKind::Comma) {
    read();
    if (peek().kind != TokenKind::Identifier) {
      invalid("For expression requires value variable name after comma.", peek());
    }
    result->key_var = std::move(result->value_var);
    result->value_var = read().text;
  }
  if (!is_keyword(peek(), "in")) {
    invalid("For expression requires the 'in' keyword after its name declarations.", peek());
  }
  read();
  result->collection = expression();
  if (peek().kind != TokenKind::Colon) {
    invalid("For expression requires a colon after the collection expression.", peek());
  }
  read();

  ExprPtr first = expression();
  if (peek().kind == TokenKind::FatArrow) {
    read();
    if (!make_object) {
      fail("Invalid 'for' expression", "Key expression is not valid when building a tuple.",
           first->range);
    }
    result->key_result = std::move(first);
    result->value_result = expression();
  } else {
    if (make_object) {
      fail("Invalid 'for' expression",
           "Key expression is required when building an object: write `key => value`.",
           first->range);
    }
    result->value_result = std::move(first);
  }
  if (peek().kind == TokenKind::Ellipsis) {
    if (!make_object) {
      fail_at("Invalid 'for' expression",
              "Grouping ellipsis (...) cannot be used when building a tuple.", peek());
    }
    read();
    result->group = true;
  }
  if (is_keyword(peek(), "if")) {
    read();
    result->condition = expression();
  }
  if (peek().kind != close_kind) {
    invalid("Extra characters after the end of the 'for' expression.", peek());
  }
  result->range.end = read().end;
  return result;
}

// Postfix operators after a term: `.name`, `.0` (the legacy index), `[key]`, `[*]` and `.*`.
// Attribute steps and constant indexes extend a traversal; any other index becomes an
// IndexExpr, and a splat takes the rest of the chain as what it applies to each element.
ExprPtr Parser::traversals(ExprPtr from) {
  ExprPtr result = std::move(from);
  std::optional<Nesting> chain;  // index expressions and splats nest the tree
  auto deeper = [&](const Token& at) {
    if (chain) {
      chain->add(at);
    } else {
      chain.emplace(*this, at);
    }
  };

  while (true) {
    const Token& next = peek();
    if (next.kind == TokenKind::Dot) {
      const Token dot = read();
      const Token name = read();
      if (name.kind == TokenKind::Identifier) {
        TraversalStep step;
        step.type = TraversalStep::Type::Attr;
        step.name = name.text;
        step.range = range(dot.start, name.end);
        result = add_step(std::move(result), std::move(step));
      } else if (name.kind == TokenKind::Number) {
        if (name.text.find_first_not_of("0123456789") != std::string::npos) {
          const std::size_t split = name.text.find('.');
          fail_at("Invalid legacy index syntax",
                  split == std::string::npos
                      ? "The legacy index syntax takes a whole number, not " + found(name) + "."
                      : "When using the legacy index syntax, chaining two indexes together is "
                        "not permitted. Use the proper index syntax instead, like [" +
                            name.text.substr(0, split) + "][" + name.text.substr(split + 1) + "].",
                  name);
        }
        TraversalStep step;
        step.type = TraversalStep::Type::Index;
        step.key = static_cast<const LiteralExpr&>(*number(name)).value;
        step.range = range(dot.start, name.end);
        result = add_step(std::move(result), std::move(step));
      } else if (name.kind == TokenKind::Star) {
        deeper(name);
        finish_traversal(*result);
        result = attribute_only_splat(std::move(result), dot, name);
      } else {
        fail_at("Invalid attribute name",
                "An attribute name is required after a dot, but found " + found(name) + ".", name);
      }
      continue;
    }

    if (next.kind != TokenKind::OpenBracket) break;
    const Token open = read();
    if (peek().kind == TokenKind::Star) {
      // A full splat: the rest of the chain applies to each element.
      read();
      const Token close = read();
      if (close.kind != TokenKind::CloseBracket) {
        fail_at("Missing close bracket on splat index",
                "The star for a full splat operator must be immediately followed by a closing "
                "bracket (\"]\"), but found " +
                    found(close) + ".",
                close);
      }
      deeper(open);
      finish_traversal(*result);
      auto splat = std::make_unique<SplatExpr>(range(result->range.start, close.end));
      splat->full = true;
      splat->source = std::move(result);
      splat->each = traversals(std::make_unique<AnonSymbolExpr>(range(open.start, close.end)));
      splat->range.end = splat->each->range.end;
      result = std::move(splat);
      continue;
    }

    ExprPtr key;
    {
      NewlineMode ignore_newlines(*this, false);
      key = expression();
      const Token& close = peek();
      if (close.kind != TokenKind::CloseBracket) {
        fail_at("Missing close bracket on index",
                "The index operator must end with a closing bracket (\"]\"), but found " +
                    found(close) + ".",
                close);
      }
    }
    const Token close = read();
    if (std::optional<Value> constant = literal_key(*key)) {
      TraversalStep step;
      step.type = TraversalStep::Type::Index;
      step.key = std::move(*constant);
      step.range = range(open.start, close.end);
      result = add_step(std::move(result), std::move(step));
    } else {
      deeper(open);
      finish_traversal(*result);
      auto index = std::make_unique<IndexExpr>(range(result->range.start, close.end));
      index->collection = std::move(result);
      index->key = std::move(key);
      result = std::move(index);
    }
  }
  finish_traversal(*result);
  return result;
}

ExprPtr Parser::attribute_only_splat(ExprPtr source, const Token& dot, const Token& star) {
  auto each_root = std::make_unique<AnonSymbolExpr>(range(dot.start, star.end));
  ExprPtr each = std::move(each_root);
  while (peek().kind == TokenKind::Dot) {
    const Token step_dot = read();
    const Token name = read();
    TraversalStep step;
    step.range = range(step_dot.start, name.end);
    if (name.kind == TokenKind::Identifier) {
      step.type = TraversalStep::Type::Attr;
      step.name = name.text;
    } else if (name.kind == TokenKind::Number &&
               name.text.find_first_not_of("0123456789") == std::string::npos) {
      step.type = TraversalStep::Type::Index;
      step.key = static_cast<const LiteralExpr&>(*number(name)).value;
    } else if (name.kind == TokenKind::Star) {
      fail_at("Nested splat expression not allowed",
              "A splat expression (*) cannot be used inside another attribute-only splat "
              "expression.",
              name);
    } else {
      fail_at("Invalid attribute name",
              "An attribute name is required after a dot, but found " + found(name) + ".", name);
    }
    each = add_step(std::move(each), std::move(step));
  }
  auto splat = std::make_unique<SplatExpr>(range(source->range.start, each->range.end));
  splat->full = false;
  splat->source = std::move(source);
  splat->each = std::move(each);
  return splat;
}

// A scope traversal's text as written (`attr.unique.hostname`), set once its steps are known.
void Parser::finish_traversal(Expr& expr) const {
  if (expr.kind != ExprKind::ScopeTraversal) return;
  auto& traversal = static_cast<ScopeTraversalExpr&>(expr);
  const std::size_t start = traversal.range.start.byte;
  const std::size_t end = traversal.range.end.byte;
  if (start <= end && end <= source_.size()) {
    traversal.source_text = std::string(source_.substr(start, end - start));
  }
}

}  // namespace hcl::parsing
