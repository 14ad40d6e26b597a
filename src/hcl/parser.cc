// The structural language (bodies, attributes, blocks), the token stream under the whole
// parser, and the public entry points. See parser_internal.h for the design.
#include "hcl/parser.h"

#include <utility>

#include "hcl/parser_internal.h"

namespace hcl {

namespace parsing {

Parser::Parser(std::string_view source, std::string filename, LexMode mode,
               const ParseLimits& limits)
    : source_(source),
      filename_(filename),
      lexer_(source, std::move(filename), mode),
      limits_(limits) {}

// --- tokens

const Token& Parser::peek() {
  while (true) {
    if (lookahead_.empty()) lookahead_.push_back(lexer_.next());
    // A line break that does not matter here is gone for good: every caller that peeks in
    // one mode reads the token in that same mode.
    if (lookahead_.front().kind == TokenKind::Newline && !newlines_matter_.back()) {
      lookahead_.pop_front();
      continue;
    }
    return lookahead_.front();
  }
}

Token Parser::read() {
  peek();
  Token token = std::move(lookahead_.front());
  lookahead_.pop_front();
  if (token.kind == TokenKind::EndOfFile) lookahead_.push_back(token);  // EOF stays
  previous_end_ = token.end;
  return token;
}

void Parser::fail(std::string summary, std::string detail, const Range& where) const {
  throw_error(std::move(summary), std::move(detail), where);
}

void Parser::fail_at(std::string summary, std::string detail, const Token& token) const {
  fail(std::move(summary), std::move(detail), range_of(token));
}

std::string Parser::position(const Pos& pos) const {
  return std::to_string(pos.line) + ":" + std::to_string(pos.column);
}

Nesting::Nesting(Parser& parser, const Token& at) : parser_(parser) {
  add(at);
}

Nesting::~Nesting() {
  parser_.depth_ -= levels_;
}

void Nesting::add(const Token& at) {
  ++levels_;
  if (++parser_.depth_ > parser_.limits_.max_nesting) {
    parser_.fail_at("Too deeply nested",
                    "This nests blocks, brackets, templates or operators more than " +
                        std::to_string(parser_.limits_.max_nesting) +
                        " levels deep, the most this parser accepts.",
                    at);
  }
}

NewlineMode::NewlineMode(Parser& parser, bool matter) : parser_(parser) {
  parser_.newlines_matter_.push_back(matter);
}

NewlineMode::~NewlineMode() {
  parser_.newlines_matter_.pop_back();
}

// --- bodies

Body Parser::file_body() {
  Body body;
  body.range = range(peek().start, peek().start);
  body.range.start = Pos{};
  while (true) {
    const Token& next = peek();
    switch (next.kind) {
      case TokenKind::EndOfFile:
        body.range.end = next.end;
        return body;
      case TokenKind::Newline:
        read();
        continue;
      case TokenKind::Identifier:
        body_item(body);
        continue;
      case TokenKind::OpenQuote:
        fail_at("Invalid argument name", "Argument names must not be quoted.", next);
      default:
        fail_at("Argument or block definition required",
                "An argument or block definition is required here, but found " + found(next) + ".",
                next);
    }
  }
}

Body Parser::body_until_close_brace(const Token& open_brace) {
  Body body;
  body.range = range_of(open_brace);
  while (true) {
    const Token& next = peek();
    switch (next.kind) {
      case TokenKind::CloseBrace:
        body.range.end = read().end;
        return body;
      case TokenKind::Newline:
        read();
        continue;
      case TokenKind::Identifier:
        body_item(body);
        continue;
      case TokenKind::OpenQuote:
        fail_at("Invalid argument name", "Argument names must not be quoted.", next);
      case TokenKind::EndOfFile:
        fail_at("Unclosed configuration block",
                "There is no closing brace for this block before the end of the file. This may "
                "be caused by incorrect brace nesting elsewhere in this file.",
                open_brace);
      default:
        fail_at("Argument or block definition required",
                "An argument or block definition is required here, but found " + found(next) + ".",
                next);
    }
  }
}

void Parser::body_item(Body& body) {
  const Token name = read();
  const Token& next = peek();
  switch (next.kind) {
    case TokenKind::Assign:
      add_attribute(body, attribute(name, false));
      return;
    case TokenKind::OpenQuote:
    case TokenKind::OpenBrace:
    case TokenKind::Identifier:
      body.blocks.push_back(block(name));
      return;
    default:
      fail_at("Argument or block definition required",
              "An argument or block definition is required here. To set an argument, use the "
              "equals sign \"=\" to introduce the argument value; to open a block, follow its "
              "type with labels and \"{\". Found " +
                  found(next) + " after `" + name.text + "`.",
              name);
  }
}

void Parser::add_attribute(Body& body, Attribute attribute) {
  if (const Attribute* existing = body.attribute(attribute.name)) {
    fail("Attribute redefined",
         "The argument \"" + attribute.name + "\" was already set at " +
             position(existing->name_range.start) + ". Each argument may be set only once.",
         attribute.name_range);
  }
  body.attributes.push_back(std::move(attribute));
}

Attribute Parser::attribute(const Token& name, bool single_line) {
  read();  // =
  Attribute attribute;
  attribute.name = name.text;
  attribute.name_range = range_of(name);
  attribute.expr = expression();
  attribute.range = range(name.start, attribute.expr->range.end);
  if (single_line) return attribute;

  const Token& end = peek();
  if (end.kind == TokenKind::Newline || end.kind == TokenKind::EndOfFile) {
    read();
    return attribute;
  }
  if (end.kind == TokenKind::Comma) {
    fail_at("Unexpected comma after argument",
            "Argument definitions must be separated by newlines, not commas. An argument "
            "definition must end with a newline.",
            end);
  }
  fail_at("Missing newline after argument",
          "An argument definition must end with a newline, but found " + found(end) + ".", end);
}

std::string Parser::quoted_label(Range& label_range) {
  const Token open = read();
  std::string label;
  while (true) {
    const Token token = read();
    switch (token.kind) {
      case TokenKind::CloseQuote:
        label_range = range(open.start, token.end);
        return label;
      case TokenKind::TemplateLiteral:
        label += token.text;
        continue;
      case TokenKind::TemplateInterp:
      case TokenKind::TemplateControl: {
        const std::string which = token.kind == TokenKind::TemplateInterp ? "$" : "%";
        fail_at("Invalid string literal",
                "Template sequences are not allowed in a block label. To include a literal \"" +
                    which + "{\", double the \"" + which + "\" (as \"" + which + which +
                    "{\") to escape it.",
                token);
      }
      default:
        fail_at("Invalid string literal", "Found " + found(token) + " inside a block label.",
                token);
    }
  }
}

Block Parser::block(const Token& type) {
  Block block;
  block.type = type.text;
  block.type_range = range_of(type);

  // Labels, up to the opening brace on the same line.
  while (peek().kind != TokenKind::OpenBrace) {
    const Token& next = peek();
    if (next.kind == TokenKind::OpenQuote) {
      Range label_range;
      block.labels.push_back(quoted_label(label_range));
      block.label_ranges.push_back(label_range);
    } else if (next.kind == TokenKind::Identifier) {
      block.labels.push_back(next.text);
      block.label_ranges.push_back(range_of(next));
      read();
    } else if (next.kind == TokenKind::Assign) {
      fail_at("Invalid block definition",
              "The equals sign \"=\" indicates an argument definition, and must not be used "
              "when defining a block.",
              next);
    } else if (next.kind == TokenKind::Newline || next.kind == TokenKind::EndOfFile) {
      fail_at("Invalid block definition",
              "A block definition must have block content delimited by \"{\" and \"}\", "
              "starting on the same line as the block header; found " +
                  found(next) + " before any \"{\".",
              next);
    } else {
      fail_at("Invalid block definition",
              "Either a quoted string block label or an opening brace (\"{\") is expected here, "
              "but found " +
                  found(next) + ".",
              next);
    }
  }
  const Token open_brace = read();
  Nesting nesting(*this, open_brace);

  switch (peek().kind) {
    case TokenKind::Newline:
    case TokenKind::EndOfFile:
    case TokenKind::CloseBrace:
      block.body = std::make_unique<Body>(body_until_close_brace(open_brace));
      break;
    default:
      block.body = single_attribute_body(open_brace);
  }
  block.range = range(type.start, previous_end_);

  const Token& end = peek();
  if (end.kind == TokenKind::Newline) {
    read();
  } else if (end.kind != TokenKind::EndOfFile) {
    fail_at("Missing newline after block definition",
            "A block definition must end with a newline, but found " + found(end) +
                " after the closing brace of `" + block.type + "`.",
            end);
  }
  return block;
}

// `name { attr = expr }` on one line: at most one argument, closed on the same line.
std::unique_ptr<Body> Parser::single_attribute_body(const Token& open_brace) {
  auto body = std::make_unique<Body>();
  const Token name = read();
  if (name.kind != TokenKind::Identifier) {
    fail_at("Argument or block definition required",
            "An argument or block definition is required here, but found " + found(name) + ".",
            name);
  }
  const Token& next = peek();
  if (next.kind == TokenKind::OpenQuote || next.kind == TokenKind::OpenBrace ||
      next.kind == TokenKind::Identifier) {
    fail("Argument definition required",
         "A single-line block definition can contain only a single argument. If you meant to "
         "define argument \"" +
             name.text +
             "\", use an equals sign to assign it a value. To define a nested block, place it "
             "on a line of its own within its parent block.",
         range(name.start, next.end));
  }
  if (next.kind != TokenKind::Assign) {
    fail_at("Argument or block definition required",
            "An argument or block definition is required here. To set an argument, use the "
            "equals sign \"=\" to introduce the argument value; found " +
                found(next) + " after `" + name.text + "`.",
            name);
  }
  body->attributes.push_back(attribute(name, true));

  const Token& close = peek();
  switch (close.kind) {
    case TokenKind::CloseBrace:
      body->range = range(open_brace.start, read().end);
      return body;
    case TokenKind::Comma:
      fail_at("Invalid single-argument block definition",
              "Single-line block syntax can include only one argument definition. To define "
              "multiple arguments, use the multi-line block syntax with one argument definition "
              "per line.",
              close);
    case TokenKind::Newline:
      fail_at("Invalid single-argument block definition",
              "An argument definition on the same line as its containing block creates a "
              "single-line block definition, which must also be closed on the same line. Place "
              "the block's closing brace immediately after the argument definition.",
              close);
    case TokenKind::EndOfFile:
      fail_at("Unclosed configuration block",
              "There is no closing brace for this block before the end of the file. This may be "
              "caused by incorrect brace nesting elsewhere in this file.",
              open_brace);
    default:
      fail_at("Invalid single-argument block definition",
              "A single-line block definition must end with a closing brace immediately after "
              "its single argument definition, but found " +
                  found(close) + ".",
              close);
  }
}

void Parser::expect_end_of_expression() {
  const Token& next = peek();
  if (next.kind != TokenKind::EndOfFile) {
    fail_at("Extra characters after expression",
            "An expression was successfully parsed, but extra characters were found after it: " +
                found(next) + ".",
            next);
  }
}

}  // namespace parsing

namespace {

void check_size(std::string_view source, std::string_view filename, const ParseLimits& limits) {
  if (source.size() > limits.max_source_bytes) {
    throw_error("Source too large",
                "The text is " + std::to_string(source.size()) + " bytes; the limit is " +
                    std::to_string(limits.max_source_bytes) + " bytes.",
                Range{std::string(filename), Pos{}, Pos{}});
  }
}

}  // namespace

const Attribute* Body::attribute(std::string_view name) const {
  for (const Attribute& attribute : attributes) {
    if (attribute.name == name) return &attribute;
  }
  return nullptr;
}

File parse_file(std::string source, std::string filename, const ParseLimits& limits) {
  check_size(source, filename, limits);
  File file;
  file.filename = filename;
  file.source = std::move(source);
  parsing::Parser parser(file.source, std::move(filename), LexMode::Normal, limits);
  file.body = parser.file_body();
  return file;
}

ExprPtr parse_expression(std::string_view source, std::string_view filename,
                         const ParseLimits& limits) {
  check_size(source, filename, limits);
  parsing::Parser parser(source, std::string(filename), LexMode::Normal, limits);
  parsing::NewlineMode ignore_newlines(parser, false);
  ExprPtr expr = parser.expression();
  parser.expect_end_of_expression();
  return expr;
}

ExprPtr parse_template(std::string_view source, std::string_view filename,
                       const ParseLimits& limits) {
  check_size(source, filename, limits);
  parsing::Parser parser(source, std::string(filename), LexMode::Template, limits);
  return parser.whole_template();
}

}  // namespace hcl
