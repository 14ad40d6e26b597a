#include "core/child_report.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/process.h"

namespace pot {
namespace {

TEST(ChildReport, ReadyChildReturnsItsPayloadAndRunsOn) {
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  ReadyChild child = fork_and_wait_ready("the child", [&](ChildReporter& reporter) {
    reporter.ready("up 42");
    char byte;
    (void)!::read(go[0], &byte, 1);  // still running after the report, until told
  });
  EXPECT_EQ(child.payload, "up 42");
  ASSERT_GT(child.pid, 0);
  EXPECT_EQ(::waitpid(child.pid, nullptr, WNOHANG), 0) << "the child runs on after ready";
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  EXPECT_EQ(wait_exit_code(child.pid), 0);
  ::close(go[0]);
  ::close(go[1]);
}

TEST(ChildReport, ErrorOfTheChildIsThrownInTheParent) {
  try {
    fork_and_wait_ready("the child",
                        [](ChildReporter&) { throw Error("mounting `x`: No such device"); });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "mounting `x`: No such device");
  }
}

TEST(ChildReport, ChildThatDiesWithoutAWordIsAnError) {
  try {
    fork_and_wait_ready("the child", [](ChildReporter&) { ::raise(SIGKILL); });
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), "the child exited with code 137 before it was ready");
  }
}

TEST(ChildReport, OnlyTheFirstReportCounts) {
  ReadyChild child = fork_and_wait_ready("the child", [](ChildReporter& reporter) {
    reporter.ready("first");
    reporter.fail("second");  // the pipe is closed: nothing is sent
  });
  EXPECT_EQ(child.payload, "first");
  wait_exit_code(child.pid);
}

}  // namespace
}  // namespace pot
