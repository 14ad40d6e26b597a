// check_restart's decisions, with the clock passed in.
#include "agent/client/check_restart.h"

#include <gtest/gtest.h>

namespace pot::agent {
namespace {

using Clock = CheckRestartWatcher::Clock;
using std::chrono::seconds;

CheckDefinition check(int limit, seconds grace, bool ignore_warnings = false) {
  CheckDefinition definition;
  definition.id = "c1";
  definition.name = "web";
  definition.restart_limit = limit;
  definition.restart_grace = grace;
  definition.restart_ignore_warnings = ignore_warnings;
  return definition;
}

TEST(CheckRestartTest, RestartsAfterLimitUnhealthyResultsInARow) {
  CheckRestartWatcher watcher;
  auto t0 = Clock::now();
  watcher.watch(check(3, seconds(0)), t0);
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(1)));
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(2)));
  auto reason = watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(3));
  ASSERT_TRUE(reason);
  EXPECT_EQ(*reason, "healthcheck: check \"web\" unhealthy");
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(4)))
      << "counting starts over after a restart";
}

TEST(CheckRestartTest, APassingResultResetsTheCount) {
  CheckRestartWatcher watcher;
  auto t0 = Clock::now();
  watcher.watch(check(2, seconds(0)), t0);
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(1)));
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kPassing, t0 + seconds(2)));
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(3)));
  EXPECT_TRUE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(4)));
}

TEST(CheckRestartTest, GraceAfterTheStartIsNotCounted) {
  CheckRestartWatcher watcher;
  auto t0 = Clock::now();
  watcher.watch(check(1, seconds(10)), t0);
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(5)));
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(9)));
  EXPECT_TRUE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(10)));
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(15)))
      << "the restart's own grace";
}

TEST(CheckRestartTest, WarningsCountUnlessIgnored) {
  CheckRestartWatcher counting;
  auto t0 = Clock::now();
  counting.watch(check(1, seconds(0)), t0);
  EXPECT_TRUE(counting.on_result("c1", CheckStatus::kWarning, t0 + seconds(1)));
  CheckRestartWatcher ignoring;
  ignoring.watch(check(1, seconds(0), true), t0);
  EXPECT_FALSE(ignoring.on_result("c1", CheckStatus::kWarning, t0 + seconds(1)));
}

TEST(CheckRestartTest, NoLimitOrUnknownCheckNeverRestarts) {
  CheckRestartWatcher watcher;
  auto t0 = Clock::now();
  watcher.watch(check(0, seconds(0)), t0);
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(1)));
  EXPECT_FALSE(watcher.on_result("other", CheckStatus::kCritical, t0 + seconds(1)));
  watcher.watch(check(1, seconds(0)), t0);
  watcher.forget("c1");
  EXPECT_FALSE(watcher.on_result("c1", CheckStatus::kCritical, t0 + seconds(1)));
}

}  // namespace
}  // namespace pot::agent
