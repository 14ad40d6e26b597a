// A FreeBSD release's base.txz from POT_CACHE: names as the original caches them, the
// MANIFEST's digest checked before anything is unpacked.
#include "freebsd/release_base.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "image/archive_writer.h"
#include "image/digest.h"
#include "test_util.h"

namespace pot::freebsd {
namespace {

using pot::testing::read_text;
using pot::testing::TempDir;
using pot::testing::write_text;

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

class ReleaseBaseTest : public ::testing::Test {
 protected:
  ReleaseBaseTest() {
    settings_.cache_pot = dir_ / "cache";
    fs::create_directories(settings_.cache_pot);
    fs::create_directories(dir_ / "tree" / "bin");
    write_text(dir_ / "tree" / "bin" / "freebsd-version", "USERLAND_VERSION=\"14.1-RELEASE\"\n");
    fs::create_directories(dir_ / "base");
  }

  // The cached archive of `tree/` and a MANIFEST that lists `digest` for it (its own when
  // empty), as FreeBSD's: file, sha256, entries, name, description, default.
  void cache_release(std::string digest = {}) {
    fs::path archive = settings_.cache_pot / "14.1-RELEASE_base.txz";
    image::write_tree_archive(dir_ / "tree", archive);
    if (digest.empty()) digest = image::sha256_file(archive);
    write_text(settings_.cache_pot / "14.1-RELEASE_MANIFEST",
               "base-dbg.txz\t" + std::string(64, '0') + "\t1\tbase-dbg\t\"dbg\"\toff\n" +
                   "base.txz\t" + digest + "\t2\tbase\t\"Base system\"\ton\n");
  }

  TempDir dir_{"pot-release"};
  Settings settings_;
};

TEST_F(ReleaseBaseTest, NamesAreTheOriginalsCacheNames) {
  EXPECT_EQ(release_name("14.1"), "14.1-RELEASE");
  EXPECT_EQ(release_name("13.0-RC1"), "13.0-RC1");
  ReleaseFiles files = release_files(settings_, "14.1");
  EXPECT_EQ(files.archive, settings_.cache_pot / "14.1-RELEASE_base.txz");
  EXPECT_EQ(files.manifest, settings_.cache_pot / "14.1-RELEASE_MANIFEST");
  for (const char* bad : {"", "14", "../14.1", "14.1/x", "14.1-RELEASE/../x"})
    EXPECT_THROW(release_name(bad), Error) << bad;
}

TEST_F(ReleaseBaseTest, UnpacksAVerifiedArchive) {
  cache_release();
  unpack_release_base(settings_, "14.1", dir_ / "base");
  EXPECT_EQ(read_text(dir_ / "base" / "bin" / "freebsd-version"),
            "USERLAND_VERSION=\"14.1-RELEASE\"\n");
}

TEST_F(ReleaseBaseTest, AMismatchUnpacksNothing) {
  cache_release(std::string(64, 'a'));
  std::string message = error_of([&] { unpack_release_base(settings_, "14.1", dir_ / "base"); });
  EXPECT_NE(message.find("14.1-RELEASE_base.txz"), std::string::npos) << message;
  EXPECT_NE(message.find("SHA-256 mismatch"), std::string::npos) << message;
  EXPECT_TRUE(fs::is_empty(dir_ / "base"));
}

TEST_F(ReleaseBaseTest, AMissingFileSaysWhereItIsExpected) {
  std::string message = error_of([&] { unpack_release_base(settings_, "14.1", dir_ / "base"); });
  EXPECT_NE(message.find((settings_.cache_pot / "14.1-RELEASE_base.txz").string()),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("missing"), std::string::npos) << message;
}

TEST_F(ReleaseBaseTest, ManifestDigestLookup) {
  std::string manifest = "base.txz\t" + std::string(64, 'A') + "\t2\tbase\n";
  EXPECT_EQ(manifest_sha256(manifest, "base.txz", "M"), std::string(64, 'a'));
  EXPECT_NE(error_of([&] { manifest_sha256(manifest, "lib32.txz", "M"); }).find("does not list"),
            std::string::npos);
  EXPECT_NE(error_of([&] { manifest_sha256("base.txz\tabc\n", "base.txz", "M"); }).find("64 hex"),
            std::string::npos);
  // `base.txz` is not `base-dbg.txz`'s prefix match.
  EXPECT_NE(error_of([&] {
              manifest_sha256("base-dbg.txz\t" + std::string(64, 'b') + "\n", "base.txz", "M");
            }).find("does not list"),
            std::string::npos);
}

}  // namespace
}  // namespace pot::freebsd
