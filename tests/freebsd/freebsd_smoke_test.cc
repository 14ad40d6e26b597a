// The FreeBSD platform end to end on the fakes: a public-bridge pot starts, runs its
// command in its jail, and stops leaving nothing of its run.
#include <gtest/gtest.h>

#include "freebsd_host.h"

namespace pot::testing {
namespace {

TEST(FreeBsdSmoke, APublicBridgePotStartsRunsAndStopsLeavingNothing) {
  FreeBsdHost bsd;
  bsd.init_with_base();
  ASSERT_TRUE(bsd.pot({"create", "-p", "web", "-b", "14.1", "-N", "public-bridge"}).ok());
  ASSERT_TRUE(bsd.pot({"set-cmd", "-p", "web", "-c", "sleep 300"}).ok());
  PotRun start = bsd.pot({"start", "-p", "web"});
  ASSERT_TRUE(start.ok()) << start.err;
  EXPECT_TRUE(bsd.has_jail("web"));
  PotRun exec = bsd.pot({"exec", "-p", "web", "/bin/echo", "inside"});
  EXPECT_EQ(exec.out, "inside\n");
  ASSERT_TRUE(bsd.pot({"stop", "-p", "web"}).ok());
  EXPECT_FALSE(bsd.has_jail("web"));
  EXPECT_TRUE(bsd.mounts().empty());
  for (const auto& anchor : {"pot-rdr/web"}) EXPECT_TRUE(bsd.anchor_rules(anchor).empty());
  ASSERT_TRUE(bsd.pot({"destroy", "-p", "web"}).ok());
  EXPECT_FALSE(bsd.has_dataset("zroot/pot/jails/web"));
}

}  // namespace
}  // namespace pot::testing
