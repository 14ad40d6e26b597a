// The pure parts of a task's pot (src/driver/task_pot.h): the command line written to
// pot.cmd for a task's `command` and `args`, which pot reads back with command_to_argv, and
// the pot's name for a task.
#include "driver/task_pot.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/names.h"
#include "runtime/jail_spec.h"
#include "test_util.h"

namespace pot::driver {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using Argv = std::vector<std::string>;

// What pot runs for a task: the line read back as pot reads pot.cmd.
Argv run_argv(const std::string& command, const Argv& args) {
  return command_to_argv(task_command_line(command, args));
}

Argv expected_argv(const std::string& command, const Argv& args) {
  Argv argv = command_to_argv(command);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

TEST(TaskCommandLine, TheSeedsCommandKeepsItsQuotedWord) {
  EXPECT_EQ(run_argv("nginx -g 'daemon off;'", {}), (Argv{"nginx", "-g", "daemon off;"}));
}

TEST(TaskCommandLine, EveryArgumentArrivesWhole) {
  const Argv hostile = {
      "two words",
      "  leading and trailing  ",
      "it's",
      "'",
      "''",
      "'\"'\"'",
      "\"double\"",
      "\"",
      "$(id)",
      "${HOME}",
      "$HOME",
      "`id`",
      "back\\slash",
      "\\",
      "\\\\",
      "trailing\\",
      "new\nline",
      "\n",
      "cr\r\n",
      "tab\there",
      "",
      "",
      "\xc3\xa9t\xc3\xa9 \xe2\x98\x83 \xf0\x9f\x90\xb3",
      "; rm -rf / #",
      "a|b&c>d<e",
      "*?[]{}~!=",
      "--opt='a b'\"c d\"",
  };
  for (const std::string& command :
       {std::string("/bin/echo"), std::string("nginx -g 'daemon off;'"),
        std::string("printf \"%s\\n\""), std::string("echo a\\ b")}) {
    EXPECT_EQ(run_argv(command, hostile), expected_argv(command, hostile)) << command;
    // One argument at a time, so a failure names it.
    for (const std::string& arg : hostile) {
      EXPECT_EQ(run_argv(command, {arg}), expected_argv(command, {arg}))
          << command << " with [" << arg << "] written as " << task_command_line(command, {arg});
    }
  }
}

TEST(TaskCommandLine, ACommandThatNeedsAShellStaysOneShellCommand) {
  // command_to_argv makes such a command `/bin/sh -c LINE`; the args follow it ($0, $1, ...).
  const std::string command = "echo $HOME | tr a-z A-Z";
  EXPECT_EQ(run_argv(command, {"zero", "one two"}),
            (Argv{"/bin/sh", "-c", command, "zero", "one two"}));
}

TEST(TaskCommandLine, EmptyArgumentsAreKept) {
  EXPECT_EQ(run_argv("printf", {"", "x", ""}), (Argv{"printf", "", "x", ""}));
}

TEST(TaskCommandLine, NoCommandGivesTheArgumentsAlone) {
  EXPECT_EQ(run_argv("", {"/bin/echo", "a b"}), (Argv{"/bin/echo", "a b"}));
  EXPECT_EQ(task_command_line("", {}), "");
}

TEST(TaskCommandLine, TheLineIsOneLineWhenNoArgumentHasALineBreak) {
  std::string line = task_command_line("nginx -g 'daemon off;'", {"a'b", "$(x)"});
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TaskRequest request(const std::string& name, const std::string& alloc_id) {
  TaskRequest r;
  r.id = alloc_id + "/" + name + "/0a1b2c3d";
  r.name = name;
  r.alloc_id = alloc_id;
  return r;
}

constexpr char kAlloc[] = "7d1e2c3a-0b4f-4c5d-9e8f-0a1b2c3d4e5f";

TEST(TaskPotName, IsTheTaskAndTheAllocation) {
  EXPECT_EQ(task_pot_name(request("web", kAlloc)), std::string("web_") + kAlloc);
  EXPECT_EQ(task_pot_name(request("Web-1.2", kAlloc)), std::string("Web-1.2_") + kAlloc);
}

// A name that had to change gets an 8-hex hash of the original after a dash.
static bool is_sanitised_as(const std::string& pot, const std::string& prefix) {
  std::string tail = std::string("_") + kAlloc;
  if (!pot.ends_with(tail) || pot.size() < prefix.size() + 9 + tail.size()) return false;
  std::string hash = pot.substr(prefix.size() + 1, 8);
  return pot.starts_with(prefix + "-") &&
         hash.find_first_not_of("0123456789abcdef") == std::string::npos &&
         pot.size() == prefix.size() + 9 + tail.size();
}

TEST(TaskPotName, SanitisesTheTaskNameAndTellsSanitisedNamesApart) {
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request("my web", kAlloc)), "my-web"));
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request("a/b/../c", kAlloc)), "a-b-..-c"));
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request("under_score", kAlloc)), "under-score"));
  // Each byte of a multi-byte character becomes one dash.
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request("w\xc3\xa9"
                                                    "b",
                                                    kAlloc)),
                              "w--b"));
  // A name may not start with a dot or a dash, nor be empty.
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request(".hidden", kAlloc)), "t.hidden"));
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request("-x", kAlloc)), "t-x"));
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request(" x", kAlloc)), "t-x"));
  EXPECT_TRUE(is_sanitised_as(task_pot_name(request("", kAlloc)), "t"));
  // Names that sanitise alike, or share a long start, still get pots of their own.
  EXPECT_NE(task_pot_name(request("web_1", kAlloc)), task_pot_name(request("web-1", kAlloc)));
  EXPECT_NE(task_pot_name(request("web_1", kAlloc)), task_pot_name(request("web 1", kAlloc)));
  EXPECT_NE(task_pot_name(request(std::string(40, 'a') + "1", kAlloc)),
            task_pot_name(request(std::string(40, 'a') + "2", kAlloc)));
}

TEST(TaskPotName, EveryNameIsValidAndAtMost64Characters) {
  const std::vector<std::string> names = {
      "web",
      std::string(200, 'a'),
      std::string(64, '.'),
      "\xf0\x9f\x90\xb3",
      "../../etc",
      std::string(1, '\0'),
      "new\nline",
      std::string(300, '\xff'),
      "a b\tc/d\\e",
      "-",
      ".",
      "..",
  };
  for (const std::string& alloc :
       {std::string(kAlloc), std::string("a"), std::string(61, 'b'), std::string(62, 'c')}) {
    for (const std::string& name : names) {
      std::string pot = task_pot_name(request(name, alloc));
      EXPECT_LE(pot.size(), kMaxNameLength) << pot;
      EXPECT_TRUE(is_valid_name(pot)) << pot;
      EXPECT_TRUE(pot.ends_with("_" + alloc)) << pot;
    }
  }
  // A long task name is cut to what the allocation leaves, with the hash of the whole name.
  std::string cut = task_pot_name(request(std::string(200, 'a'), kAlloc));
  EXPECT_EQ(cut.size(), kMaxNameLength);
  EXPECT_TRUE(
      is_sanitised_as(cut, std::string(kMaxNameLength - 10 - std::string(kAlloc).size(), 'a')))
      << cut;
}

TEST(TaskPotName, AnAllocationIdThatCannotBeInAPotNameIsRefused) {
  for (const std::string& alloc :
       {std::string(""), std::string("../x"), std::string("a/b"), std::string(".x"),
        std::string("-x"), std::string("a b"), std::string("\xc3\xa9"), std::string(65, 'a')}) {
    std::string message = ErrorOf([&] { task_pot_name(request("web", alloc)); });
    EXPECT_TRUE(HasText(message, "allocation id")) << alloc;
    EXPECT_TRUE(HasText(message, "not usable in a pot name")) << alloc;
  }
}

// A 63- or 64-character allocation id is a valid name, but leaves no room for `<task>_`: the
// name was `_<alloc>` (no task) or longer than 64 characters.
TEST(TaskPotName, AnAllocationIdThatLeavesNoRoomForTheTaskIsRefused) {
  for (size_t size : {size_t{63}, size_t{64}}) {
    std::string message = ErrorOf([&] { task_pot_name(request("web", std::string(size, 'd'))); });
    EXPECT_TRUE(HasText(message, "not usable in a pot name")) << size;
  }
  // One character left: the start of the name's hash (the name itself does not fit).
  std::string longest = task_pot_name(request("web", std::string(62, 'd')));
  EXPECT_EQ(longest.size(), kMaxNameLength);
  EXPECT_TRUE(longest.ends_with("_" + std::string(62, 'd'))) << longest;
  EXPECT_NE(longest, task_pot_name(request("api", std::string(62, 'd'))));
}

}  // namespace
}  // namespace pot::driver
