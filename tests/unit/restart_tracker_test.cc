// The restart policy as Nomad's client applies it: attempts counted within the interval,
// "fail" and "delay" modes, the delay's jitter, batch tasks that succeed, start errors that
// cannot be retried, and the event each decision records.
#include "agent/client/restart_tracker.h"

#include <gtest/gtest.h>

namespace pot::agent {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::nanoseconds;
using std::chrono::seconds;
using Time = std::chrono::system_clock::time_point;

// A fixed moment, so every test reads its clock as offsets from it.
const Time kT0 = Time(seconds(1'700'000'000));

RestartPolicy policy(int attempts, nanoseconds interval, nanoseconds delay, std::string mode) {
  return RestartPolicy::from_json_fields(attempts, interval.count(), delay.count(), mode);
}

TaskExit exited(int code) {
  TaskExit exit;
  exit.exit_code = code;
  return exit;
}

RestartTracker no_jitter(RestartPolicy p, const std::string& type = "service") {
  return RestartTracker(std::move(p), type, [] { return 0.0; });
}

TEST(RestartTrackerTest, RestartsWithinPolicyAfterTheDelay) {
  RestartTracker tracker = no_jitter(policy(2, minutes(30), seconds(15), "fail"));
  RestartDecision d = tracker.on_exit(exited(1), kT0);
  EXPECT_EQ(d.action, RestartAction::kRestart);
  EXPECT_EQ(d.delay, seconds(15));
  EXPECT_FALSE(d.failed);
  EXPECT_EQ(d.event_type, "Restarting");
  EXPECT_EQ(d.reason, "Restart within policy");
  EXPECT_EQ(tracker.restart_count(), 1);
}

TEST(RestartTrackerTest, ModeFailStopsOnceTheAttemptsAreUsedUp) {
  RestartTracker tracker = no_jitter(policy(2, minutes(30), seconds(15), "fail"));
  EXPECT_EQ(tracker.on_exit(exited(1), kT0).action, RestartAction::kRestart);
  EXPECT_EQ(tracker.on_exit(exited(1), kT0 + minutes(1)).action, RestartAction::kRestart);
  RestartDecision third = tracker.on_exit(exited(1), kT0 + minutes(2));
  EXPECT_EQ(third.action, RestartAction::kNoRestart);
  EXPECT_TRUE(third.failed);
  EXPECT_EQ(third.event_type, "Not Restarting");
  EXPECT_EQ(third.reason, "Exceeded allowed attempts 2 in interval 30m0s and mode is \"fail\"");
  EXPECT_EQ(tracker.restart_count(), 2);
}

TEST(RestartTrackerTest, CountStartsOverAfterTheInterval) {
  RestartTracker tracker = no_jitter(policy(1, minutes(5), seconds(1), "fail"));
  EXPECT_EQ(tracker.on_exit(exited(1), kT0).action, RestartAction::kRestart);
  // The window opened at the first restart; an exit after its end opens a new one.
  EXPECT_EQ(tracker.on_exit(exited(1), kT0 + minutes(5) + seconds(1)).action,
            RestartAction::kRestart);
  // Within that new window the single attempt is used up.
  EXPECT_EQ(tracker.on_exit(exited(1), kT0 + minutes(6)).action, RestartAction::kNoRestart);
}

TEST(RestartTrackerTest, ModeDelayWaitsForTheIntervalsEndThenCountsAgain) {
  RestartTracker tracker = no_jitter(policy(1, minutes(10), seconds(5), "delay"));
  EXPECT_EQ(tracker.on_exit(exited(1), kT0).action, RestartAction::kRestart);
  RestartDecision wait = tracker.on_exit(exited(1), kT0 + minutes(4));
  EXPECT_EQ(wait.action, RestartAction::kWaitRestart);
  EXPECT_EQ(wait.delay, minutes(6)) << "until the end of the window opened at kT0";
  EXPECT_FALSE(wait.failed);
  EXPECT_EQ(wait.event_type, "Restarting");
  EXPECT_EQ(wait.reason, "Exceeded allowed attempts, applying a delay");
  // Restarted at the window's end, it fails again: a new window, within policy.
  RestartDecision after = tracker.on_exit(exited(1), kT0 + minutes(10) + seconds(30));
  EXPECT_EQ(after.action, RestartAction::kRestart);
  EXPECT_EQ(after.delay, seconds(5));
  EXPECT_EQ(tracker.restart_count(), 3);
}

TEST(RestartTrackerTest, JitterAddsUpToAQuarterOfTheDelay) {
  double fraction = 0.5;
  RestartTracker tracker(policy(5, minutes(30), seconds(20), "fail"), "service",
                         [&] { return fraction; });
  EXPECT_EQ(tracker.on_exit(exited(1), kT0).delay, seconds(22) + milliseconds(500));
  fraction = 0.999;
  nanoseconds most = tracker.on_exit(exited(1), kT0 + seconds(1)).delay;
  EXPECT_GT(most, seconds(24) + milliseconds(990));
  EXPECT_LT(most, seconds(25));
}

TEST(RestartTrackerTest, BatchTaskThatSucceedsIsDoneNotFailed) {
  for (const std::string type : {"batch", "sysbatch"}) {
    RestartTracker tracker = no_jitter(policy(3, minutes(30), seconds(15), "fail"), type);
    RestartDecision d = tracker.on_exit(exited(0), kT0);
    EXPECT_EQ(d.action, RestartAction::kNoRestart) << type;
    EXPECT_FALSE(d.failed) << type;
    EXPECT_EQ(d.reason, "Restart unnecessary as task terminated successfully") << type;
    EXPECT_EQ(d.event_type, "") << type << ": Nomad records no event for it";
    EXPECT_EQ(tracker.restart_count(), 0) << type;
  }
}

TEST(RestartTrackerTest, BatchTaskThatFailsRestarts) {
  RestartTracker tracker = no_jitter(policy(3, minutes(30), seconds(15), "fail"), "batch");
  EXPECT_EQ(tracker.on_exit(exited(2), kT0).action, RestartAction::kRestart);
  TaskExit killed;
  killed.signal = 9;
  EXPECT_EQ(tracker.on_exit(killed, kT0 + seconds(1)).action, RestartAction::kRestart)
      << "exit code 0 by a signal is no success";
}

TEST(RestartTrackerTest, ServiceAndSystemTasksRestartAfterExitZero) {
  for (const std::string type : {"service", "system"}) {
    RestartTracker tracker = no_jitter(policy(2, minutes(30), seconds(15), "fail"), type);
    RestartDecision d = tracker.on_exit(exited(0), kT0);
    EXPECT_EQ(d.action, RestartAction::kRestart) << type;
    EXPECT_EQ(d.reason, "Restart within policy") << type;
  }
}

TEST(RestartTrackerTest, UnrecoverableStartErrorFailsAtOnce) {
  RestartTracker tracker = no_jitter(policy(2, minutes(30), seconds(15), "fail"));
  TaskExit start;
  start.start_failed = true;
  start.recoverable = false;
  start.error = "image not found";
  RestartDecision d = tracker.on_exit(start, kT0);
  EXPECT_EQ(d.action, RestartAction::kNoRestart);
  EXPECT_TRUE(d.failed);
  EXPECT_EQ(d.event_type, "Not Restarting");
  EXPECT_EQ(d.reason, "Error was unrecoverable");
}

TEST(RestartTrackerTest, RecoverableStartErrorIsCountedLikeAFailure) {
  RestartTracker tracker = no_jitter(policy(1, minutes(30), seconds(15), "fail"));
  TaskExit start;
  start.start_failed = true;
  start.error = "pot busy";
  EXPECT_EQ(tracker.on_exit(start, kT0).action, RestartAction::kRestart);
  EXPECT_EQ(tracker.on_exit(start, kT0 + seconds(20)).action, RestartAction::kNoRestart);
}

TEST(RestartTrackerTest, ZeroAttemptsNeverRestarts) {
  RestartTracker service = no_jitter(policy(0, minutes(30), seconds(15), "fail"));
  RestartDecision d = service.on_exit(exited(0), kT0);
  EXPECT_EQ(d.action, RestartAction::kNoRestart);
  EXPECT_TRUE(d.failed);
  EXPECT_EQ(d.reason, "Policy allows no restarts");

  RestartTracker batch = no_jitter(policy(0, minutes(30), seconds(15), "fail"), "batch");
  EXPECT_FALSE(batch.on_exit(exited(0), kT0).failed);
  EXPECT_TRUE(batch.on_exit(exited(1), kT0).failed);
}

TEST(RestartTrackerTest, UserRestartIsNotCountedAgainstAttempts) {
  RestartTracker tracker = no_jitter(policy(1, minutes(30), seconds(15), "fail"));
  tracker.on_user_restart();
  tracker.on_user_restart();
  EXPECT_EQ(tracker.restart_count(), 2);
  EXPECT_EQ(tracker.on_exit(exited(1), kT0).action, RestartAction::kRestart);
  EXPECT_EQ(tracker.restart_count(), 3);
}

TEST(RestartTrackerTest, PolicyFromJobJson) {
  RestartPolicy p = RestartPolicy::from_json_fields(3, 86'400'000'000'000, 15'000'000'000, "");
  EXPECT_EQ(p.attempts, 3);
  EXPECT_EQ(p.interval, hours(24));
  EXPECT_EQ(p.delay, seconds(15));
  EXPECT_EQ(p.mode, "fail");
  EXPECT_EQ(RestartPolicy::from_json_fields(1, 1, 1, "delay").mode, "delay");
}

TEST(RestartTrackerTest, DurationsReadAsGoPrintsThem) {
  EXPECT_EQ(go_duration_string(nanoseconds(0)), "0s");
  EXPECT_EQ(go_duration_string(milliseconds(1500)), "1.5s");
  EXPECT_EQ(go_duration_string(seconds(15)), "15s");
  EXPECT_EQ(go_duration_string(minutes(30)), "30m0s");
  EXPECT_EQ(go_duration_string(hours(24)), "24h0m0s");
  EXPECT_EQ(go_duration_string(minutes(90)), "1h30m0s");
  EXPECT_EQ(go_duration_string(milliseconds(500)), "500ms");
  EXPECT_EQ(go_duration_string(std::chrono::microseconds(2)), "2\u00b5s");
  EXPECT_EQ(go_duration_string(nanoseconds(1500)), "1.5\u00b5s");
  EXPECT_EQ(go_duration_string(nanoseconds(42)), "42ns");
  EXPECT_EQ(go_duration_string(nanoseconds(1'000'000'001)), "1.000000001s");
  EXPECT_EQ(go_duration_string(hours(1) + seconds(1)), "1h0m1s");
  EXPECT_EQ(go_duration_string(-seconds(5)), "-5s");
}

}  // namespace
}  // namespace pot::agent
