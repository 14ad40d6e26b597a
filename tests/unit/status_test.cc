#include "core/status.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;

constexpr Status kAll[] = {Status::kStopped, Status::kStarting, Status::kStarted, Status::kDoa,
                           Status::kStopping};

// The moves the machine has (see status.h); every other pair is refused.
const std::set<std::pair<Status, Status>>& allowed() {
  static const std::set<std::pair<Status, Status>> kAllowed = {
      {Status::kStopped, Status::kStarting}, {Status::kStarting, Status::kStarted},
      {Status::kStarting, Status::kDoa},     {Status::kStarting, Status::kStopping},
      {Status::kStarted, Status::kStopping}, {Status::kDoa, Status::kStopping},
      {Status::kStopping, Status::kStopped},
  };
  return kAllowed;
}

TEST(Status, AllowsExactlyTheMachinesMoves) {
  for (Status from : kAll) {
    for (Status to : kAll) {
      bool expected = allowed().count({from, to}) > 0;
      EXPECT_EQ(can_transition(from, to), expected) << to_string(from) << " -> " << to_string(to);
      if (expected) {
        EXPECT_NO_THROW(check_transition("web", from, to));
      } else {
        EXPECT_THROW(check_transition("web", from, to), Error);
      }
    }
  }
}

TEST(Status, FullLifecycles) {
  // A normal start and stop.
  EXPECT_TRUE(can_transition(Status::kStopped, Status::kStarting));
  EXPECT_TRUE(can_transition(Status::kStarting, Status::kStarted));
  EXPECT_TRUE(can_transition(Status::kStarted, Status::kStopping));
  EXPECT_TRUE(can_transition(Status::kStopping, Status::kStopped));
  // A failed start is cleaned like a running pot.
  EXPECT_TRUE(can_transition(Status::kStarting, Status::kDoa));
  EXPECT_TRUE(can_transition(Status::kDoa, Status::kStopping));
}

TEST(Status, RefusesShortcutsAndSelfMoves) {
  EXPECT_FALSE(can_transition(Status::kStopped, Status::kStarted));
  EXPECT_FALSE(can_transition(Status::kStarted, Status::kStopped));
  EXPECT_FALSE(can_transition(Status::kStarted, Status::kStarting));
  EXPECT_FALSE(can_transition(Status::kDoa, Status::kStarted));
  EXPECT_FALSE(can_transition(Status::kStopping, Status::kStarting));
  for (Status s : kAll) EXPECT_FALSE(can_transition(s, s)) << to_string(s);
}

TEST(Status, RefusalNamesThePotAndBothStates) {
  std::string message =
      ErrorOf([] { check_transition("web", Status::kStopped, Status::kStarted); });
  EXPECT_TRUE(HasText(message, "`web`"));
  EXPECT_TRUE(HasText(message, "stopped"));
  EXPECT_TRUE(HasText(message, "started"));

  message = ErrorOf([] { check_transition("db", Status::kStarted, Status::kStopped); });
  EXPECT_TRUE(HasText(message, "pot `db` is started, cannot go to stopped"));
}

TEST(Status, NamesAreTheOriginals) {
  EXPECT_EQ(to_string(Status::kStopped), "stopped");
  EXPECT_EQ(to_string(Status::kStarting), "starting");
  EXPECT_EQ(to_string(Status::kStarted), "started");
  EXPECT_EQ(to_string(Status::kDoa), "doa");
  EXPECT_EQ(to_string(Status::kStopping), "stopping");
}

TEST(Status, ToStringAndParseRoundTrip) {
  for (Status s : kAll) {
    auto parsed = parse_status(to_string(s));
    ASSERT_TRUE(parsed.has_value()) << to_string(s);
    EXPECT_EQ(*parsed, s);
  }
}

TEST(Status, ParseRejectsUnknownText) {
  for (const char* bad : {"", "running", "stop", "started ", "unknown"}) {
    EXPECT_FALSE(parse_status(bad).has_value()) << '"' << bad << '"';
  }
}

}  // namespace
}  // namespace pot
