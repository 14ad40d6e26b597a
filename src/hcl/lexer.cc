#include "hcl/lexer.h"

#include <utility>

#include "hcl/unicode.h"

namespace hcl {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A character for a message: itself in backticks when printable, else its code point.
std::string describe_char(char32_t c) {
  if (c < 0x20 || c == 0x7F || is_unicode_space(c)) {
    static const char* kHex = "0123456789ABCDEF";
    std::string out = "U+";
    for (int shift = c > 0xFFFF ? 20 : 12; shift >= 0; shift -= 4) out += kHex[(c >> shift) & 0xF];
    return out;
  }
  std::string out = "`";
  append_utf8(out, c);
  return out + "`";
}

constexpr std::size_t kMaxDescribedBytes = 40;

std::string quote_excerpt(std::string_view text) {
  if (text.size() <= kMaxDescribedBytes) return "`" + std::string(text) + "`";
  std::size_t cut = kMaxDescribedBytes;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  return "`" + std::string(text.substr(0, cut)) + "...`";
}

}  // namespace

std::string describe(const Token& token, std::string_view source) {
  switch (token.kind) {
    case TokenKind::EndOfFile:
      return "the end of the file";
    case TokenKind::Newline:
      return "a line break";
    case TokenKind::OpenQuote:
      return "a quoted string";
    case TokenKind::OpenHeredoc:
      return "a heredoc";
    case TokenKind::TemplateLiteral:
      return "literal text";
    case TokenKind::Identifier:
    case TokenKind::Number:
      return quote_excerpt(token.text);
    default:
      break;
  }
  if (token.end.byte <= token.start.byte || token.end.byte > source.size()) return "a token";
  return quote_excerpt(source.substr(token.start.byte, token.end.byte - token.start.byte));
}

Lexer::Lexer(std::string_view source, std::string filename, LexMode mode)
    : source_(source), filename_(std::move(filename)) {
  Frame root;
  root.kind = mode == LexMode::Normal ? Frame::Kind::Normal : Frame::Kind::Bare;
  frames_.push_back(root);

  // HCL ignores a UTF-8 byte order mark (positions still count its bytes).
  if (looking_at("\xEF\xBB\xBF")) {
    advance(3);
    pos_.column = 1;
  }
  if (const std::size_t bad = first_invalid_utf8(source_); bad != std::string_view::npos) {
    // Find the position of the bad byte: the text before it is valid.
    Pos at = pos_;
    for (std::size_t i = offset_; i < bad; ++i) {
      const char byte = source_[i];
      if (byte == '\n') {
        ++at.line;
        at.column = 1;
      } else if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) {
        ++at.column;
      }
    }
    at.byte = bad;
    Pos after = at;
    ++after.column;
    ++after.byte;
    fail("Invalid character encoding",
         "All input files must be UTF-8 encoded; this byte does not begin a valid UTF-8 "
         "sequence. Ensure that UTF-8 encoding is selected in your editor.",
         at, after);
  }
}

char Lexer::peek_byte(std::size_t ahead) const {
  return offset_ + ahead < source_.size() ? source_[offset_ + ahead] : '\0';
}

std::size_t Lexer::plain_run_length(std::string_view special) const {
  bool is_special[256] = {};
  for (const char c : special) is_special[static_cast<unsigned char>(c)] = true;
  std::size_t end = offset_;
  while (end < source_.size() && !is_special[static_cast<unsigned char>(source_[end])]) ++end;
  return end - offset_;
}

bool Lexer::looking_at(std::string_view text) const {
  return source_.substr(offset_, text.size()) == text;
}

void Lexer::advance(std::size_t bytes) {
  for (std::size_t i = 0; i < bytes && offset_ < source_.size(); ++i) {
    const char byte = source_[offset_++];
    ++pos_.byte;
    if (byte == '\n') {
      ++pos_.line;
      pos_.column = 1;
    } else if ((static_cast<unsigned char>(byte) & 0xC0) != 0x80) {
      ++pos_.column;
    }
  }
}

Token Lexer::make(TokenKind kind, Pos start) const {
  Token token;
  token.kind = kind;
  token.start = start;
  token.end = pos_;
  return token;
}

Range Lexer::range(Pos start, Pos end) const {
  return Range{filename_, start, end};
}

void Lexer::fail(std::string summary, std::string detail, Pos start, Pos end) const {
  throw_error(std::move(summary), std::move(detail), range(start, end));
}

void Lexer::fail_unterminated(const Frame& frame) const {
  Pos end = frame.start;
  ++end.column;
  ++end.byte;
  if (frame.kind == Frame::Kind::Heredoc) {
    fail("Unterminated template string",
         "There is no closing marker `" + frame.marker +
             "` for this heredoc before the end of "
             "the file: the marker must stand on a line of its own.",
         frame.start, end);
  }
  const std::string where = at_end() ? "the end of the file" : "the end of its line";
  fail("Unterminated template string",
       "There is no closing quote mark `\"` for this string before " + where +
           ". A quoted string stays on one line: write a line break as \\n, or use a heredoc "
           "(<<EOT) for text of several lines.",
       frame.start, end);
}

void Lexer::fail_unsupported_operator(std::size_t length, std::string detail) const {
  Pos end = pos_;
  end.column += static_cast<int>(length);
  end.byte += length;
  fail("Unsupported operator", std::move(detail), pos_, end);
}

void Lexer::fail_invalid_character() const {
  const DecodedChar decoded = decode_utf8(source_, offset_);
  Pos end = pos_;
  ++end.column;
  end.byte += decoded.length;
  std::string detail;
  switch (decoded.code_point) {
    case '`':
      detail =
          "The \"`\" character is not valid. To create a multi-line string, use the "
          "\"heredoc\" syntax, like \"<<EOT\".";
      break;
    case '\'':
      detail = "Single quotes are not valid. Use double quotes (\") to enclose strings.";
      break;
    case ';':
      detail =
          "The \";\" character is not valid. Use newlines to separate arguments and "
          "blocks, and commas to separate items in collection values.";
      break;
    case 0x201C:
    case 0x201D:
      detail =
          "\"Curly quotes\" are not valid here. These can sometimes be inadvertently "
          "introduced when sharing code via documents or discussion forums. It might help "
          "to replace the character with a \"straight quote\".";
      break;
    default:
      detail = "The character " + describe_char(decoded.code_point) +
               " is not used within the language.";
  }
  fail("Invalid character", detail, pos_, end);
}

Token Lexer::next() {
  Frame& frame = frames_.back();
  switch (frame.kind) {
    case Frame::Kind::Normal:
      return next_normal(frame);
    case Frame::Kind::Quoted:
      return next_quoted(frame);
    case Frame::Kind::Heredoc:
      return next_heredoc(frame);
    case Frame::Kind::Bare:
      break;
  }
  return next_bare();
}

void Lexer::skip_space_and_comments() {
  while (!at_end()) {
    const char c = peek_byte();
    if (c == ' ' || c == '\t') {
      advance(1);
    } else if (c == '#' || looking_at("//")) {
      // The line break stays: it ends the line as a Newline token.
      const std::size_t end = source_.find('\n', offset_);
      advance((end == std::string_view::npos ? source_.size() : end) - offset_);
    } else if (looking_at("/*")) {
      const std::size_t close = source_.find("*/", offset_ + 2);
      if (close == std::string_view::npos) {
        Pos end = pos_;
        end.column += 2;
        end.byte += 2;
        fail("Unterminated comment",
             "There is no `*/` closing this comment before the end of the file.", pos_, end);
      }
      advance(close + 2 - offset_);
    } else {
      return;
    }
  }
}

Token Lexer::next_normal(Frame& frame) {
  skip_space_and_comments();
  const Pos start = pos_;
  if (at_end()) return make(TokenKind::EndOfFile, start);

  const char c = peek_byte();
  if (c == '\n' || (c == '\r' && peek_byte(1) == '\n')) {
    advance(c == '\n' ? 1 : 2);
    return make(TokenKind::Newline, start);
  }
  if (is_digit(c)) return number();
  if (is_identifier_start(decode_utf8(source_, offset_).code_point)) return identifier();

  // One- to three-character operators: the longest match wins.
  auto take = [&](std::size_t length, TokenKind kind) {
    advance(length);
    return make(kind, start);
  };
  switch (c) {
    case '"': {
      advance(1);
      Frame quoted;
      quoted.kind = Frame::Kind::Quoted;
      quoted.start = start;
      frames_.push_back(quoted);
      return make(TokenKind::OpenQuote, start);
    }
    case '<': {
      Token heredoc;
      if (try_heredoc_introducer(heredoc)) return heredoc;
      return peek_byte(1) == '=' ? take(2, TokenKind::LessOrEqual) : take(1, TokenKind::Less);
    }
    case '{':
      ++frame.open_braces;
      return take(1, TokenKind::OpenBrace);
    case '}':
      if (frame.interpolation && frame.open_braces == 0) {
        advance(1);
        frames_.pop_back();
        return make(TokenKind::TemplateSeqEnd, start);
      }
      if (frame.open_braces > 0) --frame.open_braces;
      return take(1, TokenKind::CloseBrace);
    case '~':
      if (peek_byte(1) != '}') fail_invalid_character();
      if (!frame.interpolation || frame.open_braces != 0) {
        Pos end = start;
        end.column += 2;
        end.byte += 2;
        fail("Invalid character",
             "A strip marker `~}` closes a template interpolation (`${ ... ~}`) or directive "
             "(`%{ ... ~}`), and none is open here.",
             start, end);
      }
      advance(2);
      frames_.pop_back();
      {
        Token token = make(TokenKind::TemplateSeqEnd, start);
        token.strip = true;
        return token;
      }
    case '[':
      return take(1, TokenKind::OpenBracket);
    case ']':
      return take(1, TokenKind::CloseBracket);
    case '(':
      return take(1, TokenKind::OpenParen);
    case ')':
      return take(1, TokenKind::CloseParen);
    case ',':
      return take(1, TokenKind::Comma);
    case '.':
      return looking_at("...") ? take(3, TokenKind::Ellipsis) : take(1, TokenKind::Dot);
    case '*':
      if (peek_byte(1) == '*') {
        fail_unsupported_operator(
            2,
            "\"**\" is not a supported operator. Exponentiation is not supported as an "
            "operator.");
      }
      return take(1, TokenKind::Star);
    case '/':
      return take(1, TokenKind::Slash);
    case '%':
      return take(1, TokenKind::Percent);
    case '+':
      return take(1, TokenKind::Plus);
    case '-':
      return take(1, TokenKind::Minus);
    case '=':
      if (peek_byte(1) == '=') return take(2, TokenKind::Equal);
      if (peek_byte(1) == '>') return take(2, TokenKind::FatArrow);
      return take(1, TokenKind::Assign);
    case '>':
      return peek_byte(1) == '=' ? take(2, TokenKind::GreaterOrEqual) : take(1, TokenKind::Greater);
    case '!':
      return peek_byte(1) == '=' ? take(2, TokenKind::NotEqual) : take(1, TokenKind::Bang);
    case '?':
      return take(1, TokenKind::Question);
    case ':':
      return take(1, TokenKind::Colon);
    case '&':
      if (peek_byte(1) == '&') return take(2, TokenKind::And);
      fail_unsupported_operator(
          1, "Bitwise operators are not supported. Did you mean boolean AND (\"&&\")?");
    case '|':
      if (peek_byte(1) == '|') return take(2, TokenKind::Or);
      fail_unsupported_operator(
          1, "Bitwise operators are not supported. Did you mean boolean OR (\"||\")?");
    case '^':
      fail_unsupported_operator(1, "Bitwise operators are not supported.");
    default:
      fail_invalid_character();
  }
}

Token Lexer::number() {
  // NumericLit = decimal+ ("." decimal+)? (expmark decimal+)?. Like HCL's scanner this takes
  // any run of such pieces (`1.2.3`), and the parser refuses what is not one number.
  const Pos start = pos_;
  std::size_t end = offset_;
  auto digit_at = [&](std::size_t at) { return at < source_.size() && is_digit(source_[at]); };
  while (true) {
    if (digit_at(end)) {
      ++end;
    } else if (end < source_.size() && source_[end] == '.' && digit_at(end + 1)) {
      end += 2;
    } else if (end < source_.size() && (source_[end] == 'e' || source_[end] == 'E')) {
      const bool signed_exponent =
          end + 1 < source_.size() && (source_[end + 1] == '+' || source_[end + 1] == '-');
      const std::size_t digit = end + (signed_exponent ? 2 : 1);
      if (!digit_at(digit)) break;
      end = digit + 1;
    } else {
      break;
    }
  }
  Token token;
  token.text = std::string(source_.substr(offset_, end - offset_));
  advance(end - offset_);
  token.kind = TokenKind::Number;
  token.start = start;
  token.end = pos_;
  return token;
}

Token Lexer::identifier() {
  const Pos start = pos_;
  std::size_t end = offset_ + decode_utf8(source_, offset_).length;
  while (end < source_.size()) {
    const DecodedChar decoded = decode_utf8(source_, end);
    if (!is_identifier_continue(decoded.code_point)) break;
    end += decoded.length;
  }
  Token token;
  token.text = std::string(source_.substr(offset_, end - offset_));
  advance(end - offset_);
  token.kind = TokenKind::Identifier;
  token.start = start;
  token.end = pos_;
  return token;
}

bool Lexer::try_heredoc_introducer(Token& token) {
  if (!looking_at("<<")) return false;
  std::size_t at = offset_ + 2;
  const bool flush = at < source_.size() && source_[at] == '-';
  if (flush) ++at;
  if (at >= source_.size() || !is_identifier_start(decode_utf8(source_, at).code_point)) {
    return false;
  }
  const std::size_t marker_start = at;
  while (at < source_.size() && is_identifier_continue(decode_utf8(source_, at).code_point)) {
    at += decode_utf8(source_, at).length;
  }
  const std::string marker(source_.substr(marker_start, at - marker_start));
  const Pos start = pos_;
  advance(at - offset_);
  std::size_t line_break = 0;
  if (peek_byte() == '\n') line_break = 1;
  if (peek_byte() == '\r' && peek_byte(1) == '\n') line_break = 2;
  if (line_break == 0) {
    fail("Invalid heredoc",
         "A heredoc's introducer `<<" + std::string(flush ? "-" : "") + marker +
             "` must end its line (the text starts on the next line), but it is followed by " +
             (at_end() ? std::string("the end of the file")
                       : describe_char(decode_utf8(source_, offset_).code_point)) +
             ".",
         start, pos_);
  }
  token = make(TokenKind::OpenHeredoc, start);
  token.text = marker;
  token.flush = flush;
  advance(line_break);

  Frame heredoc;
  heredoc.kind = Frame::Kind::Heredoc;
  heredoc.start = start;
  heredoc.marker = marker;
  frames_.push_back(heredoc);
  return true;
}

Token Lexer::open_template_sequence(bool control) {
  const Pos start = pos_;
  advance(2);
  const bool strip = peek_byte() == '~';
  if (strip) advance(1);
  if (frames_.back().kind == Frame::Kind::Heredoc) frames_.back().at_line_start = false;
  Frame sequence;
  sequence.kind = Frame::Kind::Normal;
  sequence.interpolation = true;
  frames_.push_back(sequence);
  Token token = make(control ? TokenKind::TemplateControl : TokenKind::TemplateInterp, start);
  token.strip = strip;
  return token;
}

Token Lexer::next_quoted(Frame& frame) {
  const Pos start = pos_;
  if (at_end() || peek_byte() == '\n' || peek_byte() == '\r') fail_unterminated(frame);
  if (peek_byte() == '"') {
    advance(1);
    frames_.pop_back();
    return make(TokenKind::CloseQuote, start);
  }
  if (looking_at("${")) return open_template_sequence(false);
  if (looking_at("%{")) return open_template_sequence(true);

  std::string text;
  while (!at_end()) {
    // Plain text in one piece (the common case, and a 10 MB string stays fast).
    const std::size_t plain = plain_run_length("\"\\\n\r$%");
    if (plain > 0) {
      text.append(source_.substr(offset_, plain));
      advance(plain);
      continue;
    }
    const char c = peek_byte();
    if (c == '"' || c == '\n' || c == '\r' || looking_at("${") || looking_at("%{")) break;
    if (looking_at("$${") || looking_at("%%{")) {
      text += c;
      text += '{';
      advance(3);
      continue;
    }
    if (c != '\\') {
      const std::size_t length = decode_utf8(source_, offset_).length;
      text.append(source_.substr(offset_, length));
      advance(length);
      continue;
    }

    // A backslash escape.
    const Pos escape_start = pos_;
    advance(1);
    const char selector = peek_byte();
    if (at_end() || selector == '\n' || selector == '\r') {
      fail("Invalid escape sequence",
           "Backslash must be followed by an escape sequence selector character (n, r, t, \", "
           "\\, u or U).",
           escape_start, pos_);
    }
    switch (selector) {
      case 'n':
        text += '\n';
        break;
      case 'r':
        text += '\r';
        break;
      case 't':
        text += '\t';
        break;
      case '"':
        text += '"';
        break;
      case '\\':
        text += '\\';
        break;
      case 'u':
      case 'U': {
        const int digits = selector == 'u' ? 4 : 8;
        advance(1);
        char32_t code_point = 0;
        for (int i = 0; i < digits; ++i) {
          const int value = hex_value(peek_byte());
          if (at_end() || value < 0) {
            fail("Invalid escape sequence",
                 selector == 'u'
                     ? "The \\u escape sequence must be followed by four hexadecimal digits."
                     : "The \\U escape sequence must be followed by eight hexadecimal digits.",
                 escape_start, pos_);
          }
          code_point = code_point * 16 + static_cast<char32_t>(value);
          advance(1);
        }
        if (code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) {
          std::string hex(source_.substr(escape_start.byte + 2, static_cast<std::size_t>(digits)));
          fail("Invalid escape sequence",
               "Cannot encode character U+" + hex + " in UTF-8 (it is not a Unicode scalar value).",
               escape_start, pos_);
        }
        append_utf8(text, code_point);
        continue;
      }
      default: {
        const DecodedChar decoded = decode_utf8(source_, offset_);
        advance(decoded.length);
        fail("Invalid escape sequence",
             "The symbol " + describe_char(decoded.code_point) +
                 " is not a valid escape sequence selector; the escapes are \\n, \\r, \\t, \\\", "
                 "\\\\, \\uNNNN and \\UNNNNNNNN.",
             escape_start, pos_);
      }
    }
    advance(1);
  }
  Token token = make(TokenKind::TemplateLiteral, start);
  token.text = std::move(text);
  return token;
}

// Literal text of a heredoc or a whole template, up to the next `${` / `%{` or through the end
// of the line. No backslash escapes: only `$${` and `%%{` stand for `${` and `%{`.
Token Lexer::literal_until_line_end(bool stop_after_newline) {
  const Pos start = pos_;
  std::string text;
  while (!at_end()) {
    const std::size_t plain = plain_run_length("\n$%");
    if (plain > 0) {
      text.append(source_.substr(offset_, plain));
      advance(plain);
      continue;
    }
    if (looking_at("$${") || looking_at("%%{")) {
      text += peek_byte();
      text += '{';
      advance(3);
      continue;
    }
    if (looking_at("${") || looking_at("%{")) break;
    const char c = peek_byte();
    const std::size_t length = decode_utf8(source_, offset_).length;
    text.append(source_.substr(offset_, length));
    advance(length);
    if (c == '\n' && stop_after_newline) break;
  }
  Token token = make(TokenKind::TemplateLiteral, start);
  token.text = std::move(text);
  return token;
}

Token Lexer::next_heredoc(Frame& frame) {
  const Pos start = pos_;
  if (frame.at_line_start) {
    std::size_t line_end = source_.find('\n', offset_);
    if (line_end == std::string_view::npos) line_end = source_.size();
    const std::string_view line = source_.substr(offset_, line_end - offset_);
    if (trim_space_right(trim_space_left(line)) == frame.marker) {
      // The marker's line break is left for the enclosing body: it ends the attribute.
      std::size_t length = line.size();
      if (length > 0 && line[length - 1] == '\r') --length;
      advance(length);
      Token token = make(TokenKind::CloseHeredoc, start);
      advance(line.size() - length);
      frames_.pop_back();
      return token;
    }
  }
  if (at_end()) fail_unterminated(frame);
  if (looking_at("${")) return open_template_sequence(false);
  if (looking_at("%{")) return open_template_sequence(true);
  Token token = literal_until_line_end(true);
  frame.at_line_start = !token.text.empty() && token.text.back() == '\n';
  return token;
}

Token Lexer::next_bare() {
  const Pos start = pos_;
  if (at_end()) return make(TokenKind::EndOfFile, start);
  if (looking_at("${")) return open_template_sequence(false);
  if (looking_at("%{")) return open_template_sequence(true);
  return literal_until_line_end(true);
}

std::vector<Token> tokenize(std::string_view source, std::string_view filename, LexMode mode) {
  Lexer lexer(source, std::string(filename), mode);
  std::vector<Token> tokens;
  do {
    tokens.push_back(lexer.next());
  } while (tokens.back().kind != TokenKind::EndOfFile);
  return tokens;
}

}  // namespace hcl
