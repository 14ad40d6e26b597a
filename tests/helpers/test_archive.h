// Tar archives for tests, written with libarchive's writer exactly as given: names with
// `..`, absolute names, links pointing anywhere, device nodes. The extraction tests and the
// import tests build their hostile archives with these. (Tests that use this link libarchive's
// writer and its static dependencies; see tests/CMakeLists.txt.)
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>
#include <sys/types.h>

#include <ctime>
#include <string>
#include <vector>

namespace pot::testing {

inline constexpr time_t kMtime = 1700000000;

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

inline TestEntry file(std::string name, std::string data, mode_t perm = 0644) {
  TestEntry e;
  e.name = std::move(name);
  e.data = std::move(data);
  e.perm = perm;
  return e;
}

inline TestEntry dir(std::string name, mode_t perm = 0755) {
  TestEntry e;
  e.name = std::move(name);
  e.type = AE_IFDIR;
  e.perm = perm;
  return e;
}

inline TestEntry symlink(std::string name, std::string target) {
  TestEntry e;
  e.name = std::move(name);
  e.type = AE_IFLNK;
  e.perm = 0777;
  e.symlink = std::move(target);
  return e;
}

inline TestEntry hardlink(std::string name, std::string target) {
  TestEntry e;
  e.name = std::move(name);
  e.hardlink = std::move(target);
  return e;
}

inline TestEntry node(std::string name, mode_t type, unsigned major = 0, unsigned minor = 0) {
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
inline void write_archive(const std::string& path, const std::vector<TestEntry>& entries,
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

}  // namespace pot::testing
