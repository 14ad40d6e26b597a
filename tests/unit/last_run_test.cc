#include "pot/last_run.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace pot {
namespace {

TEST(LastRun, FormatsOneLineOfJson) {
  EXPECT_EQ(format_last_run(LastRun{3, 0, false}),
            R"({"ExitCode":3,"Signal":0,"OOMKilled":false})");
  EXPECT_EQ(format_last_run(LastRun{137, 9, true}),
            R"({"ExitCode":137,"Signal":9,"OOMKilled":true})");
}

TEST(LastRun, ParsesWhatItFormats) {
  for (const LastRun& run :
       {LastRun{0, 0, false}, LastRun{143, 15, false}, LastRun{137, 9, true}}) {
    auto parsed = parse_last_run(format_last_run(run) + "\n");
    ASSERT_TRUE(parsed) << format_last_run(run);
    EXPECT_EQ(parsed->exit_code, run.exit_code);
    EXPECT_EQ(parsed->signal, run.signal);
    EXPECT_EQ(parsed->oom_killed, run.oom_killed);
  }
}

TEST(LastRun, ReadsTheOriginalFormat) {
  auto old = parse_last_run("{\"ExitCode\":137}\n");
  ASSERT_TRUE(old);
  EXPECT_EQ(old->exit_code, 137);
  EXPECT_EQ(old->signal, 0) << "not recorded: unknown, not guessed";
  EXPECT_FALSE(old->oom_killed);
}

TEST(LastRun, ToleratesSpacesOrderAndUnknownNumbers) {
  auto run =
      parse_last_run(R"( { "OOMKilled" : true , "Later" : 5, "Signal":9,"ExitCode" : 137 } )");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->exit_code, 137);
  EXPECT_EQ(run->signal, 9);
  EXPECT_TRUE(run->oom_killed);
}

TEST(LastRun, RefusesWhatIsNotOne) {
  for (const char* text :
       {"", "{}", "{\"Signal\":9}", "{\"ExitCode\":}", "{\"ExitCode\":1", "{\"ExitCode\":1}x",
        "{\"ExitCode\":\"1\"}", "{\"OOMKilled\":yes}", "[1]", "{\"ExitCode\":99999999999}"}) {
    EXPECT_FALSE(parse_last_run(text)) << text;
  }
}

TEST(LastRun, ReadAndWriteThePotsFile) {
  testing::TempDir dir;
  testing::ScopedPotEnv env;
  env.set("POT_FS_ROOT", dir.path().string());
  env.set("POT_STORAGE", "dir");
  Context ctx(Settings::load(dir.path() / "no.conf"));
  fs::create_directories(ctx.settings().jail_dir("web") / "conf");
  EXPECT_FALSE(read_last_run(ctx, "web")) << "never ran";

  write_last_run(ctx, "web", LastRun{137, 9, true});
  EXPECT_EQ(testing::read_text(ctx.settings().jail_dir("web") / "conf" / ".last_run_stats"),
            "{\"ExitCode\":137,\"Signal\":9,\"OOMKilled\":true}\n");
  auto run = read_last_run(ctx, "web");
  ASSERT_TRUE(run);
  EXPECT_EQ(run->exit_code, 137);
  EXPECT_EQ(run->signal, 9);
  EXPECT_TRUE(run->oom_killed);
}

}  // namespace
}  // namespace pot
