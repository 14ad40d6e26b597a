// What a test needs from the machine (root, a cgroup2 hierarchy, a tool): off CI a test
// whose need is not met skips and says why; in CI (POT_CI=1, set by .ci/run) it fails, so a
// CI machine that cannot run a test never passes for one that ran it.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include <gtest/gtest.h>

namespace pot::testing {

inline bool in_ci() {
  const char* ci = std::getenv("POT_CI");
  return ci != nullptr && std::string_view(ci) == "1";
}

}  // namespace pot::testing

// POT_REQUIRE(condition, "why the test needs it"): a skip off CI, a failure in CI. Like
// GTEST_SKIP it returns from the calling function (use it in SetUp or the test's body).
#define POT_REQUIRE(condition, reason)                                           \
  do {                                                                           \
    if (!(condition)) {                                                          \
      if (::pot::testing::in_ci()) GTEST_FAIL() << "required in CI: " << reason; \
      GTEST_SKIP() << reason;                                                    \
    }                                                                            \
  } while (false)

#define POT_REQUIRE_ROOT(what) POT_REQUIRE(::geteuid() == 0, what " need root")
