#include "core/process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;

TEST(ParseSignal, NamesWithAndWithoutSig) {
  EXPECT_EQ(parse_signal("TERM"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGTERM"), SIGTERM);
  EXPECT_EQ(parse_signal("sigterm"), SIGTERM);
  EXPECT_EQ(parse_signal("SIGKILL"), SIGKILL);
  EXPECT_EQ(parse_signal("kill"), SIGKILL);
  EXPECT_EQ(parse_signal("HUP"), SIGHUP);
  EXPECT_EQ(parse_signal("INT"), SIGINT);
  EXPECT_EQ(parse_signal("USR1"), SIGUSR1);
}

TEST(ParseSignal, Numbers) {
  EXPECT_EQ(parse_signal("9"), 9);
  EXPECT_EQ(parse_signal("15"), 15);
  EXPECT_EQ(parse_signal("1"), 1);
  EXPECT_EQ(parse_signal("64"), 64);
}

TEST(ParseSignal, RejectsGarbageNamingIt) {
  for (const char* bad :
       {"bogus", "", "SIG", "0", "65", "999", "-9", "9x", "TERM ", "SIGSIGTERM"}) {
    EXPECT_THROW(parse_signal(bad), Error) << '"' << bad << '"';
  }
  EXPECT_TRUE(HasText(ErrorOf([] { parse_signal("bogus"); }), "invalid signal `bogus`"));
}

TEST(RunProgram, ReturnsTheExitCode) {
  EXPECT_EQ(run_program({"true"}), 0);
  EXPECT_EQ(run_program({"false"}), 1);
  EXPECT_EQ(run_program({"sh", "-c", "exit 42"}), 42);
  EXPECT_EQ(run_program({"/bin/sh", "-c", "exit 0"}), 0);
}

TEST(RunProgram, KilledProgramGives128PlusSignal) {
  EXPECT_EQ(run_program({"sh", "-c", "kill -TERM $$"}), 128 + SIGTERM);
  EXPECT_EQ(run_program({"sh", "-c", "kill -KILL $$"}), 128 + SIGKILL);
}

TEST(RunProgram, MissingProgramThrows) {
  try {
    run_program({"/nonexistent"});
    ADD_FAILURE() << "/nonexistent ran";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_TRUE(HasText(e.what(), "`/nonexistent`"));
  }
  EXPECT_THROW(run_program({"pot-no-such-program-in-path"}), Error);
  EXPECT_THROW(run_program({}), Error);
}

TEST(RunProgram, PassesArgumentsVerbatim) {
  TempDir dir;
  std::string out = (dir / "out").string();
  ASSERT_EQ(run_program({"sh", "-c", "printf '%s|' \"$@\" > \"$0\"", out, "a b", "", "$HOME"}), 0);
  EXPECT_EQ(read_text(out), "a b||$HOME|");
}

TEST(RunProgram, AddsExtraEnvironment) {
  EXPECT_EQ(run_program({"sh", "-c", "test \"$POT_UNIT_EXTRA\" = hello"},
                        {.quiet = false, .env = {"POT_UNIT_EXTRA=hello"}}),
            0);
  EXPECT_EQ(run_program({"sh", "-c", "test -z \"$POT_UNIT_EXTRA\""}), 0);
}

TEST(RunProgram, QuietSilencesOutput) {
  // Nothing to see in the test log; mostly checks that quiet still runs the program.
  EXPECT_EQ(
      run_program({"sh", "-c", "echo noise; echo noise >&2; exit 3"}, {.quiet = true, .env = {}}),
      3);
}

TEST(RunProgram, ChildDoesNotInheritOurFiles) {
  TempDir dir;
  int fd = ::open((dir / "held").c_str(), O_WRONLY | O_CREAT, 0600);  // no O_CLOEXEC
  ASSERT_GE(fd, 0);
  std::string check = "test ! -e /proc/self/fd/" + std::to_string(fd);
  EXPECT_EQ(run_program({"sh", "-c", check}), 0);
  ::close(fd);
}

TEST(ExitCodeFromWaitStatus, ExitedAndSignaled) {
  pid_t exited = ::fork();
  ASSERT_GE(exited, 0);
  if (exited == 0) ::_exit(7);
  int status = 0;
  ASSERT_EQ(::waitpid(exited, &status, 0), exited);
  EXPECT_EQ(exit_code_from_wait_status(status), 7);

  pid_t killed = ::fork();
  ASSERT_GE(killed, 0);
  if (killed == 0) {
    ::pause();
    ::_exit(0);
  }
  ASSERT_EQ(::kill(killed, SIGKILL), 0);
  ASSERT_EQ(::waitpid(killed, &status, 0), killed);
  EXPECT_EQ(exit_code_from_wait_status(status), 128 + SIGKILL);
}

TEST(WaitExitCode, ReapsTheChild) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGTERM, SIG_DFL);
    ::raise(SIGTERM);
    ::_exit(0);
  }
  EXPECT_EQ(wait_exit_code(pid), 128 + SIGTERM);
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);  // already reaped
}

TEST(ProcessStartTime, KnowsRunningProcesses) {
  auto start = process_start_time(::getpid());
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(process_start_time(::getpid()), start);  // stable
  EXPECT_TRUE(process_alive(::getpid(), *start));
  EXPECT_FALSE(process_alive(::getpid(), *start + 1));
  EXPECT_FALSE(process_alive(::getpid(), 0));
  EXPECT_TRUE(process_start_time(1).has_value());
}

TEST(ProcessStartTime, NothingForMissingOrInvalidPids) {
  EXPECT_FALSE(process_start_time(0).has_value());
  EXPECT_FALSE(process_start_time(-1).has_value());
  EXPECT_FALSE(process_start_time(INT_MAX).has_value());
  EXPECT_FALSE(process_alive(INT_MAX, 0));
}

TEST(ProcessStartTime, ZombieIsNotAlive) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(0);
  // Wait until the child is a zombie without reaping it.
  siginfo_t info{};
  ASSERT_EQ(::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT), 0);
  // Its start time can still be read (a parent records a child that exited at once), but
  // it no longer counts as alive.
  auto start = process_start_time(pid);
  ASSERT_TRUE(start.has_value());
  EXPECT_FALSE(process_alive(pid, *start));
  EXPECT_EQ(wait_exit_code(pid), 0);
}

TEST(ProcessStartTime, ChildStartsAfterUs) {
  auto ours = process_start_time(::getpid());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  ChildGuard guard(pid);
  auto child = process_start_time(pid);
  ASSERT_TRUE(ours.has_value());
  ASSERT_TRUE(child.has_value());
  EXPECT_GE(*child, *ours);
  EXPECT_TRUE(process_alive(pid, *child));
}

TEST(ChildGuard, KillsAndReapsOnDestruction) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::pause();
    ::_exit(0);
  }
  { ChildGuard guard(pid); }
  errno = 0;
  EXPECT_EQ(::waitpid(pid, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

TEST(ChildGuard, WaitReturnsTheExitCodeAndReleases) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(5);
  ChildGuard guard(pid);
  EXPECT_EQ(guard.wait(), 5);
  EXPECT_EQ(guard.get(), -1);
}

TEST(ChildGuard, MoveTransfersOwnership) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) ::_exit(9);
  ChildGuard first(pid);
  ChildGuard second(std::move(first));
  EXPECT_EQ(first.get(), -1);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(second.get(), pid);
  EXPECT_EQ(second.wait(), 9);
}

TEST(CloseFdsExcept, KeepsOnlyTheListedFds) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int a = ::open("/dev/null", O_RDONLY);
    int b = ::open("/dev/null", O_RDONLY);
    int c = ::open("/dev/null", O_RDONLY);
    int d = ::open("/dev/null", O_RDONLY);
    close_fds_except({c, a, 1});
    bool ok = ::fcntl(a, F_GETFD) >= 0 && ::fcntl(b, F_GETFD) < 0 && ::fcntl(c, F_GETFD) >= 0 &&
              ::fcntl(d, F_GETFD) < 0 && ::fcntl(2, F_GETFD) >= 0;
    ::_exit(ok ? 0 : 1);
  }
  EXPECT_EQ(wait_exit_code(pid), 0);
}

TEST(BootId, IsTheKernelsBootId) {
  std::string id = boot_id();
  EXPECT_EQ(id.size(), 36u) << id;
  EXPECT_EQ(id, boot_id());
}

}  // namespace
}  // namespace pot
