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

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace pot {
namespace {

namespace fs = std::filesystem;

constexpr time_t kMtime = 1700000000;

struct TestEntry {
  std::string name;
  mode_t type = AE_IFREG;
  mode_t perm = 0644;
  std::string data;
  std::string symlink;   // symlink target
  std::string hardlink;  // hard link target
  unsigned rdev_major = 0;
  unsigned rdev_minor = 0;
  int64_t uid = 0;
  int64_t gid = 0;
};

TestEntry file(std::string name, std::string data, mode_t perm = 0644) {
  TestEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}

TestEntry dir(std::string name, mode_t perm = 0755) {
  TestEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}

TestEntry symlink(std::string name, std::string target) {
  TestEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}

TestEntry hardlink(std::string name, std::string target) {
  TestEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

TestEntry node(std::string name, mode_t type, unsigned major = 0, unsigned minor = 0) {
  TestEntry e;
  e.name = std::move(name);
  e.type = type;
  e.perm = 0600;
  e.rdev_major = major;
  e.rdev_minor = minor;
  return e;
}

enum class Filter { kNone, kGzip, kZstd };

// Writes `entries` as a pax archive; libarchive's writer stores names as given, `..` included.
void write_archive(const std::string& path, const std::vector<TestEntry>& entries,
                   Filter filter = Filter::kNone) {
  archive* a = archive_write_new();
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  if (filter == Filter::kGzip) {
    ASSERT_EQ(archive_write_add_filter_gzip(a), ARCHIVE_OK);
  } else if (filter == Filter::kZstd) {
    ASSERT_EQ(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  }
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK) << archive_error_string(a);
  for (const TestEntry& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_filetype(e, t.type);
    archive_entry_set_perm(e, t.perm);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, kMtime, 0);
    archive_entry_set_size(e, t.type == AE_IFREG && t.hardlink.empty() ? t.data.size() : 0);
    if (!t.symlink.empty()) archive_entry_set_symlink(e, t.symlink.c_str());
    if (!t.hardlink.empty()) archive_entry_set_hardlink(e, t.hardlink.c_str());
    if (t.type == AE_IFCHR || t.type == AE_IFBLK) {
      archive_entry_set_rdevmajor(e, t.rdev_major);
      archive_entry_set_rdevminor(e, t.rdev_minor);
    }
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (!t.data.empty()) {
      ASSERT_EQ(archive_write_data(a, t.data.data(), t.data.size()),
                static_cast<la_ssize_t>(t.data.size()));
    }
    archive_entry_free(e);
  }
  ASSERT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
}

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

  if (::geteuid() != 0) GTEST_SKIP() << "creating device nodes needs root";
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
