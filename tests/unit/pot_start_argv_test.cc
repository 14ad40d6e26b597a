// The `pot start` a task driver runs: its two outputs, and the numbering the pot's monitor
// applies to them when the scheduler asks for rotated logs.
#include <gtest/gtest.h>

#include "driver/pot_command.h"

namespace pot::driver {
namespace {

using Argv = std::vector<std::string>;

TaskRequest request_with_paths() {
  TaskRequest request;
  request.stdout_path = "/allocs/a/alloc/logs/web.stdout";
  request.stderr_path = "/allocs/a/alloc/logs/web.stderr";
  return request;
}

TEST(PotStartArgvTest, FilesOrFifosWithoutRotation) {
  EXPECT_EQ(pot_start_argv(request_with_paths(), "web_a"),
            (Argv{"start", "-O", "/allocs/a/alloc/logs/web.stdout", "-E",
                  "/allocs/a/alloc/logs/web.stderr", "web_a"}));
}

TEST(PotStartArgvTest, NumberedFilesWithLogRotation) {
  TaskRequest request = request_with_paths();
  request.log_rotation = LogRotationRequest{3, 25};
  EXPECT_EQ(pot_start_argv(request, "web_a"),
            (Argv{"start", "-O", "/allocs/a/alloc/logs/web.stdout", "-E",
                  "/allocs/a/alloc/logs/web.stderr", "-N", "3", "-Z", "25M", "web_a"}));
}

}  // namespace
}  // namespace pot::driver
