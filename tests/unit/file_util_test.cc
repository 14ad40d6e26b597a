#include "core/file_util.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::HasText;
using ::pot::testing::list_dir;
using ::pot::testing::lstat_or_die;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

TEST(ReadFile, ReadsWholeFiles) {
  TempDir dir;
  std::string content(100000, 'x');
  content += "end";
  write_text(dir / "f", content);
  EXPECT_EQ(read_file(dir / "f"), content);
  EXPECT_EQ(read_file_if_exists(dir / "f"), content);
}

TEST(ReadFile, MissingFile) {
  TempDir dir;
  EXPECT_EQ(read_file_if_exists(dir / "missing"), std::nullopt);
  try {
    read_file(dir / "missing");
    ADD_FAILURE() << "read a missing file";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ENOENT);
    EXPECT_TRUE(HasText(e.what(), "`" + (dir / "missing").string() + "`"));
  }
}

TEST(WriteFileAtomic, CreatesAndReplacesWithMode) {
  TempDir dir;
  write_file_atomic(dir / "f", "one", 0600);
  EXPECT_EQ(read_text(dir / "f"), "one");
  EXPECT_EQ(lstat_or_die(dir / "f").st_mode & 07777, 0600u);
  write_file_atomic(dir / "f", "two");
  EXPECT_EQ(read_text(dir / "f"), "two");
  EXPECT_EQ(lstat_or_die(dir / "f").st_mode & 07777, 0644u);
  EXPECT_EQ(list_dir(dir.path()), (std::vector<std::string>{"f"}));
}

TEST(WriteFileAtomic, ReplacesASymlinkRatherThanWritingThroughIt) {
  TempDir dir;
  write_text(dir / "target", "keep");
  fs::create_symlink(dir / "target", dir / "link");
  write_file_atomic(dir / "link", "new");
  EXPECT_EQ(read_text(dir / "target"), "keep");
  EXPECT_FALSE(fs::is_symlink(dir / "link"));
  EXPECT_EQ(read_text(dir / "link"), "new");
}

TEST(MakeDirs, CreatesParentsWithModeAndAcceptsExisting) {
  TempDir dir;
  make_dirs(dir / "a" / "b" / "c", 0700);
  EXPECT_TRUE(fs::is_directory(dir / "a" / "b" / "c"));
  EXPECT_EQ(lstat_or_die(dir / "a" / "b").st_mode & 0777, 0700u);
  EXPECT_NO_THROW(make_dirs(dir / "a" / "b" / "c"));
  write_text(dir / "file", "");
  try {
    make_dirs(dir / "file");
    ADD_FAILURE() << "made a directory over a file";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ENOTDIR);
  }
}

TEST(RemoveTree, RemovesWithoutFollowingLinks) {
  TempDir dir;
  TempDir outside("pot-unit-outside");
  write_text(outside / "keep", "keep");
  fs::create_directories(dir / "tree" / "sub");
  write_text(dir / "tree" / "sub" / "f", "f");
  fs::create_symlink(outside.path(), dir / "tree" / "link");
  remove_tree(dir / "tree");
  EXPECT_FALSE(fs::exists(dir / "tree"));
  EXPECT_EQ(read_text(outside / "keep"), "keep");
  EXPECT_NO_THROW(remove_tree(dir / "tree"));  // missing is fine
}

TEST(AbandonedTempFiles, OnlyNamesOfProcessesThatAreGone) {
  std::string alive = std::to_string(::getpid());
  // pid_max is at most 4194304: a larger pid never runs.
  EXPECT_TRUE(is_abandoned_temp_file("web.state.tmp.99999999"));
  EXPECT_TRUE(is_abandoned_temp_file(".site_1.0.tar.zst.tmp.99999999.0.12345"));
  EXPECT_FALSE(is_abandoned_temp_file("web.state.tmp." + alive));
  EXPECT_FALSE(is_abandoned_temp_file("web.state"));
  EXPECT_FALSE(is_abandoned_temp_file("web.tmp.lock"));
  EXPECT_FALSE(is_abandoned_temp_file("a.tmp.99999999_1.0.tar.zst")) << "an image of pot a.tmp.N";

  TempDir dir;
  write_text(dir / "index.json.tmp.99999999", "half");
  write_text(dir / ("index.json.tmp." + alive), "in progress");
  write_text(dir / "index.json", "{}");
  remove_abandoned_temp_files(dir.path());
  EXPECT_EQ(list_dir(dir.path()),
            (std::vector<std::string>{"index.json", "index.json.tmp." + alive}));
}

}  // namespace
}  // namespace pot
