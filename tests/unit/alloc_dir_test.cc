// An allocation's directory on the host: Nomad's layout with its modes, removal that stays
// inside, the numbered log files of a task's stream, and the IDs allowed to name one.
#include "agent/client/alloc_dir.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_util.h"

namespace pot::agent {
namespace {

using pot::testing::TempDir;
using pot::testing::write_text;
namespace fs = std::filesystem;

constexpr const char* kAllocId = "8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d";

mode_t mode_of(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

TEST(AllocDirTest, BuildsNomadsLayoutWithItsModes) {
  TempDir root;
  AllocDir dir(root.path() / "allocs", kAllocId);
  // Whatever the caller's umask, the modes are the layout's.
  mode_t old_umask = ::umask(077);
  dir.build({"web", "sidecar"});
  ::umask(old_umask);

  EXPECT_EQ(dir.path(), root.path() / "allocs" / kAllocId);
  EXPECT_EQ(mode_of(dir.path() / "alloc"), 0755u);
  EXPECT_EQ(mode_of(dir.path() / "alloc" / "data"), 0755u);
  EXPECT_EQ(mode_of(dir.logs_dir()), 0755u);
  EXPECT_EQ(dir.logs_dir(), dir.path() / "alloc" / "logs");
  EXPECT_EQ(mode_of(dir.path() / "alloc" / "tmp"), 01777u);
  for (const char* task : {"web", "sidecar"}) {
    EXPECT_EQ(mode_of(dir.task_dir(task)), 0755u) << task;
    EXPECT_EQ(mode_of(dir.task_dir(task) / "local"), 0755u) << task;
    EXPECT_EQ(mode_of(dir.task_dir(task) / "secrets"), 0700u) << task;
    EXPECT_EQ(mode_of(dir.task_dir(task) / "tmp"), 01777u) << task;
  }
  EXPECT_EQ(dir.log_prefix("web", "stdout"), dir.logs_dir() / "web.stdout");
}

TEST(AllocDirTest, BuildIsIdempotentAndKeepsWhatIsThere) {
  TempDir root;
  AllocDir dir(root.path(), kAllocId);
  dir.build({"web"});
  write_text(dir.path() / "alloc" / "data" / "state", "kept");
  ::chmod((dir.task_dir("web") / "secrets").c_str(), 0755);
  dir.build({"web"});
  EXPECT_EQ(pot::testing::read_text(dir.path() / "alloc" / "data" / "state"), "kept");
  EXPECT_EQ(mode_of(dir.task_dir("web") / "secrets"), 0700u) << "the mode is put back";
}

TEST(AllocDirTest, RefusesASymlinkPlantedForADirectory) {
  TempDir root;
  AllocDir dir(root.path() / "allocs", kAllocId);
  dir.build({"web"});
  fs::path outside = root.path() / "outside";
  fs::create_directory(outside);
  ::chmod(outside.c_str(), 0711);
  fs::remove(dir.path() / "alloc" / "tmp");
  fs::create_directory_symlink(outside, dir.path() / "alloc" / "tmp");
  EXPECT_THROW(dir.build({"web"}), Error);
  EXPECT_EQ(mode_of(outside), 0711u) << "the symlink's target keeps its mode";
}

TEST(AllocDirTest, TaskNamesThatAreNoDirectoryAreRefused) {
  TempDir root;
  AllocDir dir(root.path(), kAllocId);
  for (const char* bad : {"", "..", "a/b", "alloc"}) {
    EXPECT_THROW(dir.build({bad}), Error) << bad;
  }
  EXPECT_THROW(AllocDir(root.path(), "../x"), Error);
  EXPECT_THROW(AllocDir(root.path(), ".."), Error);
}

TEST(AllocDirTest, DestroyRemovesEverythingButWhatSymlinksPointTo) {
  TempDir root;
  fs::path precious = root.path() / "precious";
  fs::create_directory(precious);
  write_text(precious / "file", "still here");
  AllocDir dir(root.path() / "allocs", kAllocId);
  dir.build({"web"});
  write_text(dir.task_dir("web") / "local" / "out", "data");
  fs::create_directory_symlink(precious, dir.path() / "alloc" / "data" / "link");
  dir.destroy();
  EXPECT_FALSE(fs::exists(dir.path()));
  EXPECT_EQ(pot::testing::read_text(precious / "file"), "still here");
  EXPECT_NO_THROW(dir.destroy()) << "gone already is fine";
}

TEST(AllocDirTest, LogFilesOfAStreamOldestFirst) {
  TempDir root;
  AllocDir dir(root.path(), kAllocId);
  dir.build({"web", "web2"});
  fs::path logs = dir.logs_dir();
  write_text(logs / "web.stdout.10", "ten");
  write_text(logs / "web.stdout.2", "2");
  write_text(logs / "web.stdout.9", "nine!");
  write_text(logs / "web.stderr.0", "err");
  write_text(logs / "web2.stdout.1", "other task");
  write_text(logs / "web.stdout.x", "not numbered");
  write_text(logs / "web.stdout.", "no number");
  fs::create_symlink("/etc/hostname", logs / "web.stdout.11");

  auto files = dir.log_files("web", "stdout");
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].index, 2);
  EXPECT_EQ(files[1].index, 9);
  EXPECT_EQ(files[2].index, 10);
  EXPECT_EQ(files[1].path, logs / "web.stdout.9");
  EXPECT_EQ(files[1].size, 5u);
  EXPECT_EQ(dir.log_files("web", "stderr").size(), 1u);
  EXPECT_TRUE(dir.log_files("db", "stdout").empty());
  EXPECT_TRUE(AllocDir(root.path(), "00000000-0000-4000-8000-000000000000")
                  .log_files("web", "stdout")
                  .empty())
      << "no directory: no logs";
}

TEST(AllocDirTest, ValidAllocIdIsALowercaseUuid) {
  EXPECT_TRUE(valid_alloc_id(kAllocId));
  EXPECT_TRUE(valid_alloc_id("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(valid_alloc_id("8D3C1A2B-5E6F-4A7B-9C0D-1E2F3A4B5C6D"));
  EXPECT_FALSE(valid_alloc_id("8d3c1a2b5e6f4a7b9c0d1e2f3a4b5c6d"));
  EXPECT_FALSE(valid_alloc_id("8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6"));
  EXPECT_FALSE(valid_alloc_id("8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6dd"));
  EXPECT_FALSE(valid_alloc_id("8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6g"));
  EXPECT_FALSE(valid_alloc_id("../../../../etc/passwd-0000-0000-000"));
  EXPECT_FALSE(valid_alloc_id(""));
}

}  // namespace
}  // namespace pot::agent
