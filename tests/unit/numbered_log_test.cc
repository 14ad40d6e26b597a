// A task's output in numbered files (`pot start -N -Z`, Nomad's logs block): the move to
// the next file at the size, whole lines, continuing after a restart, at most max_files
// kept, and names planted by the task that are not followed.
#include "runtime/numbered_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using pot::testing::read_text;
using pot::testing::TempDir;
using pot::testing::write_text;
namespace fs = std::filesystem;

class NumberedLogTest : public ::testing::Test {
 protected:
  fs::path prefix() const { return dir_.path() / "web.stdout"; }
  fs::path file(int n) const { return prefix().string() + "." + std::to_string(n); }
  // The indexes present, ascending.
  std::vector<int> indexes() const {
    std::vector<int> found;
    for (int n = 0; n < 100; ++n) {
      if (fs::exists(fs::symlink_status(file(n)))) found.push_back(n);
    }
    return found;
  }
  TempDir dir_;
};

TEST_F(NumberedLogTest, StartsAtZeroAndMovesOnAtTheSizeKeepingLinesWhole) {
  NumberedLog log(prefix(), {10, 16});
  EXPECT_EQ(log.current_index(), 0);
  log.write("line one\n");  // 9 bytes
  log.write("line two\n");  // would make 18: the next file
  log.write("3\n");
  EXPECT_EQ(read_text(file(0)), "line one\n");
  EXPECT_EQ(read_text(file(1)), "line two\n3\n");
  EXPECT_EQ(log.current_index(), 1);

  // One write of several lines is cut at the last line end that fits.
  log.write("abc\ndefgh\nij\n");  // 11 + 4 fits; "defgh\n" does not
  EXPECT_EQ(read_text(file(1)), "line two\n3\nabc\n");
  EXPECT_EQ(read_text(file(2)), "defgh\nij\n");
  for (int n : indexes()) EXPECT_LE(fs::file_size(file(n)), 16u) << n;
}

TEST_F(NumberedLogTest, AWriteLargerThanAFileIsSpreadOverFullFiles) {
  NumberedLog log(prefix(), {10, 10});
  std::string big = pot::testing::test_pattern(35);  // no line ends at all
  log.write(big);
  EXPECT_EQ(indexes(), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(read_text(file(0)) + read_text(file(1)) + read_text(file(2)) + read_text(file(3)), big);
  EXPECT_EQ(fs::file_size(file(0)), 10u);
  EXPECT_EQ(fs::file_size(file(2)), 10u);
  EXPECT_EQ(fs::file_size(file(3)), 5u);
}

TEST_F(NumberedLogTest, ALineTooLongForAnyFileFillsTheCurrentOne) {
  NumberedLog log(prefix(), {10, 8});
  log.write("ab\n");
  log.write("0123456789abcdef\n");  // 17 bytes: split wherever it must be
  EXPECT_EQ(read_text(file(0)), "ab\n01234");
  EXPECT_EQ(read_text(file(1)), "56789abc");
  EXPECT_EQ(read_text(file(2)), "def\n");
}

TEST_F(NumberedLogTest, ContinuesTheHighestFileAfterReopening) {
  {
    NumberedLog log(prefix(), {10, 12});
    log.write("first run\n");
    log.write("again\n");
  }
  EXPECT_EQ(indexes(), (std::vector<int>{0, 1}));
  NumberedLog log(prefix(), {10, 12});
  EXPECT_EQ(log.current_index(), 1);
  log.write("second\n");  // 6 + 7 = 13 > 12: the next file
  log.write("x\n");
  EXPECT_EQ(read_text(file(1)), "again\n");
  EXPECT_EQ(read_text(file(2)), "second\nx\n");
}

TEST_F(NumberedLogTest, ReopenedBesideAFullFileMovesOnAtTheFirstWrite) {
  write_text(file(4), "0123456789");
  NumberedLog log(prefix(), {10, 10});
  EXPECT_EQ(log.current_index(), 4) << "the highest index is continued";
  log.write("new\n");
  EXPECT_EQ(read_text(file(4)), "0123456789");
  EXPECT_EQ(read_text(file(5)), "new\n");
}

TEST_F(NumberedLogTest, KeepsAtMostMaxFilesDeletingTheOldest) {
  NumberedLog log(prefix(), {3, 4});
  for (int i = 0; i < 6; ++i) log.write("ab" + std::to_string(i) + "\n");
  EXPECT_EQ(log.current_index(), 5);
  EXPECT_EQ(indexes(), (std::vector<int>{3, 4, 5}));
  EXPECT_EQ(read_text(file(3)), "ab3\n");
  EXPECT_EQ(read_text(file(5)), "ab5\n");
}

TEST_F(NumberedLogTest, OpeningDeletesWhatIsBeyondMaxFiles) {
  for (int n : {0, 1, 2, 7}) write_text(file(n), "old\n");
  write_text(dir_.path() / "web.stderr.0", "the other stream");
  write_text(dir_.path() / "web.stdout.notes", "not numbered");
  NumberedLog log(prefix(), {2, 100});
  EXPECT_EQ(indexes(), (std::vector<int>{7})) << "7 and 6 may stay; only 7 is there";
  EXPECT_TRUE(fs::exists(dir_.path() / "web.stderr.0"));
  EXPECT_TRUE(fs::exists(dir_.path() / "web.stdout.notes"));
}

TEST_F(NumberedLogTest, LinksAndFifosPlantedByTheTaskAreNotWrittenThrough) {
  fs::path target = dir_.path() / "host-file";
  write_text(target, "host data\n");
  fs::create_symlink(target, file(0));
  NumberedLog log(prefix(), {10, 8});
  log.write("task\n");
  EXPECT_EQ(read_text(target), "host data\n");
  EXPECT_EQ(log.current_index(), 1);
  EXPECT_EQ(read_text(file(1)), "task\n");

  fs::path hard_target = dir_.path() / "host-file-2";
  write_text(hard_target, "h\n");  // small: room left, were it ours
  fs::create_hard_link(hard_target, file(2));
  ASSERT_EQ(::mkfifo(file(3).c_str(), 0600), 0);
  fs::create_symlink(target, file(4));
  log.write("more\n");  // 5 + 5 > 8: past the hard link, the FIFO and the symlink to 5
  EXPECT_EQ(log.current_index(), 5);
  EXPECT_EQ(read_text(file(5)), "more\n");
  EXPECT_EQ(read_text(target), "host data\n");
  EXPECT_EQ(read_text(hard_target), "h\n");
}

TEST_F(NumberedLogTest, OwnedFdFollowsTheCurrentFile) {
  NumberedLog log(prefix(), {10, 6});
  pot::UniqueFd spare(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(spare.valid());
  log.own_fd(spare.get());
  ASSERT_EQ(::write(spare.get(), "m0\n", 3), 3);
  log.write("task\n");  // 3 + 5 > 6: file 1
  ASSERT_EQ(::write(spare.get(), "m1\n", 3), 3);
  EXPECT_EQ(read_text(file(0)), "m0\n");
  EXPECT_EQ(read_text(file(1)), "task\nm1\n");
}

TEST_F(NumberedLogTest, MissingDirectoryIsAnErrorNamingIt) {
  try {
    NumberedLog log(dir_.path() / "missing" / "web.stdout", {10, 100});
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find((dir_.path() / "missing").string()), std::string::npos)
        << e.what();
  }
}

TEST_F(NumberedLogTest, LogDirectoryIsHeldAgainstASwapForASymlink) {
  fs::path logs = dir_.path() / "logs", elsewhere = dir_.path() / "elsewhere";
  fs::create_directory(logs);
  fs::create_directory(elsewhere);
  NumberedLog log(logs / "web.stdout", {10, 4});
  log.write("one\n");
  // The task renames the directory away and leaves a symlink to somewhere else in its place.
  fs::rename(logs, dir_.path() / "moved");
  fs::create_directory_symlink(elsewhere, logs);
  log.write("two\n");
  EXPECT_TRUE(fs::is_empty(elsewhere));
  EXPECT_EQ(read_text(dir_.path() / "moved" / "web.stdout.1"), "two\n");
  // A directory that is a symlink from the start is refused.
  EXPECT_THROW(NumberedLog(logs / "web.stdout", {10, 4}), Error);
}

}  // namespace
}  // namespace pot
