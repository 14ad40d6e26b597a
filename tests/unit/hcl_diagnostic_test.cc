// HCL diagnostics: the one-line form, the source snippet with its caret, and throw_error.
#include "hcl/diagnostic.h"

#include <gtest/gtest.h>

#include <string>

#include "hcl/parser.h"

namespace hcl {
namespace {

Diagnostic at(int line, int column, std::size_t byte, int end_column = 0) {
  Diagnostic d;
  d.summary = "Invalid expression";
  d.detail = "Expected the start of an expression, but found `}`.";
  d.range.filename = "job.nomad";
  d.range.start = Pos{line, column, byte};
  d.range.end = Pos{line, end_column == 0 ? column + 1 : end_column, byte + 1};
  return d;
}

TEST(HclDiagnostic, OneLineForm) {
  EXPECT_EQ(format_one_line(at(3, 14, 20)),
            "job.nomad:3:14: Invalid expression; Expected the start of an expression, but "
            "found `}`.");
  Diagnostic no_detail = at(1, 1, 0);
  no_detail.detail.clear();
  no_detail.range.filename.clear();
  EXPECT_EQ(format_one_line(no_detail), "1:1: Invalid expression");
}

TEST(HclDiagnostic, SnippetWithCaretUnderTheColumn) {
  const std::string source = "a = 1\nb = }\nc = 3\n";
  EXPECT_EQ(format(at(2, 5, 10), source),
            "job.nomad:2:5: Invalid expression; Expected the start of an expression, but found "
            "`}`.\n"
            "  2 | b = }\n"
            "    |     ^");
}

TEST(HclDiagnostic, CaretsSpanARangeOnOneLine) {
  const std::string source = "a = foo(1)\n";
  const std::string text = format(at(1, 5, 4, 8), source);
  EXPECT_EQ(text.substr(text.find('\n') + 1), "  1 | a = foo(1)\n    |     ^^^");
}

TEST(HclDiagnostic, EmptySourceLeavesTheSnippetOut) {
  EXPECT_EQ(format(at(2, 5, 10), ""), format_one_line(at(2, 5, 10)));
}

TEST(HclDiagnostic, TabsAndWideCharactersKeepTheCaretAligned) {
  const std::string source = "\tétà = }\n";
  // Column 8 is the `}`: a tab and six characters (two of them two bytes) before it.
  const std::string text = format(at(1, 8, 9), source);
  EXPECT_EQ(text.substr(text.find('\n') + 1), "  1 | \tétà = }\n    | \t      ^");
}

TEST(HclDiagnostic, LongLinesAreShownAsAWindow) {
  const std::string source = "a = \"" + std::string(100000, 'x') + "\" }\n";
  const std::string text = format(at(1, 100008, 100007), source);
  const std::string snippet = text.substr(text.find('\n') + 1);
  EXPECT_LT(snippet.size(), 400u);
  EXPECT_NE(snippet.find("...xxx"), std::string::npos);
  EXPECT_NE(snippet.find("\" }"), std::string::npos);
  // The caret sits under the brace.
  const std::string first = snippet.substr(0, snippet.find('\n'));
  const std::string second = snippet.substr(snippet.find('\n') + 1);
  EXPECT_EQ(first[second.find('^')], '}');
}

TEST(HclDiagnostic, LastLineWithoutNewlineAndCrLf) {
  EXPECT_EQ(format(at(2, 1, 7), "a = 1\r\nb").substr(format_one_line(at(2, 1, 7)).size()),
            "\n  2 | b\n    | ^");
  EXPECT_EQ(format(at(1, 1, 0), "a = 1\r\n").substr(format_one_line(at(1, 1, 0)).size()),
            "\n  1 | a = 1\n    | ^");
}

TEST(HclDiagnostic, ThrowErrorCarriesTheDiagnostic) {
  try {
    throw_error("Unsupported argument", "An argument named \"x\" is not expected here.",
                Range{"f.hcl", Pos{2, 3, 9}, Pos{2, 4, 10}});
    FAIL() << "no throw";
  } catch (const DiagnosticError& error) {
    ASSERT_EQ(error.diagnostics().size(), 1u);
    EXPECT_EQ(error.diagnostics()[0].summary, "Unsupported argument");
    EXPECT_STREQ(error.what(),
                 "f.hcl:2:3: Unsupported argument; An argument named \"x\" is not expected here.");
  }
}

TEST(HclDiagnostic, SeveralDiagnosticsReportTheFirst) {
  DiagnosticError error(std::vector<Diagnostic>{at(1, 1, 0), at(2, 2, 5)});
  EXPECT_EQ(error.diagnostics().size(), 2u);
  EXPECT_EQ(std::string(error.what()), format_one_line(at(1, 1, 0)));
  EXPECT_STRNE(DiagnosticError(std::vector<Diagnostic>{}).what(), "");
}

TEST(HclDiagnostic, ParserErrorRendersWithItsSourceLine) {
  const std::string source =
      "job \"x\" {\n"
      "  group \"g\" {\n"
      "    task \"t\" { driver = \"pot\" } } }\n";
  try {
    parse_file(source, "job.nomad");
    FAIL() << "no error";
  } catch (const DiagnosticError& error) {
    EXPECT_EQ(format(error.diagnostics()[0], source),
              "job.nomad:3:33: Missing newline after block definition; A block definition must "
              "end with a newline, but found `}` after the closing brace of `task`.\n"
              "  3 |     task \"t\" { driver = \"pot\" } } }\n"
              "    |                                 ^");
  }
}

}  // namespace
}  // namespace hcl
