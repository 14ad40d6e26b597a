// The image file formats: names, digests, manifests and the registry index.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "image/digest.h"
#include "image/image_ref.h"
#include "image/manifest.h"
#include "image/registry_index.h"
#include "test_util.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::list_dir;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::write_text;

const std::string kAbcSha256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const std::string kEmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// ---------------------------------------------------------------------------------------------
// Image names
// ---------------------------------------------------------------------------------------------

TEST(ImageRef, NamesTheFilesOfAnImage) {
  ImageRef ref = make_image_ref("web", "1.0");
  EXPECT_EQ(ref.name(), "web_1.0");
  EXPECT_EQ(ref.archive_file(), "web_1.0.tar.zst");
  EXPECT_EQ(ref.manifest_file(), "web_1.0.manifest.json");
  EXPECT_EQ(ref.digest_file(), "web_1.0.sha256");
  EXPECT_EQ(ref.signature_file(), "web_1.0.sha256.sig");
  // The digest file, which names the others, is made visible last.
  EXPECT_EQ(ref.files_in_publish_order(),
            (std::vector<std::string>{"web_1.0.tar.zst", "web_1.0.manifest.json",
                                      "web_1.0.sha256.sig", "web_1.0.sha256"}));
}

const std::vector<std::string> kBadNames = {"../x", "a/b", "",   ".x", "-x", std::string(65, 'a'),
                                            "..",   "a b", "x\n"};

TEST(ImageRef, RefusesBadPotNames) {
  for (const auto& name : kBadNames) {
    std::string message = ErrorOf([&] { make_image_ref(name, "1.0"); });
    EXPECT_TRUE(HasText(message, "invalid pot name " + quote_name(name))) << message;
  }
}

TEST(ImageRef, RefusesBadTags) {
  for (const auto& tag : kBadNames) {
    std::string message = ErrorOf([&] { make_image_ref("web", tag); });
    EXPECT_TRUE(HasText(message, "invalid image tag name " + quote_name(tag))) << message;
  }
  EXPECT_TRUE(HasText(ErrorOf([] { make_image_ref("web", "../x"); }), "starts with a dot"));
  EXPECT_TRUE(HasText(ErrorOf([] { make_image_ref("web", "a/b"); }), "path separator"));
  EXPECT_TRUE(
      HasText(ErrorOf([] { make_image_ref("web", std::string(65, 't')); }), "longer than 64"));
  EXPECT_NO_THROW(make_image_ref(std::string(64, 'p'), std::string(64, 't')));
}

TEST(ImageRef, TagsHaveNoUnderscoreSoImageNamesSplitOneWay) {
  // Otherwise pot `a` tag `b_c` and pot `a_b` tag `c` would share every file.
  std::string message = ErrorOf([] { make_image_ref("a", "b_c"); });
  EXPECT_TRUE(HasText(message, "invalid image tag name " + quote_name("b_c"))) << message;
  EXPECT_TRUE(HasText(message, "`_`")) << message;
  EXPECT_EQ(make_image_ref("a_b", "c").name(), "a_b_c");
  EXPECT_EQ(image_name_of("a_b_c.sha256"), "a_b_c");
}

TEST(ImageRef, RecognisesImageFileNames) {
  for (const char* name : {"web_1.0.tar.zst", "web_1.0.manifest.json", "web_1.0.sha256",
                           "web_1.0.sha256.sig", "my_pot_v_2.sha256", "a_b.tar.zst"}) {
    EXPECT_TRUE(is_image_file_name(name)) << name;
  }
  for (const char* name :
       {"index.json", "web.tar.zst", "_1.0.tar.zst", "web_.sha256", "web_1.0.tar.gz", ".sha256",
        "_.sha256", "../web_1.0.sha256", "a/b_1.sha256", "web_.x.sha256", "web_-x.sha256",
        "web_1.0.tar.zst.tmp", "web_1.0.sha256.tmp.123", "-web_1.0.sha256", "web_1_.sha256", ""}) {
    EXPECT_FALSE(is_image_file_name(name)) << name;
  }
}

// ---------------------------------------------------------------------------------------------
// Digests
// ---------------------------------------------------------------------------------------------

TEST(ImageDigest, HashesKnownStrings) {
  Sha256 abc;
  abc.update("abc", 3);
  EXPECT_EQ(abc.hex_digest(), kAbcSha256);

  Sha256 empty;
  EXPECT_EQ(empty.hex_digest(), kEmptySha256);

  Sha256 pieces;
  pieces.update("a", 1);
  pieces.update("", 0);
  pieces.update("bc", 2);
  EXPECT_EQ(pieces.hex_digest(), kAbcSha256);
}

TEST(ImageDigest, HashesFiles) {
  TempDir dir;
  write_text(dir / "abc", "abc");
  EXPECT_EQ(sha256_file(dir / "abc"), kAbcSha256);
  write_text(dir / "empty", "");
  EXPECT_EQ(sha256_file(dir / "empty"), kEmptySha256);
  // The NIST vector: a million `a`s.
  write_text(dir / "million", std::string(1000000, 'a'));
  EXPECT_EQ(sha256_file(dir / "million"),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(ImageDigest, HashesFilesLargerThanItsBuffer) {
  TempDir dir;
  std::string content;
  for (size_t i = 0; content.size() < (size_t{3} << 20) + 7; ++i) content += std::to_string(i);
  write_text(dir / "big", content);
  Sha256 odd_pieces;
  for (size_t pos = 0; pos < content.size(); pos += 4099)
    odd_pieces.update(content.data() + pos, std::min<size_t>(4099, content.size() - pos));
  EXPECT_EQ(sha256_file(dir / "big"), odd_pieces.hex_digest());
  // One byte more changes it.
  write_text(dir / "big2", content + "x");
  EXPECT_NE(sha256_file(dir / "big2"), sha256_file(dir / "big"));
}

TEST(ImageDigest, MissingFileIsNamed) {
  TempDir dir;
  std::string message = ErrorOf([&] { sha256_file(dir / "nope"); });
  EXPECT_TRUE(HasText(message, quote_name((dir / "nope").string()))) << message;
  EXPECT_TRUE(HasText(message, "No such file")) << message;
}

TEST(ImageDigest, ListRoundTrip) {
  std::vector<DigestEntry> entries = {{kAbcSha256, "web_1.0.tar.zst"},
                                      {kEmptySha256, "web_1.0.manifest.json"}};
  std::string text = format_digest_list(entries);
  // The format `sha256sum -c` reads.
  EXPECT_EQ(text, kAbcSha256 + "  web_1.0.tar.zst\n" + kEmptySha256 + "  web_1.0.manifest.json\n");
  auto parsed = parse_digest_list(text);
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].sha256, kAbcSha256);
  EXPECT_EQ(parsed[0].file, "web_1.0.tar.zst");
  EXPECT_EQ(parsed[1].sha256, kEmptySha256);
  EXPECT_EQ(parsed[1].file, "web_1.0.manifest.json");
}

TEST(ImageDigest, ParseAcceptsWhatSha256sumWrites) {
  // No final newline, upper-case hex, and the binary-mode marker of `sha256sum -b`.
  std::string upper = kAbcSha256;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto parsed = parse_digest_list(upper + " *a file\n" + kEmptySha256 + "  b");
  ASSERT_EQ(parsed.size(), 2u);
  EXPECT_EQ(parsed[0].sha256, kAbcSha256);
  EXPECT_EQ(parsed[0].file, "a file");
  EXPECT_EQ(parsed[1].file, "b");
}

TEST(ImageDigest, ParseRefusesBadLinesAndSaysWhich) {
  const std::string good = kAbcSha256 + "  good\n";
  const std::string hex63 = kAbcSha256.substr(0, 63);
  struct Case {
    std::string line;
    std::string reason;
  } cases[] = {
      {"g" + kAbcSha256.substr(1) + "  f", "not a hex digit"},
      {kAbcSha256.substr(0, 30) + "-" + kAbcSha256.substr(31) + "  f", "not a hex digit"},
      {hex63 + "  f", "63 hex digits, not 64"},
      {kAbcSha256 + "0  f", "65 hex digits, not 64"},
      {"  f", "0 hex digits, not 64"},
      {kAbcSha256, "expected `<SHA-256>  <file name>`"},
      {"", "expected `<SHA-256>  <file name>`"},
      {kAbcSha256 + "\tf", "expected `<SHA-256>  <file name>`"},
      {kAbcSha256 + " f", "expected two spaces"},
      {kAbcSha256 + "  ", "no file name"},
      {kAbcSha256 + "  a/b", "contains `/`"},
      {kAbcSha256 + "  /etc/passwd", "contains `/`"},
      {kAbcSha256 + "  ../x", "contains `/`"},
      {kAbcSha256 + "  .", "`.` or `..`"},
      {kAbcSha256 + "  ..", "`.` or `..`"},
      {kAbcSha256 + "  f\r", "control character"},
      {kAbcSha256 + "  good", "`good` is listed twice"},
      {kEmptySha256 + "  good", "`good` is listed twice"},
  };
  for (const auto& c : cases) {
    std::string message = ErrorOf([&] { parse_digest_list(good + c.line + "\n"); });
    EXPECT_TRUE(message.starts_with("digest file: line 2: ")) << message;
    EXPECT_TRUE(HasText(message, c.reason)) << c.line;
  }
  EXPECT_EQ(ErrorOf([] { parse_digest_list(""); }), "digest file: lists no files");
  EXPECT_TRUE(HasText(ErrorOf([&] { parse_digest_list(good + "\n" + good); }),
                      "digest file: line 2: expected"));
}

TEST(ImageDigest, VerifiesFiles) {
  TempDir dir;
  write_text(dir / "web_1.0.tar.zst", "abc");
  write_text(dir / "other", "abc");
  std::vector<DigestEntry> entries = {{kEmptySha256, "web_1.0.manifest.json"},
                                      {kAbcSha256, "web_1.0.tar.zst"}};
  EXPECT_NO_THROW(verify_file_digest(entries, dir.path(), "web_1.0.tar.zst"));

  write_text(dir / "web_1.0.tar.zst", "abd");
  EXPECT_EQ(ErrorOf([&] { verify_file_digest(entries, dir.path(), "web_1.0.tar.zst"); }),
            "`web_1.0.tar.zst`: SHA-256 mismatch (expected " + kAbcSha256 +
                ", got a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9)");
  EXPECT_EQ(ErrorOf([&] { verify_file_digest(entries, dir.path(), "other"); }),
            "`other`: not listed in the digest");
  // Listed but absent.
  EXPECT_TRUE(
      HasText(ErrorOf([&] { verify_file_digest(entries, dir.path(), "web_1.0.manifest.json"); }),
              "web_1.0.manifest.json`: No such file"));
}

// ---------------------------------------------------------------------------------------------
// Manifests
// ---------------------------------------------------------------------------------------------

Manifest sample_manifest() {
  Manifest m;
  m.pot = "web";
  m.tag = "1.0";
  m.created = 1764165600;
  m.archive_file = "web_1.0.tar.zst";
  m.archive_size = 61234567;
  m.unpacked_size = 230000000000;  // more than 32 bits
  m.entries = 10234;
  m.settings = {{"pot.cmd", "nginx -g 'daemon off;'"},
                {"pot.env", "A=1"},
                {"pot.env", "B=\"two words\" \\ caf\xc3\xa9"},
                {"pot.attr.no-rc-script", ""}};
  return m;
}

void expect_same(const Manifest& a, const Manifest& b) {
  EXPECT_EQ(a.pot, b.pot);
  EXPECT_EQ(a.tag, b.tag);
  EXPECT_EQ(a.created, b.created);
  EXPECT_EQ(a.archive_file, b.archive_file);
  EXPECT_EQ(a.archive_size, b.archive_size);
  EXPECT_EQ(a.unpacked_size, b.unpacked_size);
  EXPECT_EQ(a.entries, b.entries);
  EXPECT_EQ(a.settings, b.settings);
}

TEST(ImageManifest, RoundTrip) {
  Manifest m = sample_manifest();
  std::string json = m.to_json();
  EXPECT_TRUE(HasText(json, "\"format\": 1")) << json;
  EXPECT_TRUE(HasText(json, "\"file\": \"web_1.0.tar.zst\"")) << json;
  expect_same(Manifest::parse(json), m);

  Manifest bare;
  bare.pot = "db";
  bare.tag = "x";
  bare.archive_file = "db_x.tar.zst";
  bare.created = -5;
  expect_same(Manifest::parse(bare.to_json()), bare);
}

TEST(ImageManifest, ParsesTheDocumentedFormat) {
  Manifest m = Manifest::parse(R"({"format": 1, "pot": "web", "tag": "1.0", "created": 1764165600,
      "archive": {"file": "web_1.0.tar.zst", "size": 61234567, "unpacked_size": 230000000,
                  "entries": 10234},
      "settings": [["pot.cmd", "nginx -g 'daemon off;'"], ["pot.env", "A=1"]],
      "comment": "unknown fields are ignored"})");
  EXPECT_EQ(m.pot, "web");
  EXPECT_EQ(m.tag, "1.0");
  EXPECT_EQ(m.created, 1764165600);
  EXPECT_EQ(m.archive_size, 61234567u);
  EXPECT_EQ(m.unpacked_size, 230000000u);
  EXPECT_EQ(m.entries, 10234u);
  ASSERT_EQ(m.settings.size(), 2u);
  EXPECT_EQ(m.settings[0].second, "nginx -g 'daemon off;'");
}

// `sample_manifest().to_json()` with `from` replaced by `to` (which must occur).
std::string edited(const std::string& from, const std::string& to) {
  std::string json = sample_manifest().to_json();
  size_t pos = json.find(from);
  if (pos == std::string::npos) throw std::logic_error("no " + from + " in " + json);
  return json.replace(pos, from.size(), to);
}

TEST(ImageManifest, RefusesMalformedInput) {
  struct Case {
    std::string json;
    std::string message;
  } cases[] = {
      {"", "manifest: not valid JSON"},
      {"{\"format\": 1", "manifest: not valid JSON"},
      {"not json", "manifest: not valid JSON"},
      {"[1]", "manifest: not a JSON object"},
      {"\"web\"", "manifest: not a JSON object"},
      {edited("\"format\": 1", "\"format\": 2"), "manifest: format 2 is not supported"},
      {edited("\"format\": 1", "\"format\": -1"), "manifest: format -1 is not supported"},
      {edited("\"format\": 1", "\"format\": 1.5"), "manifest: format 1.5 is not supported"},
      {edited("\"format\": 1", "\"format\": \"1\""), "manifest: `format` is not a number"},
      {edited("\"format\": 1", "\"formats\": 1"), "manifest: no field `format`"},
      {edited("\"pot\": \"web\"", "\"pot\": 7"), "manifest: `pot` is not a string"},
      {edited("\"pot\": \"web\"", "\"pot\": null"), "manifest: `pot` is not a string"},
      {edited("\"pot\": \"web\"", "\"pod\": \"web\""), "manifest: no field `pot`"},
      {edited("\"tag\": \"1.0\"", "\"tag\": [\"1.0\"]"), "manifest: `tag` is not a string"},
      {edited("\"pot\": \"web\"", "\"pot\": \"../x\""), "manifest: invalid pot name `../x`"},
      {edited("\"pot\": \"web\"", "\"pot\": \"a/b\""), "manifest: invalid pot name `a/b`"},
      {edited("\"tag\": \"1.0\"", "\"tag\": \"../../etc\""),
       "manifest: invalid image tag name `../../etc`"},
      {edited("\"tag\": \"1.0\"", "\"tag\": \"\""), "manifest: invalid image tag name ``"},
      {edited("\"created\": 1764165600", "\"created\": \"yesterday\""),
       "manifest: `created` is not an integer"},
      {edited("\"created\": 1764165600", "\"created\": 1.5"),
       "manifest: `created` is not an integer"},
      {edited("\"created\": 1764165600", "\"created\": 18446744073709551615"),
       "manifest: `created` is not an integer"},
      {edited("\"archive\": {", "\"archive\": 5, \"x\": {"),
       "manifest: `archive` is not an object"},
      {edited("\"file\": \"web_1.0.tar.zst\"", "\"file\": \"../web_1.0.tar.zst\""),
       "manifest: archive file `../web_1.0.tar.zst` is not `web_1.0.tar.zst`"},
      {edited("\"file\": \"web_1.0.tar.zst\"", "\"file\": \"db_1.0.tar.zst\""),
       "manifest: archive file `db_1.0.tar.zst` is not `web_1.0.tar.zst`"},
      {edited("\"file\": \"web_1.0.tar.zst\"", "\"file\": 1"),
       "manifest: archive: `file` is not a string"},
      {edited("\"size\": 61234567", "\"size\": -1"),
       "manifest: archive: `size` is not a non-negative integer"},
      {edited("\"size\": 61234567", "\"size\": 1e3"),
       "manifest: archive: `size` is not a non-negative integer"},
      {edited("\"entries\": 10234", "\"entries\": \"many\""),
       "manifest: archive: `entries` is not a non-negative integer"},
      {edited("\"unpacked_size\": 230000000000", "\"unpacked\": 1"),
       "manifest: archive: no field `unpacked_size`"},
      {edited("\"settings\": [", "\"settings\": {}, \"x\": ["),
       "manifest: `settings` is not an array"},
      {edited("\"pot.cmd\",", "\"pot.cmd\", \"extra\","),
       "manifest: setting 1: not a [key, value] pair of strings"},
      {edited("\"A=1\"", "1"), "manifest: setting 2: not a [key, value] pair of strings"},
      {edited("\"pot.env\",\n      \"A=1\"", "\"pot.env\""),
       "manifest: setting 2: not a [key, value] pair of strings"},
      {edited("\"A=1\"", "\"A=1\\npot.mount=/:/m\""),
       "manifest: setting 2: contains a line break or a NUL"},
      {edited("\"pot.cmd\"", "\"pot.cmd=x\""), "manifest: setting 1: key contains `=`"},
      {edited("\"pot.cmd\"", "\"\""), "manifest: setting 1: empty key"},
  };
  for (const auto& c : cases) {
    std::string message = ErrorOf([&] { Manifest::parse(c.json); });
    EXPECT_TRUE(HasText(message, c.message)) << c.json;
  }
}

TEST(ImageManifest, RefusesToWriteInvalidUtf8) {
  Manifest m = sample_manifest();
  m.settings.emplace_back("pot.env", "A=\xff");
  EXPECT_TRUE(HasText(ErrorOf([&] { m.to_json(); }), "manifest: "));
}

// ---------------------------------------------------------------------------------------------
// Registry index
// ---------------------------------------------------------------------------------------------

// Publishes a complete image into `dir`, the way an export does; returns its manifest.
Manifest publish(const fs::path& dir, const std::string& pot, const std::string& tag,
                 int64_t created, bool is_signed = false) {
  ImageRef ref = make_image_ref(pot, tag);
  std::string archive = "archive of " + ref.name();
  Manifest m;
  m.pot = pot;
  m.tag = tag;
  m.created = created;
  m.archive_file = ref.archive_file();
  m.archive_size = archive.size();
  write_text(dir / ref.archive_file(), archive);
  write_text(dir / ref.manifest_file(), m.to_json());
  if (is_signed) write_text(dir / ref.signature_file(), "signature");
  write_text(dir / ref.digest_file(),
             format_digest_list({{sha256_file(dir / ref.archive_file()), ref.archive_file()},
                                 {sha256_file(dir / ref.manifest_file()), ref.manifest_file()}}));
  return m;
}

std::vector<std::string> names_of(const std::vector<IndexEntry>& entries) {
  std::vector<std::string> names;
  for (const auto& e : entries) names.push_back(e.pot + "_" + e.tag);
  return names;
}

TEST(ImageRegistryIndex, ScanListsCompleteImagesSorted) {
  TempDir dir;
  publish(dir.path(), "web", "2.0", 200, true);
  Manifest db = publish(dir.path(), "db", "1", 100);
  publish(dir.path(), "web", "1.0", 150);
  publish(dir.path(), "my_pot", "v-1", 50);
  write_text(dir / "index.json", "{}");

  auto entries = scan_registry_dir(dir.path());
  EXPECT_EQ(names_of(entries),
            (std::vector<std::string>{"db_1", "my_pot_v-1", "web_1.0", "web_2.0"}));
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].created, 100);
  EXPECT_EQ(entries[0].size, db.archive_size);
  EXPECT_FALSE(entries[0].is_signed);
  EXPECT_EQ(entries[1].pot, "my_pot");
  EXPECT_EQ(entries[1].tag, "v-1");
  EXPECT_EQ(entries[3].created, 200);
  EXPECT_TRUE(entries[3].is_signed);
}

TEST(ImageRegistryIndex, ScanSkipsIncompleteAndBrokenImages) {
  TempDir dir;
  publish(dir.path(), "good", "1", 1);

  publish(dir.path(), "noarchive", "1", 1);
  fs::remove(dir / "noarchive_1.tar.zst");

  publish(dir.path(), "nomanifest", "1", 1);
  fs::remove(dir / "nomanifest_1.manifest.json");

  publish(dir.path(), "broken", "1", 1);
  write_text(dir / "broken_1.manifest.json", "{\"format\": 1, \"pot\": ");

  // A manifest that describes another image.
  publish(dir.path(), "liar", "1", 1);
  write_text(dir / "liar_1.manifest.json", read_text(dir / "good_1.manifest.json"));

  // An archive cut short (its size disagrees with the manifest).
  publish(dir.path(), "short", "1", 1);
  write_text(dir / "short_1.tar.zst", "arch");

  // A digest file that does not list the archive.
  publish(dir.path(), "unlisted", "1", 1);
  write_text(dir / "unlisted_1.sha256",
             format_digest_list({{kAbcSha256, "unlisted_1.manifest.json"}}));

  // Not yet published: everything but the digest.
  publish(dir.path(), "pending", "1", 1);
  fs::remove(dir / "pending_1.sha256");

  // Files that are not images at all.
  write_text(dir / "stray.sha256", kAbcSha256 + "  stray\n");
  fs::create_directory(dir / "dir_1.sha256");

  EXPECT_EQ(names_of(scan_registry_dir(dir.path())), (std::vector<std::string>{"good_1"}));
}

TEST(ImageRegistryIndex, ScanOfMissingDirectoryFails) {
  TempDir dir;
  std::string message = ErrorOf([&] { scan_registry_dir(dir / "nope"); });
  EXPECT_TRUE(HasText(message, "reading registry directory " + quote_name((dir / "nope").string())))
      << message;
}

TEST(ImageRegistryIndex, RoundTrip) {
  std::vector<IndexEntry> entries = {{"db", "1", -1, 0, false},
                                     {"web", "1.0", 1764165600, 61234567000, true}};
  std::string json = format_index(entries);
  auto parsed = parse_index(json);
  ASSERT_EQ(parsed.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(parsed[i].pot, entries[i].pot);
    EXPECT_EQ(parsed[i].tag, entries[i].tag);
    EXPECT_EQ(parsed[i].created, entries[i].created);
    EXPECT_EQ(parsed[i].size, entries[i].size);
    EXPECT_EQ(parsed[i].is_signed, entries[i].is_signed);
  }
  EXPECT_TRUE(parse_index(format_index({})).empty());
  EXPECT_TRUE(parse_index(R"({"images": []})").empty());
}

TEST(ImageRegistryIndex, ParseRefusesMalformedInput) {
  const std::string ok = R"("pot": "web", "tag": "1", "created": 1, "size": 2, "signed": true)";
  struct Case {
    std::string json;
    std::string message;
  } cases[] = {
      {"", "registry index: not valid JSON"},
      {"<html>", "registry index: not valid JSON"},
      {"[]", "registry index: not a JSON object"},
      {"{}", "registry index: `images` is not an array"},
      {R"({"images": {}})", "registry index: `images` is not an array"},
      {R"({"images": [1]})", "registry index: image 1: not an object"},
      {R"({"images": [{)" + ok + R"(}, {"pot": "web"}]})", "registry index: image 2: no field"},
      {R"({"images": [{"pot": "../x", "tag": "1", "created": 1, "size": 2, "signed": true}]})",
       "registry index: image 1: invalid pot name `../x`"},
      {R"({"images": [{"pot": "web", "tag": "a/b", "created": 1, "size": 2, "signed": true}]})",
       "registry index: image 1: invalid image tag name `a/b`"},
      {R"({"images": [{"pot": 1, "tag": "1", "created": 1, "size": 2, "signed": true}]})",
       "registry index: image 1: `pot` or `tag` is not a string"},
      {R"({"images": [{"pot": "web", "tag": "1", "created": "x", "size": 2, "signed": true}]})",
       "registry index: image 1: `created` is not an integer"},
      {R"({"images": [{"pot": "web", "tag": "1", "created": 1, "size": -2, "signed": true}]})",
       "registry index: image 1: `size` is not a non-negative integer"},
      {R"({"images": [{"pot": "web", "tag": "1", "created": 1, "size": 2, "signed": 1}]})",
       "registry index: image 1: `signed` is not true or false"},
  };
  for (const auto& c : cases) {
    std::string message = ErrorOf([&] { parse_index(c.json); });
    EXPECT_TRUE(HasText(message, c.message)) << c.json;
  }
}

TEST(ImageRegistryIndex, WritesIndexFile) {
  TempDir dir;
  publish(dir.path(), "web", "1.0", 10, true);
  publish(dir.path(), "db", "2", 20);
  mode_t old_umask = ::umask(077);
  write_registry_index(dir.path());
  ::umask(old_umask);

  std::string text = read_text(dir / "index.json");
  EXPECT_EQ(text, format_index(scan_registry_dir(dir.path())));
  auto entries = parse_index(text);
  EXPECT_EQ(names_of(entries), (std::vector<std::string>{"db_2", "web_1.0"}));
  EXPECT_TRUE(entries[1].is_signed);
  EXPECT_EQ(entries[1].created, 10);
  // A web server running as another user can read it, whatever the umask.
  EXPECT_EQ(pot::testing::lstat_or_die(dir / "index.json").st_mode & 07777, 0644u);

  // A new image shows after the next write; nothing is left beside the index.
  publish(dir.path(), "app", "3", 30);
  write_registry_index(dir.path());
  EXPECT_EQ(names_of(parse_index(read_text(dir / "index.json"))),
            (std::vector<std::string>{"app_3", "db_2", "web_1.0"}));
  for (const auto& name : list_dir(dir.path())) {
    EXPECT_TRUE(name == "index.json" || is_image_file_name(name)) << name;
  }
}

TEST(ImageRegistryIndex, WriteToMissingDirectoryFails) {
  TempDir dir;
  std::string message = ErrorOf([&] { write_registry_index(dir / "nope"); });
  EXPECT_TRUE(HasText(message, "opening registry directory")) << message;
  EXPECT_TRUE(HasText(message, "No such file")) << message;
}

}  // namespace
}  // namespace pot::image
