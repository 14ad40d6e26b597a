#include "pot/leftovers.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "core/process.h"
#include "pot/run_state.h"

namespace pot {
namespace {

TEST(CreationEntry, NamesItsPotAndWhetherItsProcessRuns) {
  auto dead = parse_creation_entry(".creating.99999999.5.web.1");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->name, "web.1") << "a pot name may hold dots";
  EXPECT_FALSE(dead->creator_alive);
  EXPECT_FALSE(dead->destroying);

  std::string ours = creation_path("/x", "web").filename().string();
  auto live = parse_creation_entry(ours);
  ASSERT_TRUE(live.has_value()) << ours;
  EXPECT_TRUE(live->creator_alive);

  auto gone = parse_creation_entry(destruction_path("/x", "db").filename().string());
  ASSERT_TRUE(gone.has_value());
  EXPECT_TRUE(gone->destroying);
  EXPECT_EQ(gone->name, "db");
}

TEST(CreationEntry, OtherNamesAreNotEntries) {
  for (const char* name :
       {"web", ".creating.", ".creating.12", ".creating.12.34", ".creating.x.34.web",
        ".creating.12.y.web", ".destroyed.1.2.web", ".creating.-1.2.web"}) {
    EXPECT_FALSE(parse_creation_entry(name).has_value()) << name;
  }
}

TEST(RunFiles, NameTheirPot) {
  EXPECT_EQ(pot_of_run_file("web.lock"), "web");
  EXPECT_EQ(pot_of_run_file("web.state"), "web");
  EXPECT_EQ(pot_of_run_file("web.log"), "web");
  EXPECT_EQ(pot_of_run_file("web.log.3"), "web");
  EXPECT_EQ(pot_of_run_file("web.state.tmp.1234"), "web");
  EXPECT_EQ(pot_of_run_file("a.b.lock"), "a.b");
  EXPECT_EQ(pot_of_run_file("global"), "");
  EXPECT_EQ(pot_of_run_file(".lock"), "");
  EXPECT_EQ(pot_of_run_file("web.log.x"), "");
  EXPECT_EQ(pot_of_run_file("web.7"), "");
}

}  // namespace
}  // namespace pot
