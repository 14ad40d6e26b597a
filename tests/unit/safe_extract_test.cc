// Tests for extract_archive: each test writes a (often hostile) tar archive with libarchive's
// writer into its own temporary directory, extracts it into `<tmp>/target`, and checks what
// landed where, and above all that nothing landed outside the target.
#include "image/safe_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <zstd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "helpers/require.h"
#include "helpers/test_archive.h"
#include "image/archive_writer.h"

namespace pot {
namespace {

namespace fs = std::filesystem;

using testing::dir;
using testing::file;
using testing::Filter;
using testing::hardlink;
using testing::kMtime;
using testing::node;
using testing::symlink;
using testing::TestEntry;
using testing::write_archive;

// A mkdtemp directory with an empty `target` inside, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/pot-extract-test-XXXXXX";
    char* made = ::mkdtemp(tmpl);
    if (!made) std::abort();
    path_ = made;
    fs::create_directory(target());
  }
  ~TempDir() {
    // Read-only directories from an archive would stop the removal of their contents.
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec))
        fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string target() const { return path_ + "/target"; }
  std::string archive() const { return path_ + "/test.tar"; }

 private:
  std::string path_;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool exists_no_follow(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

mode_t perm_of(const std::string& path) {
  struct stat st;
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st.st_mode & 07777;
}

// Extracts and expects a pot::Error whose message contains `needle`.
void expect_refused(const TempDir& tmp, const std::string& needle,
                    const ExtractOptions& options = {}) {
  try {
    extract_archive(tmp.archive(), tmp.target(), options);
    ADD_FAILURE() << "extraction succeeded, expected an error containing: " << needle;
  } catch (const Error& e) {
    std::string msg = e.what();
    if (std::getenv("POT_TEST_VERBOSE")) std::fprintf(stderr, "  refused: %s\n", msg.c_str());
    EXPECT_NE(msg.find(needle), std::string::npos) << msg;
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

TEST(SafeExtract, RoundTripsDirsFilesLinksAndModes) {
  TempDir tmp;
  TestEntry conf = file("etc/conf", "hello\n", 0640);
  conf.uid = 1234;
  conf.gid = 5678;
  write_archive(
      tmp.archive(),
      {dir("./"), dir("etc/", 0750), conf, dir("bin/"), file("bin/tool", "#!/bin/sh\n", 04755),
       symlink("bin/link", "tool"), symlink("bin/abs", "/etc/passwd"),
       hardlink("bin/hard", "bin/tool"), dir("ro/", 0555), file("ro/file", "x", 0444),
       file("deep/a/b/c.txt", "implicit parents"), file("/abs/file", "stripped"),
       node("run/fifo", AE_IFIFO), file("empty", "", 0600)},
      Filter::kZstd);

  ExtractStats stats = extract_archive(tmp.archive(), tmp.target());
  const std::string t = tmp.target();
  EXPECT_EQ(stats.entries, 14u);
  EXPECT_EQ(stats.bytes, 6u + 10u + 1u + 16u + 8u);

  EXPECT_EQ(read_file(t + "/etc/conf"), "hello\n");
  EXPECT_EQ(perm_of(t + "/etc/conf"), 0640u);
  EXPECT_EQ(perm_of(t + "/etc"), 0750u);
  EXPECT_EQ(perm_of(t + "/bin/tool"), 04755u);
  EXPECT_EQ(perm_of(t + "/ro"), 0555u);
  EXPECT_EQ(read_file(t + "/ro/file"), "x");
  EXPECT_EQ(read_file(t + "/deep/a/b/c.txt"), "implicit parents");
  EXPECT_EQ(read_file(t + "/abs/file"), "stripped");
  EXPECT_EQ(read_file(t + "/empty"), "");
  EXPECT_EQ(fs::read_symlink(t + "/bin/link"), "tool");
  EXPECT_EQ(fs::read_symlink(t + "/bin/abs"), "/etc/passwd");

  struct stat tool, hard, fifo, etc;
  ASSERT_EQ(::lstat((t + "/bin/tool").c_str(), &tool), 0);
  ASSERT_EQ(::lstat((t + "/bin/hard").c_str(), &hard), 0);
  EXPECT_EQ(tool.st_ino, hard.st_ino);
  EXPECT_EQ(tool.st_nlink, 2u);
  ASSERT_EQ(::lstat((t + "/run/fifo").c_str(), &fifo), 0);
  EXPECT_TRUE(S_ISFIFO(fifo.st_mode));
  // Directory times are applied after their contents were created.
  ASSERT_EQ(::lstat((t + "/etc").c_str(), &etc), 0);
  EXPECT_EQ(etc.st_mtim.tv_sec, kMtime);
  EXPECT_EQ(tool.st_mtim.tv_sec, kMtime);

  if (::geteuid() == 0) {
    struct stat st;
    ASSERT_EQ(::lstat((t + "/etc/conf").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 5678u);
  }
}

TEST(SafeExtract, StripsSetuidWhenAsked) {
  TempDir tmp;
  write_archive(tmp.archive(), {file("suid", "x", 04755), file("sgid", "y", 02711)}, Filter::kGzip);
  ExtractOptions options;
  options.keep_setuid = false;
  extract_archive(tmp.archive(), tmp.target(), options);
  EXPECT_EQ(perm_of(tmp.target() + "/suid"), 0755u);
  EXPECT_EQ(perm_of(tmp.target() + "/sgid"), 0711u);
}

TEST(SafeExtract, ReplacesExistingEntriesLikeTar) {
  TempDir tmp;
  write_archive(tmp.archive(), {file("a", "one"), file("a", "two"), symlink("s", "/etc/passwd"),
                                file("s", "plain"), dir("d/"), symlink("d", "a")});
  extract_archive(tmp.archive(), tmp.target());
  EXPECT_EQ(read_file(tmp.target() + "/a"), "two");
  EXPECT_FALSE(fs::is_symlink(tmp.target() + "/s"));
  EXPECT_EQ(read_file(tmp.target() + "/s"), "plain");
  EXPECT_EQ(fs::read_symlink(tmp.target() + "/d"), "a");
}

TEST(SafeExtract, RefusesDotDot) {
  TempDir tmp;
  const std::string evil = "evil-" + std::to_string(::getpid());
  for (const std::string& name : {"../" + evil, "a/../../" + evil, "./../" + evil}) {
    SCOPED_TRACE(name);
    write_archive(tmp.archive(), {file(name, "pwned")});
    expect_refused(tmp, "`..`");
    EXPECT_FALSE(exists_no_follow(tmp.path() + "/" + evil));
  }
}

TEST(SafeExtract, AbsoluteNameLandsInsideTarget) {
  TempDir tmp;
  const std::string host = "/tmp/pot-evil-" + std::to_string(::getpid());
  ::unlink(host.c_str());
  write_archive(tmp.archive(), {file(host, "pwned")});
  extract_archive(tmp.archive(), tmp.target());
  EXPECT_FALSE(exists_no_follow(host));
  EXPECT_EQ(read_file(tmp.target() + host), "pwned");
  ::unlink(host.c_str());
}

TEST(SafeExtract, RefusesWritingThroughSymlinkedParent) {
  TempDir tmp;
  const std::string outside = tmp.path() + "/outside-dir";
  fs::create_directory(outside);
  const std::string host = "/tmp/pot-evil-" + std::to_string(::getpid());
  struct Case {
    std::vector<TestEntry> entries;
  };
  std::vector<Case> cases = {
      {{symlink("link", outside), file("link/file", "pwned")}},
      {{symlink("link", "../outside-dir"), file("link/file", "pwned")}},
      {{symlink("link", outside), dir("link/sub/")}},
      {{symlink("link", outside), symlink("link/s", "x")}},
      {{dir("d/"), symlink("d/link", "/tmp"), file(host.substr(1).insert(0, "d/link/"), "x")}},
      {{symlink("root", "/"), file("root" + host, "pwned")}},
      {{file("f", "data"), symlink("link", outside), hardlink("link/h", "f")}},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    write_archive(tmp.archive(), cases[i].entries);
    expect_refused(tmp, "is a symlink");
    EXPECT_TRUE(fs::is_empty(outside));
    EXPECT_FALSE(exists_no_follow(host));
  }
}

TEST(SafeExtract, RefusesHardlinksOutsideOrToNonRegularFiles) {
  TempDir tmp;
  struct stat passwd_before;
  ASSERT_EQ(::stat("/etc/passwd", &passwd_before), 0);
  std::ofstream(tmp.path() + "/x") << "outside";

  struct Case {
    std::vector<TestEntry> entries;
    std::string error;
  };
  std::vector<Case> cases = {
      // Read inside the root, where there is no etc/passwd.
      {{hardlink("h", "/etc/passwd")}, "No such file"},
      {{hardlink("h", "../x")}, "`..`"},
      {{symlink("s", "/etc/passwd"), hardlink("h", "s")}, "not a regular file"},
      {{symlink("l", "/etc"), hardlink("h", "l/passwd")}, "symlink"},
      {{dir("d/"), hardlink("h", "d")}, "not a regular file"},
      {{node("p", AE_IFIFO), hardlink("h", "p")}, "not a regular file"},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE("case " + std::to_string(i));
    write_archive(tmp.archive(), cases[i].entries);
    expect_refused(tmp, cases[i].error);
    EXPECT_FALSE(exists_no_follow(tmp.target() + "/h"));
  }
  struct stat passwd_after, x;
  ASSERT_EQ(::stat("/etc/passwd", &passwd_after), 0);
  EXPECT_EQ(passwd_after.st_nlink, passwd_before.st_nlink);
  ASSERT_EQ(::stat((tmp.path() + "/x").c_str(), &x), 0);
  EXPECT_EQ(x.st_nlink, 1u);
}

TEST(SafeExtract, RefusesDeviceNodesUnlessAllowed) {
  TempDir tmp;
  write_archive(tmp.archive(), {dir("dev/"), node("dev/null", AE_IFCHR, 1, 3)});
  expect_refused(tmp, "device nodes are not allowed");
  EXPECT_FALSE(exists_no_follow(tmp.target() + "/dev/null"));

  write_archive(tmp.archive(), {node("disk", AE_IFBLK, 7, 0)});
  expect_refused(tmp, "device nodes are not allowed");

  POT_REQUIRE(::geteuid() == 0, "creating device nodes needs root");
  write_archive(tmp.archive(), {dir("dev/"), node("dev/null", AE_IFCHR, 1, 3)});
  ExtractOptions options;
  options.allow_device_nodes = true;
  extract_archive(tmp.archive(), tmp.target(), options);
  struct stat st;
  ASSERT_EQ(::lstat((tmp.target() + "/dev/null").c_str(), &st), 0);
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_EQ(major(st.st_rdev), 1u);
  EXPECT_EQ(minor(st.st_rdev), 3u);
}

std::string noise(size_t size) {
  std::string data(size, '\0');
  uint32_t x = 2463534242u;
  for (char& c : data) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    c = static_cast<char>(x);
  }
  return data;
}

TEST(SafeExtract, TruncatedOrCorruptArchiveThrowsNamingIt) {
  for (Filter filter : {Filter::kNone, Filter::kGzip, Filter::kZstd}) {
    SCOPED_TRACE(static_cast<int>(filter));
    TempDir tmp;
    write_archive(tmp.archive(), {file("a", noise(1 << 18)), file("b", noise(1 << 18))}, filter);
    fs::resize_file(tmp.archive(), fs::file_size(tmp.archive()) / 2);
    expect_refused(tmp, tmp.archive());
  }
  TempDir tmp;
  std::ofstream(tmp.archive()) << noise(4096);
  expect_refused(tmp, tmp.archive());
}

// The tree the zstd tests export with pot's own writer: several frames of data (the writer
// starts one per 4 MiB of tar), small files, a link and a directory.
void write_tree(const fs::path& root) {
  fs::create_directories(root / "etc/sub");
  std::ofstream(root / "etc/hostname") << "web\n";
  std::ofstream(root / "etc/sub/empty");
  std::ofstream(root / "big1", std::ios::binary) << noise(3 << 20);
  std::ofstream(root / "big2", std::ios::binary) << noise(3 << 20);
  std::ofstream(root / "big3", std::ios::binary) << noise(3 << 20);
  fs::create_symlink("etc/hostname", root / "link");
}

// Counts the zstd frames of `data`, or returns 0 if it is not a whole zstd stream.
size_t zstd_frames(const std::string& data) {
  size_t frames = 0;
  for (size_t pos = 0; pos < data.size(); ++frames) {
    size_t n = ZSTD_findFrameCompressedSize(data.data() + pos, data.size() - pos);
    if (ZSTD_isError(n)) return 0;
    pos += n;
  }
  return frames;
}

TEST(SafeExtractZstd, ExtractsMultiFrameArchive) {
  TempDir tmp;
  const fs::path src = tmp.path() + "/src";
  write_tree(src);
  image::write_tree_archive(src, tmp.archive());
  ASSERT_GE(zstd_frames(read_file(tmp.archive())), 3u);

  ExtractStats stats = extract_archive(tmp.archive(), tmp.target());
  const std::string t = tmp.target();
  EXPECT_EQ(stats.bytes, 4u + 9u * (1 << 20));
  EXPECT_EQ(read_file(t + "/etc/hostname"), "web\n");
  EXPECT_TRUE(fs::is_regular_file(t + "/etc/sub/empty"));
  EXPECT_EQ(fs::read_symlink(t + "/link"), "etc/hostname");
  for (const char* name : {"big1", "big2", "big3"})
    EXPECT_EQ(read_file(t + "/" + name), noise(3 << 20)) << name;
}

TEST(SafeExtractZstd, TruncatedOrCorruptStreamThrows) {
  TempDir tmp;
  const fs::path src = tmp.path() + "/src";
  write_tree(src);
  const std::string whole_path = tmp.path() + "/whole.tar.zst";
  image::write_tree_archive(src, whole_path);
  const std::string whole = read_file(whole_path);
  auto write_bytes = [&](const std::string& bytes) {
    fs::remove_all(tmp.target());
    fs::create_directory(tmp.target());
    std::ofstream(tmp.archive(), std::ios::binary | std::ios::trunc) << bytes;
  };

  // Cut inside a frame in the middle: the files before the cut are there, the error names
  // the end of the data; removing the partly filled target is the caller's job.
  write_bytes(whole.substr(0, whole.size() / 2));
  expect_refused(tmp, "corrupt or truncated archive: zstd: unexpected end of data");
  EXPECT_TRUE(exists_no_follow(tmp.target() + "/big1"));
  EXPECT_FALSE(exists_no_follow(tmp.target() + "/link"));

  // Only the last frame's checksum is cut: every tar entry is whole, the stream is not.
  write_bytes(whole.substr(0, whole.size() - 1));
  expect_refused(tmp, "truncated archive at its end: zstd: unexpected end of data");

  // A damaged byte inside a frame.
  std::string corrupt = whole;
  corrupt[corrupt.size() / 3] ^= 0x5a;
  write_bytes(corrupt);
  expect_refused(tmp, "corrupt or truncated archive: zstd: ");

  // Nothing but the magic.
  write_bytes(whole.substr(0, 4));
  expect_refused(tmp, "corrupt or truncated archive: zstd: unexpected end of data");
}

TEST(SafeExtractZstd, StopsWhenTheConsumerStopsEarly) {
  TempDir tmp;
  // Far more tar than the decompression buffers hold, so the decompressing thread is waiting
  // for room when the extraction stops.
  const fs::path src = tmp.path() + "/src";
  fs::create_directories(src);
  for (int i = 0; i < 8; ++i)
    std::ofstream(src / ("f" + std::to_string(i)))
        << std::string(4 << 20, static_cast<char>('a' + i));
  image::write_tree_archive(src, tmp.archive());

  ExtractOptions options;
  int calls = 0;
  options.progress = [&](uint64_t) {
    ++calls;
    throw Error("interrupted by the test");
  };
  expect_refused(tmp, "interrupted by the test", options);
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(exists_no_follow(tmp.target() + "/f7"));

  // The same when an entry is refused before the rest of the stream was read.
  fs::remove_all(tmp.target());
  fs::create_directory(tmp.target());
  std::vector<TestEntry> entries = {file("../evil", "x")};
  for (int i = 0; i < 8; ++i) entries.push_back(file("f" + std::to_string(i), noise(1 << 20)));
  write_archive(tmp.archive(), entries, Filter::kZstd);
  expect_refused(tmp, "`..`");
}

TEST(SafeExtract, RefusesDecompressionBomb) {
  TempDir tmp;
  write_archive(tmp.archive(), {file("zeros", std::string(10 << 20, '\0'))}, Filter::kGzip);
  EXPECT_LT(fs::file_size(tmp.archive()), 100u << 10);
  ExtractOptions options;
  options.max_total_bytes = 1 << 20;
  expect_refused(tmp, "exceeds the size limit", options);
  EXPECT_FALSE(exists_no_follow(tmp.target() + "/zeros"));

  // The limit is on the sum of all files, not on each one.
  write_archive(tmp.archive(),
                {file("a", std::string(400 << 10, 'a')), file("b", std::string(400 << 10, 'b')),
                 file("c", std::string(400 << 10, 'c'))},
                Filter::kGzip);
  expect_refused(tmp, "exceeds the size limit", options);
  EXPECT_FALSE(exists_no_follow(tmp.target() + "/c"));
}

TEST(SafeExtract, RefusesTooManyEntries) {
  TempDir tmp;
  write_archive(tmp.archive(), {file("a", ""), file("b", ""), file("c", ""), file("d", "")});
  ExtractOptions options;
  options.max_entries = 3;
  expect_refused(tmp, "more than 3 entries", options);
}

TEST(SafeExtract, MissingTargetOrArchiveThrows) {
  TempDir tmp;
  write_archive(tmp.archive(), {file("a", "x")});
  EXPECT_THROW(extract_archive(tmp.archive(), tmp.path() + "/missing"), Error);
  EXPECT_THROW(extract_archive(tmp.path() + "/missing.tar", tmp.target()), Error);
}

}  // namespace
}  // namespace pot
