// The HCL lexer: tokens, their positions, the template modes, escapes and lexical errors.
#include "hcl/lexer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace hcl {
namespace {

std::vector<TokenKind> kinds(std::string_view source, LexMode mode = LexMode::Normal) {
  std::vector<TokenKind> out;
  for (const Token& token : tokenize(source, "t.hcl", mode)) out.push_back(token.kind);
  return out;
}

Diagnostic lex_error(std::string_view source, LexMode mode = LexMode::Normal) {
  try {
    tokenize(source, "t.hcl", mode);
  } catch (const DiagnosticError& error) {
    return error.diagnostics().front();
  }
  ADD_FAILURE() << "no error for: " << source;
  return {};
}

using K = TokenKind;

TEST(HclLexer, OperatorsTakeTheLongestMatch) {
  EXPECT_EQ(
      kinds("== != <= >= && || ... => = < > ! ? : . , * / % + - ( ) [ ]"),
      (std::vector<K>{K::Equal,    K::NotEqual,  K::LessOrEqual, K::GreaterOrEqual, K::And,
                      K::Or,       K::Ellipsis,  K::FatArrow,    K::Assign,         K::Less,
                      K::Greater,  K::Bang,      K::Question,    K::Colon,          K::Dot,
                      K::Comma,    K::Star,      K::Slash,       K::Percent,        K::Plus,
                      K::Minus,    K::OpenParen, K::CloseParen,  K::OpenBracket,    K::CloseBracket,
                      K::EndOfFile}));
}

TEST(HclLexer, IdentifiersMayContainDashesAndUnicodeLetters) {
  const std::vector<Token> tokens = tokenize("max-parallel _x é1 a-1", "t");
  ASSERT_EQ(tokens.size(), 5u);
  EXPECT_EQ(tokens[0].text, "max-parallel");
  EXPECT_EQ(tokens[1].text, "_x");
  EXPECT_EQ(tokens[2].text, "é1");
  EXPECT_EQ(tokens[3].text, "a-1");
}

TEST(HclLexer, NumbersWithFractionAndExponent) {
  const std::vector<Token> tokens = tokenize("1 1.5 1e3 2E-2 7.", "t");
  EXPECT_EQ(tokens[0].text, "1");
  EXPECT_EQ(tokens[1].text, "1.5");
  EXPECT_EQ(tokens[2].text, "1e3");
  EXPECT_EQ(tokens[3].text, "2E-2");
  EXPECT_EQ(tokens[4].text, "7");  // a trailing dot is not part of the number
  EXPECT_EQ(tokens[5].kind, K::Dot);
}

TEST(HclLexer, PositionsCountLinesAndUnicodeCharacters) {
  const std::vector<Token> tokens = tokenize("é = 1\n  b", "t");
  EXPECT_EQ(tokens[1].kind, K::Assign);
  EXPECT_EQ(tokens[1].start.column, 3);  // é is one column although two bytes
  EXPECT_EQ(tokens[1].start.byte, 3u);
  const Token& b = tokens[4];
  EXPECT_EQ(b.text, "b");
  EXPECT_EQ(b.start.line, 2);
  EXPECT_EQ(b.start.column, 3);
  EXPECT_EQ(b.end.column, 4);
}

TEST(HclLexer, CommentsOfAllThreeFormsVanish) {
  EXPECT_EQ(kinds("a # one\nb // two\nc /* three\nstill */ d"),
            (std::vector<K>{K::Identifier, K::Newline, K::Identifier, K::Newline, K::Identifier,
                            K::Identifier, K::EndOfFile}));
}

TEST(HclLexer, CarriageReturnLineFeedIsOneNewline) {
  EXPECT_EQ(kinds("a\r\nb"),
            (std::vector<K>{K::Identifier, K::Newline, K::Identifier, K::EndOfFile}));
}

TEST(HclLexer, QuotedStringEscapesAreDecoded) {
  const std::vector<Token> tokens =
      tokenize(R"("a\n\r\t\"\\\u00e9\U0001F600 $${x} %%{y} $ %")", "t");
  ASSERT_EQ(tokens[1].kind, K::TemplateLiteral);
  EXPECT_EQ(tokens[1].text, "a\n\r\t\"\\é\xF0\x9F\x98\x80 ${x} %{y} $ %");
  EXPECT_EQ(tokens[2].kind, K::CloseQuote);
}

TEST(HclLexer, InterpolationSwitchesBackToNormalModeUntilItsBrace) {
  EXPECT_EQ(kinds(R"("a${ {b = 1} }c${~x~}")"),
            (std::vector<K>{K::OpenQuote, K::TemplateLiteral, K::TemplateInterp, K::OpenBrace,
                            K::Identifier, K::Assign, K::Number, K::CloseBrace, K::TemplateSeqEnd,
                            K::TemplateLiteral, K::TemplateInterp, K::Identifier, K::TemplateSeqEnd,
                            K::CloseQuote, K::EndOfFile}));
  const std::vector<Token> tokens = tokenize(R"("${~x~}")", "t");
  EXPECT_TRUE(tokens[1].strip);
  EXPECT_TRUE(tokens[3].strip);
}

TEST(HclLexer, HeredocGivesOneLiteralPerLineAndKeepsBackslashes) {
  const std::vector<Token> tokens = tokenize("<<EOT\nC:\\dir\\n ${x}\n  EOT\nnext", "t");
  ASSERT_EQ(tokens[0].kind, K::OpenHeredoc);
  EXPECT_EQ(tokens[0].text, "EOT");
  EXPECT_FALSE(tokens[0].flush);
  EXPECT_EQ(tokens[1].text, "C:\\dir\\n ");
  EXPECT_EQ(tokens[2].kind, K::TemplateInterp);
  EXPECT_EQ(tokens[5].text, "\n");
  EXPECT_EQ(tokens[6].kind, K::CloseHeredoc);  // the marker may be indented
  EXPECT_EQ(tokens[7].kind, K::Newline);       // left for the attribute it ends
  EXPECT_EQ(tokens[8].text, "next");
  EXPECT_TRUE(tokenize("<<-EOT\nx\nEOT\n", "t")[0].flush);
}

TEST(HclLexer, HeredocMarkerOnlyClosesAtTheStartOfALine) {
  // `${x}EOT` is text: the marker must stand alone on its line.
  const std::vector<Token> tokens = tokenize("<<EOT\n${x}EOT\nEOT\n", "t");
  EXPECT_EQ(tokens[4].kind, K::TemplateLiteral);
  EXPECT_EQ(tokens[4].text, "EOT\n");
  EXPECT_EQ(tokens[5].kind, K::CloseHeredoc);
}

TEST(HclLexer, TemplateModeReadsLiteralLinesUntilTheEnd) {
  EXPECT_EQ(
      kinds("a\nb ${c} %{ if d }\"q\"%{ endif }", LexMode::Template),
      (std::vector<K>{K::TemplateLiteral, K::TemplateLiteral, K::TemplateInterp, K::Identifier,
                      K::TemplateSeqEnd, K::TemplateLiteral, K::TemplateControl, K::Identifier,
                      K::Identifier, K::TemplateSeqEnd, K::TemplateLiteral, K::TemplateControl,
                      K::Identifier, K::TemplateSeqEnd, K::EndOfFile}));
}

TEST(HclLexer, ByteOrderMarkIsSkipped) {
  const std::vector<Token> tokens = tokenize(
      "\xEF\xBB\xBF"
      "a",
      "t");
  EXPECT_EQ(tokens[0].text, "a");
  EXPECT_EQ(tokens[0].start.column, 1);
  EXPECT_EQ(tokens[0].start.byte, 3u);
}

TEST(HclLexer, InvalidCharactersAreNamed) {
  Diagnostic d = lex_error("a = 'x'");
  EXPECT_EQ(d.summary, "Invalid character");
  EXPECT_NE(d.detail.find("Single quotes"), std::string::npos);
  EXPECT_EQ(d.range.start.column, 5);
  EXPECT_NE(lex_error("a;").detail.find("\";\""), std::string::npos);
  EXPECT_NE(lex_error("a = `x`").detail.find("heredoc"), std::string::npos);
  EXPECT_NE(lex_error("a = \xE2\x80\x9Cx\xE2\x80\x9D").detail.find("Curly quotes"),
            std::string::npos);
  EXPECT_EQ(lex_error("a = @").detail, "The character `@` is not used within the language.");
  EXPECT_EQ(lex_error("a & b").summary, "Unsupported operator");
  EXPECT_EQ(lex_error("a | b").summary, "Unsupported operator");
  EXPECT_EQ(lex_error("a ** b").summary, "Unsupported operator");
  EXPECT_EQ(lex_error("a ~} b").summary, "Invalid character");
}

TEST(HclLexer, InvalidUtf8IsAnErrorAtItsByte) {
  Diagnostic d = lex_error("a = 1\nb = \"x\xC3(\"");
  EXPECT_EQ(d.summary, "Invalid character encoding");
  EXPECT_EQ(d.range.start.line, 2);
  EXPECT_EQ(d.range.start.column, 7);
  EXPECT_EQ(lex_error("\xED\xA0\x80").summary, "Invalid character encoding");  // a surrogate
  EXPECT_EQ(lex_error("\xC0\xAF").summary, "Invalid character encoding");      // overlong
}

TEST(HclLexer, UnterminatedStringsAreErrorsAtTheirStart) {
  Diagnostic line = lex_error("a = \"abc\nb = 1\n");
  EXPECT_EQ(line.summary, "Unterminated template string");
  EXPECT_EQ(line.range.start.line, 1);
  EXPECT_EQ(line.range.start.column, 5);
  EXPECT_NE(line.detail.find("end of its line"), std::string::npos);
  EXPECT_NE(lex_error("a = \"abc").detail.find("end of the file"), std::string::npos);

  Diagnostic heredoc = lex_error("x = 1\na = <<EOT\nabc\nEO\n");
  EXPECT_EQ(heredoc.summary, "Unterminated template string");
  EXPECT_EQ(heredoc.range.start.line, 2);
  EXPECT_EQ(heredoc.range.start.column, 5);
  EXPECT_NE(heredoc.detail.find("`EOT`"), std::string::npos);

  Diagnostic comment = lex_error("a = 1 /* no end");
  EXPECT_EQ(comment.summary, "Unterminated comment");
  EXPECT_EQ(comment.range.start.column, 7);
}

TEST(HclLexer, HeredocIntroducerMustEndItsLine) {
  Diagnostic d = lex_error("a = <<EOT x\nEOT\n");
  EXPECT_EQ(d.summary, "Invalid heredoc");
  EXPECT_EQ(d.range.start.column, 5);
}

TEST(HclLexer, BadEscapesAreErrorsAtTheBackslash) {
  Diagnostic unknown = lex_error(R"(a = "x\q")");
  EXPECT_EQ(unknown.summary, "Invalid escape sequence");
  EXPECT_EQ(unknown.range.start.column, 7);
  EXPECT_NE(unknown.detail.find("`q`"), std::string::npos);
  EXPECT_NE(lex_error(R"("\u12")").detail.find("four hexadecimal digits"), std::string::npos);
  EXPECT_NE(lex_error(R"("\U0001F6")").detail.find("eight hexadecimal digits"), std::string::npos);
  EXPECT_NE(lex_error(R"("\uD800")").detail.find("Cannot encode"), std::string::npos);
  EXPECT_NE(lex_error(R"("\U00110000")").detail.find("Cannot encode"), std::string::npos);
  EXPECT_EQ(lex_error("\"a\\").summary, "Invalid escape sequence");
}

}  // namespace
}  // namespace hcl
