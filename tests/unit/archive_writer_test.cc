// Tests for write_tree_archive: each test builds a small tree in its own temporary directory,
// archives it, extracts the archive with extract_archive into a fresh directory and compares
// the two trees the way a user would (names, types, contents, modes, owners, mtimes, links).
// Also the progress bar of image/progress.h.
#include "image/archive_writer.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/unique_fd.h"
#include "helpers/require.h"
#include "image/digest.h"
#include "image/progress.h"
#include "image/safe_extract.h"
#include "test_util.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;
using pot::testing::ErrorOf;
using pot::testing::ErrorOfWithoutPermissionOverride;
using pot::testing::HasText;
using pot::testing::list_dir;
using pot::testing::lstat_or_die;
using pot::testing::read_text;
using pot::testing::read_until_end;
using pot::testing::TempDir;
using pot::testing::write_text;

constexpr time_t kMtime = 1600000000;

void set_mtime(const fs::path& path, time_t when) {
  timespec times[2] = {{when, 0}, {when, 0}};
  ASSERT_EQ(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW), 0) << path;
}

void make_dir(const fs::path& path, mode_t mode) {
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0) << path;
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

void make_file(const fs::path& path, std::string_view content, mode_t mode) {
  write_text(path, content);
  ASSERT_EQ(::chmod(path.c_str(), mode), 0) << path;
}

// Text and noise mixed, so the file both compresses and spans several zstd frames.
std::string big_content(size_t size) {
  std::mt19937 random(42);
  std::string out;
  out.reserve(size);
  while (out.size() < size) {
    if (random() % 2) {
      out += "line " + std::to_string(out.size()) + " of a large file\n";
    } else {
      for (int i = 0; i < 64; ++i) out += static_cast<char>(random());
    }
  }
  out.resize(size);
  return out;
}

// The tree most tests archive: every kind of entry the writer must keep.
void make_sample_tree(const fs::path& root) {
  make_dir(root / "etc", 0755);
  make_file(root / "etc/hostname", "web\n", 0644);
  make_file(root / "etc/empty", "", 0600);
  ASSERT_EQ(::symlink("/etc/hostname", (root / "etc/absolute").c_str()), 0);
  ASSERT_EQ(::symlink("../data/big", (root / "etc/relative").c_str()), 0);
  make_dir(root / "private", 0700);
  make_dir(root / "private/deep", 0750);
  make_file(root / "private/deep/secret", "s3cret", 0400);
  make_dir(root / "bin", 0755);
  make_file(root / "bin/setuid-tool", "#!/bin/sh\n", 04755);
  make_dir(root / "data", 0755);
  make_file(root / "data/big", big_content((9 << 20) + 123), 0644);
  make_file(root / "data/linked", "one inode, two names", 0640);
  ASSERT_EQ(::link((root / "data/linked").c_str(), (root / "data/second-name").c_str()), 0);
  make_dir(root / "run", 0755);
  ASSERT_EQ(::mkfifo((root / "run/fifo").c_str(), 0620), 0);
  ASSERT_EQ(::chmod((root / "run/fifo").c_str(), 0620), 0);

  // Files and links first, directories deepest first: adding names changes a dir's mtime.
  time_t when = kMtime;
  for (const char* rel :
       {"etc/hostname", "etc/empty", "etc/absolute", "etc/relative", "private/deep/secret",
        "bin/setuid-tool", "data/big", "data/linked", "run/fifo"}) {
    set_mtime(root / rel, when += 7);
  }
  for (const char* rel : {"private/deep", "private", "etc", "bin", "data", "run", "."}) {
    set_mtime(root / rel, when += 11);
  }
}

// Relative names of everything under `root` (not following symlinks), sorted.
std::vector<std::string> tree_names(const fs::path& root) {
  std::vector<std::string> names;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    names.push_back(fs::relative(it->path(), root).string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// What a user compares after a round trip: same names, and for each the same type, mode,
// owner, mtime, content or symlink target.
void expect_same_tree(const fs::path& want, const fs::path& got) {
  std::vector<std::string> names = tree_names(want);
  EXPECT_EQ(tree_names(got), names);
  names.push_back(".");
  for (const std::string& rel : names) {
    SCOPED_TRACE(rel);
    struct stat a = lstat_or_die(want / rel);
    if (::access((got / rel).c_str(), F_OK) != 0 && !fs::is_symlink(got / rel)) {
      ADD_FAILURE() << rel << " is missing";
      continue;
    }
    struct stat b = lstat_or_die(got / rel);
    EXPECT_EQ(a.st_mode, b.st_mode);  // type and permission bits, setuid included
    EXPECT_EQ(a.st_uid, b.st_uid);
    EXPECT_EQ(a.st_gid, b.st_gid);
    // The restricted pax format stores whole seconds, as tar does.
    EXPECT_EQ(a.st_mtim.tv_sec, b.st_mtim.tv_sec);
    if (S_ISREG(a.st_mode)) {
      EXPECT_EQ(a.st_size, b.st_size);
      EXPECT_TRUE(read_text(want / rel) == read_text(got / rel)) << "contents differ";
    }
    if (S_ISLNK(a.st_mode)) {
      EXPECT_EQ(fs::read_symlink(want / rel), fs::read_symlink(got / rel));
    }
  }
}

std::string first_bytes(const fs::path& path, size_t n) {
  return read_text(path).substr(0, n);
}

TEST(ArchiveWriter, RoundTripKeepsEveryKindOfEntry) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  make_sample_tree(src);

  ArchiveWriteResult result = write_tree_archive(src, tmp / "image.tar.zst");

  // The digest is the output file's, and the file is zstd (frame magic 28 b5 2f fd).
  EXPECT_EQ(result.sha256, sha256_file(tmp / "image.tar.zst"));
  EXPECT_EQ(first_bytes(tmp / "image.tar.zst", 4), std::string("\x28\xb5\x2f\xfd", 4));
  EXPECT_EQ(result.compressed_bytes, fs::file_size(tmp / "image.tar.zst"));
  EXPECT_LT(result.compressed_bytes, result.unpacked_bytes);
  // Root and 6 dirs, 7 files, 2 symlinks, 1 fifo; `second-name` is an entry (a hard link to
  // `linked`) but its data is stored once.
  EXPECT_EQ(result.entries, 17u);
  uint64_t sizes = (9 << 20) + 123 + 4 + 6 + 10 + 20;
  EXPECT_EQ(result.unpacked_bytes, sizes);
  struct stat st = lstat_or_die(tmp / "image.tar.zst");
  EXPECT_EQ(st.st_mode & 07777, 0644u);

  fs::path out = tmp / "out";
  make_dir(out, 0755);
  ExtractStats stats = extract_archive((tmp / "image.tar.zst").string(), out.string());
  EXPECT_EQ(stats.entries, result.entries);
  expect_same_tree(src, out);

  EXPECT_EQ(lstat_or_die(out / "data/linked").st_ino,
            lstat_or_die(out / "data/second-name").st_ino);
  EXPECT_TRUE(S_ISFIFO(lstat_or_die(out / "run/fifo").st_mode));
  EXPECT_EQ(fs::read_symlink(out / "etc/absolute"), "/etc/hostname");
  EXPECT_EQ(fs::read_symlink(out / "etc/relative"), "../data/big");
  EXPECT_EQ(lstat_or_die(out / "bin/setuid-tool").st_mode & 07777, 04755u);
  EXPECT_EQ(lstat_or_die(out / "private").st_mode & 07777, 0700u);
}

TEST(ArchiveWriter, SocketsAreSkipped) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  write_text(src / "file", "x");
  int sock = ::socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(sock, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string sock_path = (src / "sock").string();
  ASSERT_LT(sock_path.size(), sizeof addr.sun_path);
  std::strcpy(addr.sun_path, sock_path.c_str());
  ASSERT_EQ(::bind(sock, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(sock);

  ArchiveWriteResult result = write_tree_archive(src, tmp / "a.tar.zst");
  EXPECT_EQ(result.entries, 2u);  // `./` and `./file`
  fs::path out = tmp / "out";
  make_dir(out, 0755);
  extract_archive((tmp / "a.tar.zst").string(), out.string());
  EXPECT_EQ(list_dir(out), std::vector<std::string>{"file"});
}

TEST(ArchiveWriter, DeviceNodesAreLeftOut) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  make_dir(src / "dev", 0755);
  POT_REQUIRE(::mknod((src / "dev/null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0,
              "mknod needs CAP_MKNOD");
  write_text(src / "file", "x");

  ArchiveWriteResult result = write_tree_archive(src, tmp / "a.tar.zst");
  EXPECT_EQ(result.entries, 3u);  // `./`, `./dev/` and `./file`
  fs::path out = tmp / "out";
  make_dir(out, 0755);
  extract_archive((tmp / "a.tar.zst").string(), out.string());  // refuses devices
  EXPECT_TRUE(list_dir(out / "dev").empty());
}

TEST(ArchiveWriter, SparseFileKeepsItsHoles) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  std::string data(8192, 'd');
  {
    UniqueFd fd(::open((src / "sparse").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd);
    ASSERT_EQ(::pwrite(fd.get(), data.data(), data.size(), 4 << 20), ssize_t(data.size()));
    ASSERT_EQ(::ftruncate(fd.get(), 16 << 20), 0);
  }
  // Also a file that is all hole.
  {
    UniqueFd fd(::open((src / "hole").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
    ASSERT_TRUE(fd);
    ASSERT_EQ(::ftruncate(fd.get(), 3 << 20), 0);
  }

  ArchiveWriteResult result = write_tree_archive(src, tmp / "a.tar.zst");
  EXPECT_EQ(result.unpacked_bytes, uint64_t((16 << 20) + (3 << 20)));
  fs::path out = tmp / "out";
  make_dir(out, 0755);
  extract_archive((tmp / "a.tar.zst").string(), out.string());
  expect_same_tree(src, out);

  // Where the source filesystem made holes, the copy has them too.
  for (const char* name : {"sparse", "hole"}) {
    struct stat a = lstat_or_die(src / name);
    struct stat b = lstat_or_die(out / name);
    if (a.st_blocks * 512 < a.st_size) {
      EXPECT_LT(b.st_blocks * 512, b.st_size) << name << " lost its holes";
    }
  }
}

TEST(ArchiveWriter, SameTreeGivesSameArchiveWhateverTheThreads) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  make_sample_tree(src);

  ArchiveWriteOptions one;
  one.threads = 1;
  ArchiveWriteOptions three;
  three.threads = 3;
  std::string a = write_tree_archive(src, tmp / "a.tar.zst", one).sha256;
  std::string b = write_tree_archive(src, tmp / "b.tar.zst", three).sha256;
  EXPECT_EQ(a, b);
}

TEST(ArchiveWriter, ReportsProgressWhileReading) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  write_text(src / "large", std::string(10 << 20, 'x'));
  write_text(src / "small", "abc");

  std::vector<uint64_t> calls;
  ArchiveWriteOptions options;
  options.progress = [&](uint64_t bytes) { calls.push_back(bytes); };
  ArchiveWriteResult result = write_tree_archive(src, tmp / "a.tar.zst", options);

  ASSERT_GE(calls.size(), 2u);
  EXPECT_LE(calls.size(), 4u);  // every 4 MiB and once at the end, not per read
  EXPECT_TRUE(std::is_sorted(calls.begin(), calls.end()));
  EXPECT_EQ(calls.back(), result.unpacked_bytes);
  EXPECT_EQ(result.unpacked_bytes, uint64_t((10 << 20) + 3));
}

TEST(ArchiveWriter, ReplacesTheOutputAndLeavesNoTemporaryFile) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  write_text(src / "file", "new content");
  make_dir(tmp / "images", 0755);
  write_text(tmp / "images/web.tar.zst", "old image");

  ArchiveWriteResult result = write_tree_archive(src, tmp / "images/web.tar.zst");
  EXPECT_EQ(sha256_file(tmp / "images/web.tar.zst"), result.sha256);
  EXPECT_EQ(list_dir(tmp / "images"), std::vector<std::string>{"web.tar.zst"});
}

TEST(ArchiveWriter, FailureLeavesTheOldOutputAndNoTemporaryFile) {
  TempDir tmp;
  make_dir(tmp / "images", 0755);
  write_text(tmp / "images/web.tar.zst", "old image");

  std::string message =
      ErrorOf([&] { write_tree_archive(tmp / "no-such-root", tmp / "images/web.tar.zst"); });
  EXPECT_TRUE(HasText(message, "`" + (tmp / "images/web.tar.zst").string() + "`"));
  EXPECT_TRUE(HasText(message, "`" + (tmp / "no-such-root").string() + "`"));
  EXPECT_TRUE(HasText(message, "No such file or directory"));
  EXPECT_EQ(read_text(tmp / "images/web.tar.zst"), "old image");
  EXPECT_EQ(list_dir(tmp / "images"), std::vector<std::string>{"web.tar.zst"});
}

TEST(ArchiveWriter, AnInterruptFromTheProgressCallbackStopsTheExport) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  write_text(src / "large", std::string(10 << 20, 'x'));
  make_dir(tmp / "images", 0755);
  write_text(tmp / "images/web.tar.zst", "old image");

  ArchiveWriteOptions options;
  int calls = 0;
  options.progress = [&](uint64_t) {
    ++calls;
    throw Error("interrupted by SIGINT");
  };
  std::string message =
      ErrorOf([&] { write_tree_archive(src, tmp / "images/web.tar.zst", options); });
  EXPECT_TRUE(HasText(message, "interrupted by SIGINT"));
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(read_text(tmp / "images/web.tar.zst"), "old image");
  EXPECT_EQ(list_dir(tmp / "images"), std::vector<std::string>{"web.tar.zst"});
}

TEST(ArchiveWriter, UnreadableFileFailsNamingIt) {
  TempDir tmp;
  fs::path src = tmp / "src";
  make_dir(src, 0755);
  make_file(src / "locked", "x", 0000);
  make_dir(tmp / "images", 0755);

  std::string message =
      ErrorOfWithoutPermissionOverride([&] { write_tree_archive(src, tmp / "images/a.tar.zst"); });
  EXPECT_TRUE(HasText(message, "`" + (src / "locked").string() + "`"));
  EXPECT_TRUE(HasText(message, "Permission denied"));
  EXPECT_TRUE(list_dir(tmp / "images").empty());
}

// ---------------------------------------------------------------------------------------------
// ProgressBar
// ---------------------------------------------------------------------------------------------

TEST(ProgressBar, HumanBytesUsesDecimalUnitsWithOneDecimal) {
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(999), "999 B");
  EXPECT_EQ(human_bytes(1000), "1.0 kB");
  EXPECT_EQ(human_bytes(1536), "1.5 kB");
  EXPECT_EQ(human_bytes(61'200'000), "61.2 MB");
  EXPECT_EQ(human_bytes(136'000'000), "136.0 MB");
  EXPECT_EQ(human_bytes(999'960), "1.0 MB");  // not `1000.0 kB`
  EXPECT_EQ(human_bytes(1'400'000'000), "1.4 GB");
  EXPECT_EQ(human_bytes(2'500'000'000'000), "2.5 TB");
}

// Points stdout at `fd` for the guard's lifetime.
class StdoutTo {
 public:
  explicit StdoutTo(int fd) {
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    ::dup2(fd, STDOUT_FILENO);
  }
  ~StdoutTo() {
    std::fflush(stdout);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
  }

 private:
  int saved_;
};

std::string read_available(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return read_until_end(fd);
}

TEST(ProgressBar, PrintsNothingWhenStdoutIsNotATerminal) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  bool enabled;
  {
    StdoutTo redirect(write_end.get());
    ProgressBar bar("importing web_1.0", 1000);
    enabled = bar.enabled();
    bar.update(10);
    bar.update(500);
    bar.update(1000);
  }
  write_end.reset();
  EXPECT_FALSE(enabled);
  EXPECT_EQ(read_available(read_end.get()), "");
}

TEST(ProgressBar, DrawsOneLineOnATerminal) {
  UniqueFd master(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(master);
  ASSERT_EQ(::grantpt(master.get()), 0);
  ASSERT_EQ(::unlockpt(master.get()), 0);
  UniqueFd terminal(::open(::ptsname(master.get()), O_RDWR | O_NOCTTY | O_CLOEXEC));
  ASSERT_TRUE(terminal);

  int updates = 0;
  std::chrono::steady_clock::duration took{};
  {
    StdoutTo redirect(terminal.get());
    ProgressBar bar("importing web_1.0", 1000);
    auto start = std::chrono::steady_clock::now();
    for (uint64_t done = 0; done <= 500; ++done, ++updates) bar.update(done);
    took = std::chrono::steady_clock::now() - start;
  }
  std::string out = read_available(master.get());

  // The destructor drew the last state (500 of 1000) and ended the line.
  EXPECT_TRUE(HasText(out, "\rimporting web_1.0  [##########----------]   50%  500 B / 1.0 kB"));
  EXPECT_TRUE(HasText(out, "B/s"));
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(out.back(), '\n');
  // Redrawn at most every 100 ms: the first update, one per 100 ms, and the final draw.
  auto redraws =
      std::count(out.begin(), out.end(), '\r') - std::count(out.begin(), out.end(), '\n');
  EXPECT_LE(redraws, 2 + took / std::chrono::milliseconds(100)) << updates << " updates";
  EXPECT_GE(redraws, 2);
}

}  // namespace
}  // namespace pot::image
