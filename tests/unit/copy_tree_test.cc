#include "core/copy_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::list_dir;
using ::pot::testing::lstat_or_die;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

mode_t mode_of(const fs::path& path) {
  return lstat_or_die(path).st_mode & 07777;
}

void set_mtime(const fs::path& path, time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

UniqueFd open_dir(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  EXPECT_TRUE(fd.valid()) << path;
  return fd;
}

// Copies `from` (a directory) to `to` with copy_tree, using the parent directories' fds.
void copy_dir(const fs::path& from, const fs::path& to) {
  UniqueFd src = open_dir(from.parent_path());
  UniqueFd dst = open_dir(to.parent_path());
  copy_tree(src.get(), from.filename().string(), dst.get(), to.filename().string());
}

class CopyTreeTest : public ::testing::Test {
 protected:
  TempDir tmp_;
  fs::path src_ = tmp_ / "src";
  fs::path dst_ = tmp_ / "dst";
};

TEST_F(CopyTreeTest, CopiesFilesWithContentAndModes) {
  fs::create_directory(src_);
  write_text(src_ / "plain", "hello\n");
  write_text(src_ / "script", "#!/bin/sh\nexit 0\n");
  write_text(src_ / "secret", "s3cret");
  write_text(src_ / "empty", "");
  ::chmod((src_ / "plain").c_str(), 0644);
  ::chmod((src_ / "script").c_str(), 0755);
  ::chmod((src_ / "secret").c_str(), 0600);
  ::chmod((src_ / "empty").c_str(), 04711);
  ::chmod(src_.c_str(), 0751);

  copy_dir(src_, dst_);

  EXPECT_EQ(list_dir(dst_), (std::vector<std::string>{"empty", "plain", "script", "secret"}));
  EXPECT_EQ(read_text(dst_ / "plain"), "hello\n");
  EXPECT_EQ(read_text(dst_ / "script"), "#!/bin/sh\nexit 0\n");
  EXPECT_EQ(read_text(dst_ / "secret"), "s3cret");
  EXPECT_EQ(read_text(dst_ / "empty"), "");
  EXPECT_EQ(mode_of(dst_ / "plain"), 0644u);
  EXPECT_EQ(mode_of(dst_ / "script"), 0755u);
  EXPECT_EQ(mode_of(dst_ / "secret"), 0600u);
  EXPECT_EQ(mode_of(dst_ / "empty"), 04711u);
  EXPECT_EQ(mode_of(dst_), 0751u);
}

TEST_F(CopyTreeTest, CopiesALargeFile) {
  fs::create_directory(src_);
  std::string big;
  for (int i = 0; big.size() < (3u << 20); ++i) big += std::to_string(i) + "\n";
  write_text(src_ / "big", big);
  copy_dir(src_, dst_);
  EXPECT_EQ(read_text(dst_ / "big"), big);
}

TEST_F(CopyTreeTest, CopiesNestedDirectoriesAndKeepsTimes) {
  fs::create_directories(src_ / "a" / "b" / "c");
  fs::create_directories(src_ / "empty-dir");
  write_text(src_ / "a" / "one", "1");
  write_text(src_ / "a" / "b" / "two", "2");
  write_text(src_ / "a" / "b" / "c" / "three", "3");
  ::chmod((src_ / "a" / "b").c_str(), 0700);
  ::chmod((src_ / "a" / "b" / "c").c_str(), 0555);  // read-only directory with content
  set_mtime(src_ / "a" / "one", 1000000000);
  set_mtime(src_ / "a" / "b" / "c", 1100000000);

  copy_dir(src_, dst_);

  EXPECT_EQ(read_text(dst_ / "a" / "one"), "1");
  EXPECT_EQ(read_text(dst_ / "a" / "b" / "two"), "2");
  EXPECT_EQ(read_text(dst_ / "a" / "b" / "c" / "three"), "3");
  EXPECT_TRUE(fs::is_directory(dst_ / "empty-dir"));
  EXPECT_TRUE(fs::is_empty(dst_ / "empty-dir"));
  EXPECT_EQ(mode_of(dst_ / "a" / "b"), 0700u);
  EXPECT_EQ(mode_of(dst_ / "a" / "b" / "c"), 0555u);
  EXPECT_EQ(lstat_or_die(dst_ / "a" / "one").st_mtim.tv_sec, 1000000000);
  // A directory's time is set after its content is copied, so it survives.
  EXPECT_EQ(lstat_or_die(dst_ / "a" / "b" / "c").st_mtim.tv_sec, 1100000000);
}

TEST_F(CopyTreeTest, CopiesSymlinksAsLinks) {
  TempDir outside("pot-unit-outside");
  write_text(outside / "target", "outside");
  fs::create_directory(src_);
  write_text(src_ / "file", "inside");
  fs::create_directory(src_ / "dir");
  fs::create_symlink("file", src_ / "relative");
  fs::create_symlink(outside / "target", src_ / "absolute");
  fs::create_symlink("/nonexistent/dangling", src_ / "dangling");
  fs::create_symlink("dir", src_ / "dirlink");

  copy_dir(src_, dst_);

  for (const char* name : {"relative", "absolute", "dangling", "dirlink"}) {
    EXPECT_TRUE(S_ISLNK(lstat_or_die(dst_ / name).st_mode)) << name;
    EXPECT_EQ(fs::read_symlink(dst_ / name), fs::read_symlink(src_ / name)) << name;
  }
  // The link to a directory was not followed: nothing was copied through it.
  EXPECT_TRUE(fs::is_directory(dst_ / "dir"));
  EXPECT_EQ(read_text(outside / "target"), "outside");
}

TEST_F(CopyTreeTest, CopyingALinkAtTheTopCopiesTheLink) {
  fs::create_directory(src_);
  fs::create_symlink(src_, tmp_ / "link");
  UniqueFd fd = open_dir(tmp_.path());
  copy_tree(fd.get(), "link", fd.get(), "link-copy");
  EXPECT_TRUE(S_ISLNK(lstat_or_die(tmp_ / "link-copy").st_mode));
  EXPECT_EQ(fs::read_symlink(tmp_ / "link-copy"), src_);
}

TEST_F(CopyTreeTest, KeepsHardLinksTogether) {
  fs::create_directories(src_ / "sub");
  write_text(src_ / "h1", "shared");
  fs::create_hard_link(src_ / "h1", src_ / "h2");
  fs::create_hard_link(src_ / "h1", src_ / "sub" / "h3");
  write_text(src_ / "alone", "alone");

  copy_dir(src_, dst_);

  struct stat h1 = lstat_or_die(dst_ / "h1");
  struct stat h2 = lstat_or_die(dst_ / "h2");
  struct stat h3 = lstat_or_die(dst_ / "sub" / "h3");
  EXPECT_EQ(h1.st_ino, h2.st_ino);
  EXPECT_EQ(h1.st_ino, h3.st_ino);
  EXPECT_EQ(h1.st_nlink, 3u);
  EXPECT_NE(h1.st_ino, lstat_or_die(src_ / "h1").st_ino);  // a copy, not a link to the source
  EXPECT_EQ(read_text(dst_ / "sub" / "h3"), "shared");
  EXPECT_EQ(lstat_or_die(dst_ / "alone").st_nlink, 1u);
}

TEST_F(CopyTreeTest, CopiesFifos) {
  fs::create_directory(src_);
  ASSERT_EQ(::mkfifo((src_ / "fifo").c_str(), 0600), 0);
  ASSERT_EQ(::chmod((src_ / "fifo").c_str(), 0620), 0);  // past the umask
  copy_dir(src_, dst_);
  struct stat st = lstat_or_die(dst_ / "fifo");
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
}

TEST_F(CopyTreeTest, MergesIntoAnExistingDirectory) {
  fs::create_directories(src_ / "etc");
  write_text(src_ / "etc" / "rc.conf", "new");
  write_text(src_ / "etc" / "added", "added");
  fs::create_directories(dst_ / "etc");
  write_text(dst_ / "etc" / "rc.conf", "old");
  write_text(dst_ / "etc" / "kept", "kept");
  write_text(dst_ / "untouched", "untouched");

  copy_dir(src_, dst_);

  EXPECT_EQ(list_dir(dst_ / "etc"), (std::vector<std::string>{"added", "kept", "rc.conf"}));
  EXPECT_EQ(read_text(dst_ / "etc" / "rc.conf"), "new");
  EXPECT_EQ(read_text(dst_ / "etc" / "added"), "added");
  EXPECT_EQ(read_text(dst_ / "etc" / "kept"), "kept");
  EXPECT_EQ(read_text(dst_ / "untouched"), "untouched");
}

// Merging a tree with hard links (FreeBSD's /bin/test and /bin/[, for one) over a copy that
// already has those names replaces them, as it does for other files and as cp -a does.
TEST_F(CopyTreeTest, MergeReplacesExistingHardLinkedNames) {
  fs::create_directory(src_);
  write_text(src_ / "test", "new");
  fs::create_hard_link(src_ / "test", src_ / "[");
  fs::create_directory(dst_);
  write_text(dst_ / "test", "old");
  write_text(dst_ / "[", "old");

  copy_dir(src_, dst_);

  EXPECT_EQ(read_text(dst_ / "test"), "new");
  EXPECT_EQ(read_text(dst_ / "["), "new");
  EXPECT_EQ(lstat_or_die(dst_ / "test").st_ino, lstat_or_die(dst_ / "[").st_ino);
}

TEST_F(CopyTreeTest, MergeReplacesASymlinkInsteadOfWritingThroughIt) {
  TempDir outside("pot-unit-outside");
  write_text(outside / "victim", "precious");
  fs::create_directory(src_);
  write_text(src_ / "file", "from the copy");
  fs::create_directory(dst_);
  fs::create_symlink(outside / "victim", dst_ / "file");

  copy_dir(src_, dst_);

  EXPECT_EQ(read_text(outside / "victim"), "precious");
  EXPECT_FALSE(S_ISLNK(lstat_or_die(dst_ / "file").st_mode));
  EXPECT_EQ(read_text(dst_ / "file"), "from the copy");
}

TEST_F(CopyTreeTest, MergeNeverDescendsIntoASymlinkedDirectory) {
  TempDir outside("pot-unit-outside");
  fs::create_directories(src_ / "etc");
  write_text(src_ / "etc" / "passwd", "pot");
  fs::create_directory(dst_);
  fs::create_symlink(outside.path(), dst_ / "etc");

  EXPECT_THROW(copy_dir(src_, dst_), Error);
  EXPECT_TRUE(list_dir(outside.path()).empty());
}

TEST_F(CopyTreeTest, AcceptsAnAbsoluteSourcePath) {
  fs::create_directory(src_);
  write_text(src_ / "file", "x");
  UniqueFd dst_parent = open_dir(tmp_.path());
  copy_tree(AT_FDCWD, src_.string(), dst_parent.get(), "dst");
  EXPECT_EQ(read_text(dst_ / "file"), "x");
}

TEST_F(CopyTreeTest, MissingSourceThrows) {
  UniqueFd fd = open_dir(tmp_.path());
  EXPECT_THROW(copy_tree(fd.get(), "missing", fd.get(), "dst"), Error);
  EXPECT_FALSE(fs::exists(dst_));
}

}  // namespace
}  // namespace pot
