// The parser's machinery, shared by its three files: parser.cc (bodies, blocks, attributes
// and the public entry points), parse_expression.cc (the expression language) and
// parse_template.cc (quoted strings, heredocs and template files).
//
// It is a recursive-descent parser over the lexer's tokens, after the grammar of
// hclsyntax/spec.md, stopping at the first error (a DiagnosticError naming what it found and
// what it expected). Two pieces of state run through it:
//   - whether line breaks matter: they end attributes and separate object items, but are
//     ignored inside (), [] and the braces of for expressions and template sequences. A stack
//     of that setting decides whether peek() shows or skips Newline tokens;
//   - the nesting depth: every nested bracket, block, template, operator chain or splat
//     counts, and past ParseLimits::max_nesting the parse fails instead of the stack
//     overflowing (the syntax tree's depth is bounded by the same count, so evaluating or
//     destroying it cannot overflow either).
#pragma once

#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "hcl/ast.h"
#include "hcl/lexer.h"
#include "hcl/parser.h"

namespace hcl::parsing {

// One piece of a template before its directives are paired up: literal text (strip markers
// and `<<-` already applied), an interpolation, or a directive.
struct TemplatePart {
  enum class Kind { Literal, Interpolation, If, Else, EndIf, For, EndFor } kind = Kind::Literal;
  std::string text;  // Literal
  ExprPtr expr;      // Interpolation: the expression; If: the condition; For: the collection
  std::string key_var;
  std::string value_var;
  Range range;
  bool strip_after = false;               // Interpolation, directives: closed by `~}`
  std::size_t last_token_offset = 0;      // Literal: where its last line's text starts
  std::vector<std::size_t> token_starts;  // Literal of `<<-`: where its later lines start
};

class Parser {
 public:
  Parser(std::string_view source, std::string filename, LexMode mode, const ParseLimits& limits);

  // parser.cc
  Body file_body();
  void expect_end_of_expression();

  // parse_expression.cc
  ExprPtr expression();

  // parse_template.cc
  ExprPtr whole_template();

 private:
  friend class Nesting;
  friend class NewlineMode;

  // --- tokens (parser.cc)
  const Token& peek();
  Token read();
  Range range(Pos start, Pos end) const { return Range{filename_, start, end}; }
  Range range_of(const Token& token) const { return range(token.start, token.end); }
  std::string found(const Token& token) const { return describe(token, source_); }
  [[noreturn]] void fail(std::string summary, std::string detail, const Range& where) const;
  [[noreturn]] void fail_at(std::string summary, std::string detail, const Token& token) const;
  std::string position(const Pos& pos) const;  // "3:14", for "started at" details

  // --- structure (parser.cc)
  Body body_until_close_brace(const Token& open_brace);
  void body_item(Body& body);
  Attribute attribute(const Token& name, bool single_line);
  Block block(const Token& type);
  std::unique_ptr<Body> single_attribute_body(const Token& open_brace);
  void add_attribute(Body& body, Attribute attribute);
  std::string quoted_label(Range& label_range);

  // --- expressions (parse_expression.cc)
  ExprPtr binary_operation(int min_level);
  ExprPtr unary_operation();
  ExprPtr term_with_traversals();
  ExprPtr term();
  ExprPtr traversals(ExprPtr from);
  ExprPtr attribute_only_splat(ExprPtr source, const Token& dot, const Token& star);
  ExprPtr parentheses(const Token& open);
  ExprPtr function_call(const Token& name);
  ExprPtr tuple(const Token& open);
  ExprPtr object(const Token& open);
  ExprPtr for_expression(const Token& open);
  ExprPtr number(const Token& token);
  void finish_traversal(Expr& expr) const;

  // --- templates (parse_template.cc)
  ExprPtr template_expression(const Token& open);
  // `keep_lines`: note where each literal line starts (`<<-` needs them to find the indent).
  std::vector<TemplatePart> template_parts(TokenKind end, bool quoted, bool keep_lines,
                                           Token& close);
  TemplatePart interpolation(const Token& open, bool quoted);
  TemplatePart directive(const Token& open);
  std::vector<ExprPtr> template_sequence(std::vector<TemplatePart>& parts, std::size_t& at);
  ExprPtr template_if(std::vector<TemplatePart>& parts, std::size_t& at);
  ExprPtr template_for(std::vector<TemplatePart>& parts, std::size_t& at);
  ExprPtr build_template(std::vector<TemplatePart>& parts, const Range& range, bool heredoc);

  std::string_view source_;
  std::string filename_;
  Lexer lexer_;
  ParseLimits limits_;
  std::deque<Token> lookahead_;
  Pos previous_end_;  // where the last token read ended
  std::vector<bool> newlines_matter_{true};
  int depth_ = 0;
};

// RAII: one more level of nesting while alive (more with add()); throws past the limit.
class Nesting {
 public:
  Nesting(Parser& parser, const Token& at);
  ~Nesting();
  Nesting(const Nesting&) = delete;
  Nesting& operator=(const Nesting&) = delete;
  void add(const Token& at);

 private:
  Parser& parser_;
  int levels_ = 0;
};

// RAII: whether line breaks matter while alive.
class NewlineMode {
 public:
  NewlineMode(Parser& parser, bool matter);
  ~NewlineMode();
  NewlineMode(const NewlineMode&) = delete;
  NewlineMode& operator=(const NewlineMode&) = delete;

 private:
  Parser& parser_;
};

}  // namespace hcl::parsing
