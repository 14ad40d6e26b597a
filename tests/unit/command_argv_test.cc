#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "runtime/jail_spec.h"

namespace pot {
namespace {

using Argv = std::vector<std::string>;

Argv shell(const std::string& line) {
  return {"/bin/sh", "-c", line};
}

TEST(CommandToArgv, SingleWord) {
  EXPECT_EQ(command_to_argv("/bin/true"), (Argv{"/bin/true"}));
}

TEST(CommandToArgv, SplitsOnBlanks) {
  EXPECT_EQ(command_to_argv("ls -l /tmp"), (Argv{"ls", "-l", "/tmp"}));
  EXPECT_EQ(command_to_argv("  ls \t -l  "), (Argv{"ls", "-l"}));
}

TEST(CommandToArgv, SingleQuotesKeepEverything) {
  EXPECT_EQ(command_to_argv("nginx -g 'daemon off;'"), (Argv{"nginx", "-g", "daemon off;"}));
  EXPECT_EQ(command_to_argv("echo '$HOME | x'"), (Argv{"echo", "$HOME | x"}));
  EXPECT_EQ(command_to_argv("echo 'a\\b'"), (Argv{"echo", "a\\b"}));
}

TEST(CommandToArgv, DoubleQuotes) {
  EXPECT_EQ(command_to_argv("echo \"a b\""), (Argv{"echo", "a b"}));
  EXPECT_EQ(command_to_argv("echo \"say \\\"hi\\\"\""), (Argv{"echo", "say \"hi\""}));
  EXPECT_EQ(command_to_argv("echo \"a;b|c\""), (Argv{"echo", "a;b|c"}));
}

TEST(CommandToArgv, QuotedPartsJoinTheirWord) {
  EXPECT_EQ(command_to_argv("--opt='a b'\"c d\"e"), shell("--opt='a b'\"c d\"e"));  // has '='
  EXPECT_EQ(command_to_argv("pre'a b'\"c d\"post"), (Argv{"prea bc dpost"}));
}

TEST(CommandToArgv, EmptyQuotedArgumentIsKept) {
  EXPECT_EQ(command_to_argv("printf '' x"), (Argv{"printf", "", "x"}));
  EXPECT_EQ(command_to_argv("echo \"\""), (Argv{"echo", ""}));
}

TEST(CommandToArgv, BackslashOutsideQuotesEscapesOneCharacter) {
  EXPECT_EQ(command_to_argv("touch a\\ b"), (Argv{"touch", "a b"}));
  EXPECT_EQ(command_to_argv("echo \\|"), (Argv{"echo", "|"}));
}

// Inside double quotes, sh keeps a backslash unless it precedes $ ` " \ or a newline:
//   printf "%s\n" x   passes the four characters %s\n to printf.
TEST(CommandToArgv, BackslashInsideDoubleQuotesIsKeptBeforeOrdinaryCharacters) {
  EXPECT_EQ(command_to_argv("printf \"%s\\n\" x"), (Argv{"printf", "%s\\n", "x"}));
  EXPECT_EQ(command_to_argv("echo \"a\\\\b\""), (Argv{"echo", "a\\b"}));
  EXPECT_EQ(command_to_argv("echo \"\\$HOME\""), (Argv{"echo", "$HOME"}));
}

TEST(CommandToArgv, ShellSyntaxGoesToSh) {
  for (const char* line :
       {"a | b", "echo $HOME", "echo \"$HOME\"", "echo `date`", "a && b", "a; b", "a > /tmp/out",
        "cat < in", "ls *.conf", "ls ~", "(a)", "FOO=bar cmd", "a # comment", "echo 'unterminated",
        "echo \"unterminated", "a\nb", "echo {a,b}", "! true"}) {
    EXPECT_EQ(command_to_argv(line), shell(line)) << line;
  }
}

TEST(CommandToArgv, BlankLineGivesNoWords) {
  EXPECT_TRUE(command_to_argv("").empty());
  EXPECT_TRUE(command_to_argv("   ").empty());
}

}  // namespace
}  // namespace pot

namespace pot {
namespace {

TEST(SplitQuotedWords, KeepsShellCharactersLiteralForPotCommandLines) {
  auto words = split_quoted_words("set-env -E GREETING=hello -E 'A=b c' -E X=$HOME");
  ASSERT_TRUE(words.has_value());
  EXPECT_EQ(*words, (std::vector<std::string>{"set-env", "-E", "GREETING=hello", "-E", "A=b c",
                                              "-E", "X=$HOME"}));
  EXPECT_FALSE(split_quoted_words("copy-in -s 'unbalanced").has_value());
}

}  // namespace
}  // namespace pot
