#include "runtime/rotating_log.h"

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;

TEST(RotatingLog, AppendsUntilTheSizeThenRotatesKeepingMaxFiles) {
  TempDir dir;
  fs::path path = dir / "web.log";
  RotatingLog log({path, 100, 3});
  std::string all;
  for (int i = 0; i < 50; ++i) {
    std::string line = "line " + std::to_string(i) + "\n";  // 7-8 bytes
    all += line;
    log.write(line);
  }
  // 50 lines of about 7.8 bytes: four files' worth at 100 bytes, of which three are kept.
  ASSERT_TRUE(fs::exists(path));
  ASSERT_TRUE(fs::exists(path.string() + ".1"));
  ASSERT_TRUE(fs::exists(path.string() + ".2"));
  EXPECT_FALSE(fs::exists(path.string() + ".3"));
  for (const auto& file : {path.string(), path.string() + ".1", path.string() + ".2"})
    EXPECT_LE(fs::file_size(file), 100U) << file;
  EXPECT_EQ(fs::file_size(path.string() + ".1"), 100U) << "a rotated file is full";
  std::string kept =
      read_text(path.string() + ".2") + read_text(path.string() + ".1") + read_text(path);
  EXPECT_EQ(kept, all.substr(all.size() - kept.size())) << "the newest bytes, in order";
}

TEST(RotatingLog, ContinuesAnExistingFile) {
  TempDir dir;
  fs::path path = dir / "web.log";
  ::pot::testing::write_text(path, std::string(90, 'a'));
  {
    RotatingLog log({path, 100, 2});
    log.write(std::string(20, 'b'));  // 10 fit, then a rotation
  }
  EXPECT_EQ(read_text(path.string() + ".1"), std::string(90, 'a') + std::string(10, 'b'));
  EXPECT_EQ(read_text(path), std::string(10, 'b'));
}

TEST(RotatingLog, OneFileIsTruncatedInPlace) {
  TempDir dir;
  fs::path path = dir / "web.log";
  RotatingLog log({path, 10, 1});
  log.write("0123456789abc");
  EXPECT_EQ(read_text(path), "abc");
  EXPECT_FALSE(fs::exists(path.string() + ".1"));
}

}  // namespace
}  // namespace pot
