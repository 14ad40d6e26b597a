// The lexer of HCL's native syntax: source text to tokens, on demand.
//
// HCL mixes two lexical languages. In *normal* mode (configuration, expressions) the text is
// identifiers, numbers, operators and line breaks. In *template* mode (inside quotes, inside a
// heredoc, or a whole template file) the text is literal, except for `${` and `%{`, which open
// an interpolation or a directive in normal mode again until their matching `}`. The lexer keeps
// a stack of these modes (a quoted string inside an interpolation inside a heredoc ...), so
// every `}` knows whether it closes an object or a template sequence.
//
// Literal text arrives decoded: quoted strings resolve their backslash escapes, all templates
// turn `$${` and `%%{` into `${` and `%{`. Heredocs and whole templates give one literal token
// per line, because strip markers (`~`) and `<<-` work on those lines.
//
// Comments vanish: a line comment leaves its line break behind as a Newline token, an inline
// comment `/* */` is white space. Errors (an invalid character, an unterminated string) throw
// DiagnosticError when the parser reaches them.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "hcl/diagnostic.h"
#include "hcl/source.h"

namespace hcl {

enum class TokenKind {
  Identifier,  // text: the name
  Number,      // text: the literal as written
  Newline,
  EndOfFile,
  OpenBrace,     // {
  CloseBrace,    // }
  OpenBracket,   // [
  CloseBracket,  // ]
  OpenParen,     // (
  CloseParen,    // )
  Dot,
  Comma,
  Star,
  Slash,
  Percent,
  Plus,
  Minus,
  Assign,  // =
  Less,
  Greater,
  Bang,
  Question,
  Colon,
  Equal,            // ==
  NotEqual,         // !=
  LessOrEqual,      // <=
  GreaterOrEqual,   // >=
  And,              // &&
  Or,               // ||
  Ellipsis,         // ...
  FatArrow,         // =>
  OpenQuote,        // "
  CloseQuote,       // "
  OpenHeredoc,      // <<EOT or <<-EOT and its line break; text: the marker, flush: `<<-`
  CloseHeredoc,     // the marker's line (its line break follows as a Newline token)
  TemplateLiteral,  // text: the decoded literal
  TemplateInterp,   // ${ or ${~ (strip)
  TemplateControl,  // %{ or %{~ (strip)
  TemplateSeqEnd,   // } or ~} (strip) closing an interpolation or a directive
};

struct Token {
  TokenKind kind = TokenKind::EndOfFile;
  Pos start;
  Pos end;
  std::string text;
  bool strip = false;  // ${~ %{~ ~}
  bool flush = false;  // <<-
};

// "`}`", "a line break", "the end of the file", "`name`": how messages name what was found.
std::string describe(const Token& token, std::string_view source);

enum class LexMode { Normal, Template };

class Lexer {
 public:
  // The source must outlive the lexer. Throws DiagnosticError when it is not valid UTF-8.
  Lexer(std::string_view source, std::string filename, LexMode mode);

  // The next token; EndOfFile forever at the end. Throws DiagnosticError.
  Token next();

  const std::string& filename() const { return filename_; }

 private:
  struct Frame {
    enum class Kind { Normal, Quoted, Heredoc, Bare } kind = Kind::Normal;
    bool interpolation = false;  // Normal: opened by ${ or %{, closed by its } or ~}
    int open_braces = 0;         // Normal: object braces open inside this frame
    Pos start;                   // Quoted, Heredoc: the opening, for "unterminated" errors
    std::string marker;          // Heredoc
    bool at_line_start = true;   // Heredoc: nothing but literal text so far on this line
  };

  Token next_normal(Frame& frame);
  Token next_quoted(Frame& frame);
  Token next_heredoc(Frame& frame);
  Token next_bare();
  Token open_template_sequence(bool control);
  Token literal_until_line_end(bool stop_after_newline);
  Token number();
  Token identifier();
  bool try_heredoc_introducer(Token& token);
  void skip_space_and_comments();

  bool at_end() const { return offset_ >= source_.size(); }
  char peek_byte(std::size_t ahead = 0) const;
  bool looking_at(std::string_view text) const;
  // Bytes from here up to the first of `special` (or the end).
  std::size_t plain_run_length(std::string_view special) const;
  void advance(std::size_t bytes);
  Token make(TokenKind kind, Pos start) const;
  Range range(Pos start, Pos end) const;
  [[noreturn]] void fail(std::string summary, std::string detail, Pos start, Pos end) const;
  [[noreturn]] void fail_unterminated(const Frame& frame) const;
  [[noreturn]] void fail_invalid_character() const;
  [[noreturn]] void fail_unsupported_operator(std::size_t length, std::string detail) const;

  std::string_view source_;
  std::string filename_;
  std::size_t offset_ = 0;
  Pos pos_;
  std::vector<Frame> frames_;
};

// Every token up to and including EndOfFile (for tests and tools).
std::vector<Token> tokenize(std::string_view source, std::string_view filename,
                            LexMode mode = LexMode::Normal);

}  // namespace hcl
