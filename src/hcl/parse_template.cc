// The template language: quoted strings, heredocs and whole template files.
//
// A template is parsed in two passes. The first reads the tokens into a flat list of parts
// (literal text, interpolations, directives) and applies what works on literal text: strip
// markers (`${~`, `~}`) trim the white space of the neighbouring literal token, and a `<<-`
// heredoc loses the indent its lines share. The lexer gives heredocs one literal token per
// line, and both rules work on those lines, as in HashiCorp's implementation; consecutive
// lines still share one part, which remembers where its lines start. The second pass pairs
// `%{if}` / `%{else}` / `%{endif}` and `%{for}` / `%{endfor}` into a tree.
#include <algorithm>
#include <climits>
#include <optional>
#include <utility>

#include "hcl/did_you_mean.h"
#include "hcl/parser_internal.h"
#include "hcl/unicode.h"

namespace hcl::parsing {

namespace {

using PartKind = TemplatePart::Kind;

const char* directive_name(PartKind kind) {
  switch (kind) {
    case PartKind::If:
      return "if";
    case PartKind::Else:
      return "else";
    case PartKind::EndIf:
      return "endif";
    case PartKind::For:
      return "for";
    case PartKind::EndFor:
      return "endfor";
    default:
      return "template";
  }
}

// `<<-`: the fewest leading white space characters of any line (blank lines aside) go from
// every line. A line that starts with an interpolation or a directive has no indent. This
// works on the lines as the lexer gave them (a literal part holds several, split at
// token_starts) and after the strip markers, as HashiCorp's implementation does.
void flush_heredoc(std::vector<TemplatePart>& parts) {
  struct LineStart {
    TemplatePart* part;
    std::size_t offset;
  };
  std::vector<LineStart> line_starts;
  std::size_t fewest = SIZE_MAX;
  bool line_start = true;
  for (TemplatePart& part : parts) {
    if (part.kind != PartKind::Literal) {
      if (line_start) fewest = 0;
      line_start = false;
      continue;
    }
    const std::string_view text = part.text;
    for (std::size_t i = 0; i <= part.token_starts.size(); ++i) {
      const std::size_t begin = i == 0 ? 0 : part.token_starts[i - 1];
      const std::size_t end = i < part.token_starts.size() ? part.token_starts[i] : text.size();
      const std::string_view line = text.substr(begin, end - begin);
      const bool ends_line = !line.empty() && line.back() == '\n';
      if (line_start) {
        const std::string_view rest = trim_space_left(line);
        if (!(rest.empty() && ends_line)) {  // a blank line does not count
          fewest = std::min(fewest, count_code_points(line.substr(0, line.size() - rest.size())));
          line_starts.push_back({&part, begin});
        }
      }
      line_start = ends_line;
    }
  }

  // Rebuild each part's text without the indent of its line starts (in order).
  std::size_t next = 0;
  while (next < line_starts.size()) {
    TemplatePart& part = *line_starts[next].part;
    std::string flushed;
    std::size_t copied = 0;
    for (; next < line_starts.size() && line_starts[next].part == &part; ++next) {
      const std::size_t at = line_starts[next].offset;
      flushed.append(part.text, copied, at - copied);
      std::size_t skip = at;
      for (std::size_t removed = 0; removed < fewest && skip < part.text.size(); ++removed) {
        skip += decode_utf8(part.text, skip).length;
      }
      if (at == 0) {
        part.range.start.column += static_cast<int>(fewest);
        part.range.start.byte += skip;
      }
      copied = skip;
    }
    flushed.append(part.text, copied, std::string::npos);
    part.text = std::move(flushed);
  }
}

ExprPtr make_template(std::vector<ExprPtr> parts, Range range) {
  if (parts.empty()) {
    Range empty{range.filename, range.start, range.start};
    parts.push_back(std::make_unique<LiteralExpr>(Value::string(""), std::move(empty)));
  }
  auto result = std::make_unique<TemplateExpr>(std::move(range));
  result->parts = std::move(parts);
  return result;
}

}  // namespace

ExprPtr Parser::template_expression(const Token& open) {
  const bool heredoc = open.kind == TokenKind::OpenHeredoc;
  Nesting nesting(*this, open);
  Token close;
  std::vector<TemplatePart> parts = template_parts(
      heredoc ? TokenKind::CloseHeredoc : TokenKind::CloseQuote, !heredoc, open.flush, close);
  if (open.flush) flush_heredoc(parts);
  return build_template(parts, range(open.start, close.end), heredoc);
}

ExprPtr Parser::whole_template() {
  Token end;
  std::vector<TemplatePart> parts = template_parts(TokenKind::EndOfFile, false, false, end);
  return build_template(parts, range(Pos{}, end.end), false);
}

ExprPtr Parser::build_template(std::vector<TemplatePart>& parts, const Range& range, bool heredoc) {
  // `"${x}"` alone is x itself, not x converted to a string.
  if (parts.size() == 1 && parts[0].kind == PartKind::Interpolation) {
    return std::make_unique<TemplateWrapExpr>(std::move(parts[0].expr), range);
  }
  std::size_t at = 0;
  std::vector<ExprPtr> sequence = template_sequence(parts, at);
  if (at < parts.size()) {
    const TemplatePart& stray = parts[at];
    fail("Unexpected " + std::string(directive_name(stray.kind)) + " directive",
         std::string("The control directives within this template are unbalanced: there is no "
                     "open %{if} or %{for} for this %{") +
             directive_name(stray.kind) + "} to belong to.",
         stray.range);
  }
  ExprPtr result = make_template(std::move(sequence), range);
  static_cast<TemplateExpr&>(*result).heredoc = heredoc;
  return result;
}

// --- first pass: tokens to parts

std::vector<TemplatePart> Parser::template_parts(TokenKind end, bool quoted, bool keep_lines,
                                                 Token& close) {
  std::vector<TemplatePart> parts;
  bool trim_next_left = false;  // the previous sequence ended with `~}`
  bool previous_is_literal = false;
  while (true) {
    Token token = read();
    if (token.kind == end) {
      close = std::move(token);
      break;
    }
    const bool trim_left = trim_next_left;
    trim_next_left = false;
    const bool after_literal = previous_is_literal;
    previous_is_literal = false;

    switch (token.kind) {
      case TokenKind::TemplateLiteral: {
        previous_is_literal = true;
        if (after_literal) {
          // One part for consecutive lines (a large heredoc stays one string), remembering
          // where the last line starts (a strip marker after it trims that line only) and,
          // for `<<-`, where every line starts.
          TemplatePart& previous = parts.back();
          if (keep_lines) previous.token_starts.push_back(previous.text.size());
          previous.last_token_offset = previous.text.size();
          previous.text += token.text;
          previous.range.end = token.end;
          continue;
        }
        TemplatePart part;
        part.kind = PartKind::Literal;
        part.range = range_of(token);
        part.text = trim_left ? std::string(trim_space_left(token.text)) : std::move(token.text);
        parts.push_back(std::move(part));
        continue;
      }
      case TokenKind::TemplateInterp:
      case TokenKind::TemplateControl: {
        if (token.strip && after_literal) {
          std::string& text = parts.back().text;
          const std::size_t from = parts.back().last_token_offset;
          text.resize(from + trim_space_right(std::string_view(text).substr(from)).size());
        }
        parts.push_back(token.kind == TokenKind::TemplateInterp ? interpolation(token, quoted)
                                                                : directive(token));
        trim_next_left = parts.back().strip_after;
        continue;
      }
      default:
        fail_at("Unterminated template string",
                "No closing marker was found for the string; found " + found(token) + ".", token);
    }
  }
  if (parts.empty()) {
    TemplatePart empty;
    empty.kind = PartKind::Literal;
    empty.range = range(close.start, close.start);
    parts.push_back(std::move(empty));
  }
  return parts;
}

TemplatePart Parser::interpolation(const Token& open, bool quoted) {
  NewlineMode ignore_newlines(*this, false);
  TemplatePart part;
  part.kind = PartKind::Interpolation;
  if (peek().kind != TokenKind::EndOfFile) part.expr = expression();
  const Token& close = peek();
  if (close.kind != TokenKind::TemplateSeqEnd) {
    // A quoted string stays on one line, so what follows on another line means the `}` is
    // missing (`"${x` and the next attribute).
    const bool next_line = quoted && close.start.line != open.start.line;
    if (close.kind == TokenKind::EndOfFile || next_line ||
        (quoted && (close.kind == TokenKind::OpenQuote || close.kind == TokenKind::CloseQuote))) {
      fail_at("Unclosed template interpolation sequence",
              "There is no closing brace for this interpolation sequence before the end of the " +
                  std::string(quoted ? "quoted template" : "file") +
                  ". This might be caused by incorrect nesting inside the given expression.",
              open);
    }
    if (close.kind == TokenKind::Colon) {
      fail_at("Extra characters after interpolation expression",
              "Template interpolation doesn't expect a colon at this location. Did you intend "
              "this to be a literal sequence to be processed as part of another language? If "
              "so, you can escape it by starting with \"$${\" instead of just \"${\".",
              close);
    }
    fail_at("Extra characters after interpolation expression",
            "Expected a closing brace to end the interpolation expression, but found " +
                found(close) +
                ". This can happen when you include interpolation syntax for another language, "
                "such as shell scripting, but forget to escape the interpolation start token. "
                "If this is an embedded sequence for another language, escape it by starting "
                "with \"$${\" instead of just \"${\".",
            close);
  }
  const Token end = read();
  part.strip_after = end.strip;
  part.range = range(open.start, end.end);
  return part;
}

TemplatePart Parser::directive(const Token& open) {
  NewlineMode ignore_newlines(*this, false);
  TemplatePart part;
  if (peek().kind == TokenKind::EndOfFile) {
    fail_at("Unclosed template directive",
            "There is no closing brace for this directive before the end of the file.", open);
  }
  const Token keyword = read();
  if (keyword.kind != TokenKind::Identifier) {
    fail_at("Invalid template directive",
            "A template directive keyword (\"if\", \"for\", etc) is expected at the beginning of "
            "a %{ sequence, but found " +
                found(keyword) + ".",
            keyword);
  }
  auto invalid_for = [this](const std::string& detail) {
    fail_at("Invalid 'for' directive", detail + " Found " + found(peek()) + ".", peek());
  };
  if (keyword.text == "if") {
    part.kind = PartKind::If;
    part.expr = expression();
  } else if (keyword.text == "else") {
    part.kind = PartKind::Else;
  } else if (keyword.text == "endif") {
    part.kind = PartKind::EndIf;
  } else if (keyword.text == "endfor") {
    part.kind = PartKind::EndFor;
  } else if (keyword.text == "for") {
    part.kind = PartKind::For;
    if (peek().kind != TokenKind::Identifier) {
      invalid_for("For directive requires variable name after 'for'.");
    }
    part.value_var = read().text;
    if (peek().kind == TokenKind::Comma) {
      read();
      if (peek().kind != TokenKind::Identifier) {
        invalid_for("For directive requires value variable name after comma.");
      }
      part.key_var = std::move(part.value_var);
      part.value_var = read().text;
    }
    if (peek().kind != TokenKind::Identifier || peek().text != "in") {
      invalid_for("For directive requires 'in' keyword after names.");
    }
    read();
    part.expr = expression();
  } else {
    std::string suggestion;
    for (const char* known : {"if", "for", "else", "endif", "endfor"}) {
      if (edit_distance(keyword.text, known) <= 2) {
        suggestion = std::string(" Did you mean \"") + known + "\"?";
        break;
      }
    }
    fail_at("Invalid template control keyword",
            "\"" + keyword.text + "\" is not a valid template control keyword." + suggestion,
            keyword);
  }

  const Token& close = peek();
  if (close.kind != TokenKind::TemplateSeqEnd) {
    fail_at("Extra characters in " + keyword.text + " marker",
            "Expected a closing brace to end the sequence, but found " + found(close) + ".", close);
  }
  const Token end = read();
  part.strip_after = end.strip;
  part.range = range(open.start, end.end);
  return part;
}

// --- second pass: parts to a tree

// Parts from `at` up to the end or to a directive that closes something (else, endif,
// endfor), which is left at `at` for the caller.
std::vector<ExprPtr> Parser::template_sequence(std::vector<TemplatePart>& parts, std::size_t& at) {
  std::vector<ExprPtr> sequence;
  std::string literal;
  std::optional<Range> literal_range;
  auto flush_literal = [&] {
    if (literal_range && !literal.empty()) {
      sequence.push_back(std::make_unique<LiteralExpr>(Value::string(std::move(literal)),
                                                       std::move(*literal_range)));
    }
    literal.clear();
    literal_range.reset();
  };

  while (at < parts.size()) {
    TemplatePart& part = parts[at];
    switch (part.kind) {
      case PartKind::Literal:
        literal += part.text;
        if (literal_range) {
          literal_range->end = part.range.end;
        } else {
          literal_range = part.range;
        }
        ++at;
        continue;
      case PartKind::Interpolation:
        flush_literal();
        sequence.push_back(std::move(part.expr));
        ++at;
        continue;
      case PartKind::If:
        flush_literal();
        sequence.push_back(template_if(parts, at));
        continue;
      case PartKind::For:
        flush_literal();
        sequence.push_back(template_for(parts, at));
        continue;
      default:
        flush_literal();
        return sequence;
    }
  }
  flush_literal();
  return sequence;
}

ExprPtr Parser::template_if(std::vector<TemplatePart>& parts, std::size_t& at) {
  TemplatePart& opening = parts[at++];
  Token where;
  where.start = opening.range.start;
  where.end = opening.range.end;
  Nesting nesting(*this, where);

  auto result = std::make_unique<TemplateIfExpr>(opening.range);
  result->condition = std::move(opening.expr);
  const std::string started = position(opening.range.start);
  auto missing_endif = [&] {
    fail("Unexpected end of template",
         "The if directive at " + started + " is missing its corresponding endif directive.",
         opening.range);
  };

  std::vector<ExprPtr> true_parts = template_sequence(parts, at);
  result->true_part = make_template(std::move(true_parts), opening.range);
  if (at == parts.size()) missing_endif();
  if (parts[at].kind == PartKind::Else) {
    const Range else_range = parts[at++].range;
    std::vector<ExprPtr> false_parts = template_sequence(parts, at);
    result->false_part = make_template(std::move(false_parts), else_range);
    if (at == parts.size()) missing_endif();
    if (parts[at].kind == PartKind::Else) {
      fail("Unexpected else directive",
           "Already in the else clause for the if started at " + started + ".", parts[at].range);
    }
  }
  if (parts[at].kind != PartKind::EndIf) {
    fail("Unexpected " + std::string(directive_name(parts[at].kind)) + " directive",
         "Expecting an endif directive for the if started at " + started + ".", parts[at].range);
  }
  result->range.end = parts[at++].range.end;
  return result;
}

ExprPtr Parser::template_for(std::vector<TemplatePart>& parts, std::size_t& at) {
  TemplatePart& opening = parts[at++];
  Token where;
  where.start = opening.range.start;
  where.end = opening.range.end;
  Nesting nesting(*this, where);

  auto result = std::make_unique<TemplateForExpr>(opening.range);
  result->key_var = std::move(opening.key_var);
  result->value_var = std::move(opening.value_var);
  result->collection = std::move(opening.expr);
  const std::string started = position(opening.range.start);

  std::vector<ExprPtr> body = template_sequence(parts, at);
  result->body = make_template(std::move(body), opening.range);
  if (at == parts.size()) {
    fail("Unexpected end of template",
         "The for directive at " + started + " is missing its corresponding endfor directive.",
         opening.range);
  }
  if (parts[at].kind == PartKind::Else) {
    fail("Unexpected else directive", "An else clause is not expected for a for directive.",
         parts[at].range);
  }
  if (parts[at].kind != PartKind::EndFor) {
    fail("Unexpected " + std::string(directive_name(parts[at].kind)) + " directive",
         "Expecting an endfor directive corresponding to the for directive at " + started + ".",
         parts[at].range);
  }
  result->range.end = parts[at++].range.end;
  return result;
}

}  // namespace hcl::parsing
