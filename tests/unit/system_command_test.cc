// The runner of the FreeBSD backend's tools, with real /bin/sh children: what goes in on
// stdin, what comes back on both outputs (also more than a pipe holds), exit codes and
// signals, a program that is not there, and the messages check() makes of failures.
#include "freebsd/system_command.h"

#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/unique_fd.h"
#include "test_util.h"

namespace pot::freebsd {
namespace {

using pot::testing::test_pattern;

TEST(SystemCommand, FeedsInputOnStdin) {
  auto commands = make_system_commands();
  CommandResult result =
      commands->run({"/bin/sh", "-c", "read line; echo \"got $line\""}, "hello\n");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "got hello\n");
  EXPECT_EQ(result.err, "");
}

TEST(SystemCommand, EmptyInputIsEndOfFile) {
  auto commands = make_system_commands();
  CommandResult result = commands->run({"/bin/sh", "-c", "cat; echo done"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "done\n");
}

// 3 MB in, the same 3 MB out on both stdout and stderr at once: a runner that read one
// stream (or wrote all the input) before the others would block forever on a full pipe.
TEST(SystemCommand, LargeInputAndBothOutputsAtOnce) {
  auto commands = make_system_commands();
  std::string input = test_pattern(3 << 20);
  CommandResult result = commands->run({"/bin/sh", "-c", "tee /dev/stderr"}, input);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out.size(), input.size());
  EXPECT_TRUE(result.out == input);
  EXPECT_TRUE(result.err == input);
}

TEST(SystemCommand, LargeOutputOnStderrFirst) {
  auto commands = make_system_commands();
  CommandResult result = commands->run(
      {"/bin/sh", "-c",
       "head -c 2000000 /dev/zero | tr '\\0' e >&2; head -c 2000000 /dev/zero | tr '\\0' o"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.err, std::string(2000000, 'e'));
  EXPECT_EQ(result.out, std::string(2000000, 'o'));
}

// A tool that exits without reading its input: our write fails with EPIPE, which must not
// kill the test process with SIGPIPE.
TEST(SystemCommand, ToolThatIgnoresItsInput) {
  auto commands = make_system_commands();
  CommandResult result = commands->run({"/bin/sh", "-c", "exit 4"}, test_pattern(1 << 20));
  EXPECT_EQ(result.exit_code, 4);
}

TEST(SystemCommand, ExitCodes) {
  auto commands = make_system_commands();
  EXPECT_EQ(commands->run({"/bin/sh", "-c", "exit 0"}).exit_code, 0);
  EXPECT_EQ(commands->run({"/bin/sh", "-c", "exit 3"}).exit_code, 3);
  EXPECT_EQ(commands->run({"/bin/sh", "-c", "exit 255"}).exit_code, 255);
}

TEST(SystemCommand, KilledBySignalIs128PlusSignal) {
  auto commands = make_system_commands();
  EXPECT_EQ(commands->run({"/bin/sh", "-c", "kill -TERM $$"}).exit_code, 128 + SIGTERM);
  EXPECT_EQ(commands->run({"/bin/sh", "-c", "kill -KILL $$"}).exit_code, 128 + SIGKILL);
}

TEST(SystemCommand, ChildGetsOnlyStandardDescriptors) {
  // Opened without O_CLOEXEC, as another thread or library might.
  UniqueFd leaky(::open("/dev/null", O_RDONLY));  // NOLINT(android-cloexec-open)
  ASSERT_TRUE(leaky);
  auto commands = make_system_commands();
  CommandResult result = commands->run({"/bin/sh", "-c", "ls /proc/$$/fd"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "0\n1\n2\n");
}

TEST(SystemCommand, MissingProgramThrowsNamingIt) {
  auto commands = make_system_commands();
  try {
    commands->run({"pot-no-such-tool", "create"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "`pot-no-such-tool`: not found");
  }
  EXPECT_THROW(commands->run({}), Error);
}

TEST(SystemCommand, CheckReturnsStdout) {
  auto commands = make_system_commands();
  EXPECT_EQ(commands->check({"/bin/sh", "-c", "echo out; echo noise >&2"}), "out\n");
}

TEST(SystemCommand, CheckNamesCommandAndFirstStderrLine) {
  auto commands = make_system_commands();
  try {
    commands->check(
        {"/bin/sh", "-c", "echo; echo 'cannot create: out of space' >&2; echo more >&2; exit 1"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(
        e.what(),
        "`/bin/sh -c 'echo; echo '\\''cannot create: out of space'\\'' >&2; echo more >&2; "
        "exit 1'` failed: cannot create: out of space");
  }
}

TEST(SystemCommand, CheckWithoutStderrGivesExitCode) {
  auto commands = make_system_commands();
  try {
    commands->check({"false"});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "`false` failed: exit code 1");
  }
}

TEST(SystemCommand, Succeeds) {
  auto commands = make_system_commands();
  EXPECT_TRUE(commands->succeeds({"true"}));
  EXPECT_FALSE(commands->succeeds({"false"}));
}

TEST(SystemCommand, FormatArgvQuotesOnlyWhatNeedsIt) {
  EXPECT_EQ(format_argv({"zfs", "create", "-o", "mountpoint=/opt/pot", "zroot/pot"}),
            "zfs create -o mountpoint=/opt/pot zroot/pot");
  EXPECT_EQ(format_argv({"ifconfig", "bridge", "create", "descr", "pot public bridge"}),
            "ifconfig bridge create descr 'pot public bridge'");
  EXPECT_EQ(format_argv({"sh", "-c", "it's", ""}), "sh -c 'it'\\''s' ''");
}

}  // namespace
}  // namespace pot::freebsd
