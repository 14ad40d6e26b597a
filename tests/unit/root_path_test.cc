#include "runtime/root_path.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <string>

#include "core/error.h"
#include "core/unique_fd.h"
#include "test_util.h"

namespace pot {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::HasText;
using ::pot::testing::list_dir;
using ::pot::testing::read_text;
using ::pot::testing::read_until_end;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

bool same_inode(int fd, const fs::path& path) {
  struct stat a {
  }, b{};
  return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev &&
         a.st_ino == b.st_ino;
}

// A pot root with hostile links in it:
//   root/etc/passwd        the pot's own file
//   root/hostetc -> /etc   absolute link: means the pot's /etc
//   root/up -> ../../..    climbs as far as it can: stops at the pot's /
//   root/loop -> /loop     points at itself
class RootPathTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::create_directories(root_ / "etc");
    write_text(root_ / "etc" / "passwd", "pot:x:0:0::/root:/bin/sh\n");
    fs::create_symlink("/etc", root_ / "hostetc");
    fs::create_symlink("../../..", root_ / "up");
    fs::create_symlink("/loop", root_ / "loop");
    root_fd_ = open_root_dir(root_.c_str());
  }

  TempDir tmp_;
  fs::path root_ = tmp_ / "root";
  UniqueFd root_fd_;
};

TEST_F(RootPathTest, OpensPlainPaths) {
  UniqueFd fd = open_in_root(root_fd_.get(), "etc/passwd", O_RDONLY);
  EXPECT_EQ(read_until_end(fd.get()), "pot:x:0:0::/root:/bin/sh\n");
  UniqueFd abs = open_in_root(root_fd_.get(), "/etc/passwd", O_RDONLY);
  EXPECT_EQ(read_until_end(abs.get()), "pot:x:0:0::/root:/bin/sh\n");
  UniqueFd top = open_in_root(root_fd_.get(), "/", O_PATH | O_DIRECTORY);
  EXPECT_TRUE(same_inode(top.get(), root_));
}

TEST_F(RootPathTest, AbsoluteSymlinkStaysInsideTheRoot) {
  UniqueFd fd = open_in_root(root_fd_.get(), "hostetc/passwd", O_RDONLY);
  EXPECT_EQ(read_until_end(fd.get()), "pot:x:0:0::/root:/bin/sh\n");
  EXPECT_TRUE(same_inode(fd.get(), root_ / "etc" / "passwd"));
  EXPECT_FALSE(same_inode(fd.get(), "/etc/passwd"));
}

TEST_F(RootPathTest, DotDotStopsAtTheRoot) {
  UniqueFd via_link = open_in_root(root_fd_.get(), "up/etc/passwd", O_RDONLY);
  EXPECT_TRUE(same_inode(via_link.get(), root_ / "etc" / "passwd"));
  UniqueFd via_path = open_in_root(root_fd_.get(), "../../../../etc/passwd", O_RDONLY);
  EXPECT_TRUE(same_inode(via_path.get(), root_ / "etc" / "passwd"));
  UniqueFd up = open_in_root(root_fd_.get(), "up", O_PATH | O_DIRECTORY);
  EXPECT_TRUE(same_inode(up.get(), root_));
}

TEST_F(RootPathTest, HostFileMissingInsideTheRootIsNotFound) {
  // /etc/hostname (or any host file) exists on the host, not in the pot.
  fs::path host_file = fs::exists("/etc/hostname") ? "etc/hostname" : "etc/os-release";
  for (std::string path : {host_file.string(), "hostetc/" + host_file.filename().string(),
                           "up/" + host_file.string()}) {
    try {
      open_in_root(root_fd_.get(), path, O_RDONLY);
      ADD_FAILURE() << path << " was opened";
    } catch (const Error& e) {
      EXPECT_EQ(e.sys_errno(), ENOENT) << path;
      EXPECT_TRUE(HasText(e.what(), "inside the pot")) << path;
    }
  }
}

TEST_F(RootPathTest, SelfLoopFails) {
  try {
    open_in_root(root_fd_.get(), "loop", O_RDONLY);
    ADD_FAILURE() << "loop was opened";
  } catch (const Error& e) {
    EXPECT_EQ(e.sys_errno(), ELOOP);
    EXPECT_TRUE(HasText(e.what(), "`/loop`"));
  }
}

TEST_F(RootPathTest, CreateThroughAbsoluteLinkCreatesInsideTheRoot) {
  TempDir outside("pot-unit-outside");
  fs::create_symlink(outside.path(), root_ / "out");
  fs::create_directories(root_ / outside.path().relative_path());  // the pot's own copy
  {
    UniqueFd fd = open_in_root(root_fd_.get(), "out/created", O_WRONLY | O_CREAT | O_EXCL, 0600);
    ASSERT_TRUE(fd.valid());
  }
  EXPECT_TRUE(fs::exists(root_ / outside.path().relative_path() / "created"));
  EXPECT_TRUE(list_dir(outside.path()).empty());
}

TEST_F(RootPathTest, MakeDirsCreatesNestedDirectories) {
  UniqueFd fd = make_dirs_in_root(root_fd_.get(), "/var/db/pot", 0750);
  EXPECT_TRUE(same_inode(fd.get(), root_ / "var" / "db" / "pot"));
  struct stat st {};
  ASSERT_EQ(::stat((root_ / "var" / "db" / "pot").c_str(), &st), 0);
  EXPECT_TRUE(S_ISDIR(st.st_mode));
  // Existing directories are fine, and "/" is the root itself.
  UniqueFd again = make_dirs_in_root(root_fd_.get(), "var//db/./pot/", 0750);
  EXPECT_TRUE(same_inode(again.get(), root_ / "var" / "db" / "pot"));
  UniqueFd top = make_dirs_in_root(root_fd_.get(), "/");
  EXPECT_TRUE(same_inode(top.get(), root_));
}

TEST_F(RootPathTest, MakeDirsThroughAbsoluteLinkStaysInside) {
  TempDir outside("pot-unit-outside");
  fs::create_symlink(outside.path(), root_ / "link");
  fs::path inside_target = root_ / outside.path().relative_path();
  fs::create_directories(inside_target);

  UniqueFd fd = make_dirs_in_root(root_fd_.get(), "link/a/b");
  EXPECT_TRUE(same_inode(fd.get(), inside_target / "a" / "b"));
  EXPECT_TRUE(fs::is_directory(inside_target / "a" / "b"));
  EXPECT_TRUE(list_dir(outside.path()).empty());
}

TEST_F(RootPathTest, MakeDirsThroughDanglingLinkNeverTouchesTheHost) {
  TempDir outside("pot-unit-outside");
  fs::create_symlink(outside.path(), root_ / "link");
  // The link's target does not exist inside the root: like mkdir -p in a chroot, this may
  // fail, but it must never create anything in the host directory.
  try {
    make_dirs_in_root(root_fd_.get(), "link/a/b");
    EXPECT_TRUE(fs::is_directory(root_ / outside.path().relative_path() / "a" / "b"));
  } catch (const Error& e) {
    EXPECT_TRUE(HasText(e.what(), "inside the pot"));
  }
  EXPECT_TRUE(list_dir(outside.path()).empty());
}

TEST_F(RootPathTest, MakeDirsThroughDotDotLinkStaysInside) {
  UniqueFd fd = make_dirs_in_root(root_fd_.get(), "up/../up/x");
  EXPECT_TRUE(same_inode(fd.get(), root_ / "x"));
  EXPECT_FALSE(fs::exists(tmp_ / "x"));
}

TEST(RootPath, OpenRootDirOfMissingPathThrows) {
  TempDir tmp;
  EXPECT_THROW(open_root_dir((tmp / "missing").c_str()), Error);
}

}  // namespace
}  // namespace pot
