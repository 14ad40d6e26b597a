// The thresholds of a check (success_before_passing, failures_before_critical) on sequences
// of raw results; the scheduler's tests run them against real checks.
#include "agent/services/check_thresholds.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

namespace pot::agent {
namespace {

constexpr auto kPassing = CheckStatus::kPassing;
constexpr auto kWarning = CheckStatus::kWarning;
constexpr auto kCritical = CheckStatus::kCritical;

// What is reported for each result in turn (nullopt: held back).
std::vector<std::optional<CheckStatus>> feed(CheckThresholds& thresholds,
                                             const std::vector<CheckStatus>& results) {
  std::vector<std::optional<CheckStatus>> reported;
  for (CheckStatus result : results) reported.push_back(thresholds.on_result(result));
  return reported;
}

TEST(CheckThresholds, WithoutThresholdsEveryResultIsReported) {
  CheckThresholds thresholds(kCritical, 0, 0);
  EXPECT_EQ(feed(thresholds, {kPassing, kCritical, kWarning, kPassing}),
            (std::vector<std::optional<CheckStatus>>{kPassing, kCritical, kWarning, kPassing}));
  EXPECT_EQ(thresholds.reported(), kPassing);
}

TEST(CheckThresholds, OneMeansAtOnceLikeZero) {
  CheckThresholds thresholds(kCritical, 1, 1);
  EXPECT_EQ(thresholds.on_result(kPassing), kPassing);
  EXPECT_EQ(thresholds.on_result(kCritical), kCritical);
}

TEST(CheckThresholds, SuccessBeforePassingCountsFromTheInitialCriticalStatus) {
  CheckThresholds thresholds(kCritical, 3, 0);
  EXPECT_EQ(
      feed(thresholds, {kPassing, kPassing, kPassing, kPassing}),
      (std::vector<std::optional<CheckStatus>>{std::nullopt, std::nullopt, kPassing, kPassing}));
}

TEST(CheckThresholds, AFailureRestartsTheCountOfSuccesses) {
  CheckThresholds thresholds(kCritical, 2, 0);
  EXPECT_EQ(
      feed(thresholds, {kPassing, kCritical, kPassing, kPassing}),
      (std::vector<std::optional<CheckStatus>>{std::nullopt, kCritical, std::nullopt, kPassing}));
}

TEST(CheckThresholds, FailuresBeforeCriticalHoldsAPassingCheck) {
  CheckThresholds thresholds(kPassing, 0, 3);
  EXPECT_EQ(
      feed(thresholds, {kCritical, kCritical, kCritical, kCritical}),
      (std::vector<std::optional<CheckStatus>>{std::nullopt, std::nullopt, kCritical, kCritical}));
  EXPECT_EQ(thresholds.reported(), kCritical);
}

TEST(CheckThresholds, ASuccessRestartsTheCountOfFailures) {
  CheckThresholds thresholds(kPassing, 0, 2);
  EXPECT_EQ(
      feed(thresholds, {kCritical, kPassing, kCritical, kCritical}),
      (std::vector<std::optional<CheckStatus>>{std::nullopt, kPassing, std::nullopt, kCritical}));
}

TEST(CheckThresholds, AnInitialPassingStatusNeedsNoSuccesses) {
  CheckThresholds thresholds(kPassing, 3, 0);
  EXPECT_EQ(thresholds.on_result(kPassing), kPassing);
}

TEST(CheckThresholds, AWarningCountsAsASuccess) {
  // Leaving critical waits for the successes, warnings among them; the status reported is
  // the last result's.
  CheckThresholds thresholds(kCritical, 2, 2);
  EXPECT_EQ(feed(thresholds, {kWarning, kWarning}),
            (std::vector<std::optional<CheckStatus>>{std::nullopt, kWarning}));
  // Between passing and warning there is no threshold.
  EXPECT_EQ(thresholds.on_result(kPassing), kPassing);
  EXPECT_EQ(thresholds.on_result(kWarning), kWarning);
  // A warning is not a failure: it breaks a run of failures.
  EXPECT_EQ(feed(thresholds, {kCritical, kWarning, kCritical}),
            (std::vector<std::optional<CheckStatus>>{std::nullopt, kWarning, std::nullopt}));
  EXPECT_EQ(thresholds.reported(), kWarning);
}

TEST(CheckThresholds, ACriticalCheckReportsEveryFailure) {
  // Its output changes with each failure; only leaving critical waits.
  CheckThresholds thresholds(kCritical, 3, 3);
  EXPECT_EQ(feed(thresholds, {kCritical, kCritical}),
            (std::vector<std::optional<CheckStatus>>{kCritical, kCritical}));
}

}  // namespace
}  // namespace pot::agent
