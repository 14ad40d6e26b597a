// The original pot's images (image/original_image.h): images made here with the real `xz`
// tool, our Skein-1024 and signify-format signatures made with libsodium, then verified,
// damaged and decompressed.
#include "image/original_image.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <csignal>
#include <string>

#include "core/process.h"
#include "core/unique_fd.h"
#include "image/skein1024.h"
#include "test_util.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::read_text;
using ::pot::testing::TempDir;
using ::pot::testing::test_pattern;
using ::pot::testing::write_text;

// Compresses `content` with `xz -6 -T 0` (what export.sh runs) into `target`.
void write_xz(const fs::path& target, const std::string& content) {
  const fs::path plain = target.string() + ".plain";
  write_text(plain, content);
  ASSERT_EQ(run_program({"xz", "-6", "-T", "0", "-k", "-f", plain.string()}), 0);
  fs::rename(plain.string() + ".xz", target);
  fs::remove(plain);
}

void flip_byte(const fs::path& path, size_t offset, uint8_t mask = 0x01) {
  std::string bytes = read_text(path);
  ASSERT_LT(offset, bytes.size());
  bytes[offset] = static_cast<char>(bytes[offset] ^ mask);
  write_text(path, bytes);
}

std::string to_base64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  ::sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

// A signify key pair, written the way `signify -G` writes the public key.
struct SignifyKey {
  std::string number = std::string(8, '\0');
  std::string public_key = std::string(crypto_sign_PUBLICKEYBYTES, '\0');
  std::string secret_key = std::string(crypto_sign_SECRETKEYBYTES, '\0');

  SignifyKey() {
    EXPECT_GE(::sodium_init(), 0);
    ::randombytes_buf(number.data(), number.size());
    ::crypto_sign_keypair(reinterpret_cast<unsigned char*>(public_key.data()),
                          reinterpret_cast<unsigned char*>(secret_key.data()));
  }

  void write_public(const fs::path& path) const {
    write_text(path, "untrusted comment: signify public key\n" +
                         to_base64("Ed" + number + public_key) + "\n");
  }

  // A detached signature of `message`, claiming key number `claimed_number`.
  void write_signature(const fs::path& path, std::string_view message,
                       const std::string& claimed_number) const {
    std::string signature(crypto_sign_BYTES, '\0');
    ::crypto_sign_detached(reinterpret_cast<unsigned char*>(signature.data()), nullptr,
                           reinterpret_cast<const unsigned char*>(message.data()), message.size(),
                           reinterpret_cast<const unsigned char*>(secret_key.data()));
    write_text(path, "untrusted comment: verify with key.pub\n" +
                         to_base64("Ed" + claimed_number + signature) + "\n");
  }
  void write_signature(const fs::path& path, std::string_view message) const {
    write_signature(path, message, number);
  }
};

// An image `web` at `1.0` in a temporary directory, made as export.sh makes it: the stream
// compressed with xz, the meta line with `echo`, the digest of both as `skein1024 -q`.
class OriginalImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    payload_ = test_pattern(300 * 1024);
    files_ = original_image_files(dir_.path(), "web", "1.0");
    write_xz(files_.xz, payload_);
    write_text(files_.meta, "base:13_1@1700000000\n");
    const std::string digest = to_hex(skein1024(read_text(files_.xz) + read_text(files_.meta)));
    write_text(files_.skein, digest + "\n");
  }

  // Signs the .skein file with `key_` and names the signature in files_.
  void sign() {
    key_.write_public(dir_ / "key.pub");
    files_.signature = dir_ / "web_1.0.xz.skein.sig";
    key_.write_signature(*files_.signature, read_text(files_.skein));
  }

  TempDir dir_;
  std::string payload_;
  OriginalImageFiles files_;
  SignifyKey key_;
};

TEST(OriginalImageFiles, NamesFilesAsTheOriginalDoes) {
  TempDir dir;
  OriginalImageFiles files = original_image_files(dir.path(), "web", "1.0");
  EXPECT_EQ(files.xz, dir / "web_1.0.xz");
  EXPECT_EQ(files.meta, dir / "web_1.0.xz.meta");
  EXPECT_EQ(files.skein, dir / "web_1.0.xz.skein");
  EXPECT_FALSE(files.signature.has_value());

  write_text(dir / "web_1.0.xz.skein.sig", "");
  files = original_image_files(dir.path(), "web", "1.0");
  ASSERT_TRUE(files.signature.has_value());
  EXPECT_EQ(*files.signature, dir / "web_1.0.xz.skein.sig");
}

TEST(OriginalImageFiles, RefusesNamesThatLeaveTheDirectory) {
  EXPECT_TRUE(HasText(ErrorOf([] { original_image_files("/cache", "../etc", "1"); }), "`../etc`"));
  EXPECT_TRUE(HasText(ErrorOf([] { original_image_files("/cache", "web", "a/b"); }), "`a/b`"));
  EXPECT_TRUE(HasText(ErrorOf([] { original_image_files("/cache", "", "1"); }), "image name"));
  EXPECT_TRUE(HasText(ErrorOf([] { original_image_files("/cache", "web", ".."); }), "image tag"));
}

TEST(OriginalImageFiles, ImportedPotNameReplacesDots) {
  EXPECT_EQ(original_imported_pot_name("web", "1.2.3"), "web_1_2_3");
  EXPECT_EQ(original_imported_pot_name("my.app", "snap"), "my_app_snap");
}

TEST_F(OriginalImageTest, SkeinTextIsTheDigestOfXzThenMetaAndANewline) {
  const std::string text = original_skein_text(files_.xz, files_.meta);
  EXPECT_EQ(text, read_text(files_.skein));
  EXPECT_EQ(text.size(), 257u);
  // The order matters: meta then xz is another digest.
  EXPECT_NE(text, to_hex(skein1024(read_text(files_.meta) + read_text(files_.xz))) + "\n");
}

TEST_F(OriginalImageTest, VerifiesAnUntouchedImage) {
  EXPECT_NO_THROW(verify_original_image(files_));
}

TEST_F(OriginalImageTest, MissingMetaCountsAsEmpty) {
  fs::remove(files_.meta);
  write_text(files_.skein, to_hex(skein1024(read_text(files_.xz))) + "\n");
  EXPECT_NO_THROW(verify_original_image(files_));
}

TEST_F(OriginalImageTest, FlippedByteInXzFails) {
  flip_byte(files_.xz, read_text(files_.xz).size() / 2);
  std::string message = ErrorOf([&] { verify_original_image(files_); });
  EXPECT_TRUE(HasText(message, quote_name(files_.xz.string())));
  EXPECT_TRUE(HasText(message, "differs"));
}

TEST_F(OriginalImageTest, FlippedByteInMetaFails) {
  flip_byte(files_.meta, 2);
  std::string message = ErrorOf([&] { verify_original_image(files_); });
  EXPECT_TRUE(HasText(message, quote_name(files_.meta.string())));
  EXPECT_TRUE(HasText(message, "differs"));
}

TEST_F(OriginalImageTest, ChangedDigestInSkeinFails) {
  // '0'..'9' xor 1 stays a digit and 'a'..'f' xor 6 stays a letter: still a well-formed digest.
  std::string text = read_text(files_.skein);
  char& c = text[100];
  c = static_cast<char>(c <= '9' ? c ^ 1 : c ^ 6);
  write_text(files_.skein, text);
  std::string message = ErrorOf([&] { verify_original_image(files_); });
  EXPECT_TRUE(HasText(message, quote_name(files_.skein.string())));
  EXPECT_TRUE(HasText(message, "differs"));
}

TEST_F(OriginalImageTest, MalformedSkeinFileFails) {
  const std::string digest = read_text(files_.skein);
  std::string upper = digest;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  // The original compares with `cmp`: upper case, a missing newline or a `SKEIN1024 (...) =`
  // prefix would all fail there too.
  for (const std::string& text :
       {upper, digest.substr(0, digest.size() - 1), "SKEIN1024 (-) = " + digest, std::string()}) {
    write_text(files_.skein, text);
    std::string message = ErrorOf([&] { verify_original_image(files_); });
    EXPECT_TRUE(HasText(message, quote_name(files_.skein.string())));
    EXPECT_TRUE(HasText(message, "not a `skein1024 -q` digest"));
  }
}

TEST_F(OriginalImageTest, MissingSkeinFileFails) {
  fs::remove(files_.skein);
  EXPECT_TRUE(
      HasText(ErrorOf([&] { verify_original_image(files_); }), quote_name(files_.skein.string())));
}

TEST_F(OriginalImageTest, VerifiesASignedImage) {
  sign();
  EXPECT_NO_THROW(verify_original_image(files_, dir_ / "key.pub"));
}

TEST_F(OriginalImageTest, SignatureIsIgnoredWithoutAKey) {
  sign();
  write_text(*files_.signature, "garbage\n");
  EXPECT_NO_THROW(verify_original_image(files_));
}

TEST_F(OriginalImageTest, SignatureByAnotherKeyWithTheSameNumberFails) {
  sign();
  SignifyKey other;
  other.number = key_.number;
  other.write_public(dir_ / "other.pub");
  std::string message = ErrorOf([&] { verify_original_image(files_, dir_ / "other.pub"); });
  EXPECT_TRUE(HasText(message, quote_name(files_.signature->string())));
  EXPECT_TRUE(HasText(message, "does not verify"));
}

TEST_F(OriginalImageTest, SignatureNamingAnotherKeyNumberFails) {
  sign();
  std::string wrong_number = key_.number;
  wrong_number[0] = static_cast<char>(wrong_number[0] ^ 0x80);
  key_.write_signature(*files_.signature, read_text(files_.skein), wrong_number);
  std::string message = ErrorOf([&] { verify_original_image(files_, dir_ / "key.pub"); });
  EXPECT_TRUE(HasText(message, quote_name(files_.signature->string())));
  EXPECT_TRUE(HasText(message, "signed by key"));
  EXPECT_TRUE(HasText(message, quote_name((dir_ / "key.pub").string())));
}

TEST_F(OriginalImageTest, SkeinFileChangedAfterSigningFails) {
  sign();
  // Image and digest replaced together: the digest matches, the signature does not.
  write_text(files_.meta, "-\n");
  write_text(files_.skein, original_skein_text(files_.xz, files_.meta));
  std::string message = ErrorOf([&] { verify_original_image(files_, dir_ / "key.pub"); });
  EXPECT_TRUE(HasText(message, quote_name(files_.signature->string())));
  EXPECT_TRUE(HasText(message, "does not verify"));
}

TEST_F(OriginalImageTest, MissingSignatureWithAKeyFails) {
  key_.write_public(dir_ / "key.pub");
  std::string message = ErrorOf([&] { verify_original_image(files_, dir_ / "key.pub"); });
  EXPECT_TRUE(HasText(message, quote_name(files_.skein.string() + ".sig")));
  EXPECT_TRUE(HasText(message, "no signature"));
}

TEST_F(OriginalImageTest, MalformedKeyAndSignatureFilesFail) {
  sign();
  const fs::path key = dir_ / "key.pub";
  const std::string good_key = read_text(key);

  write_text(key, "not a key\n");
  EXPECT_TRUE(HasText(ErrorOf([&] { verify_original_image(files_, key); }),
                      quote_name(key.string()) + ": not a signify public key"));
  // A signature file where the key should be: right format, wrong length.
  write_text(key, read_text(*files_.signature));
  EXPECT_TRUE(HasText(ErrorOf([&] { verify_original_image(files_, key); }),
                      quote_name(key.string()) + ": not a signify public key"));

  write_text(key, good_key);
  write_text(*files_.signature, "untrusted comment: x\n!!!\n");
  EXPECT_TRUE(HasText(ErrorOf([&] { verify_original_image(files_, key); }),
                      quote_name(files_.signature->string()) + ": not a signify signature"));
}

TEST(OriginalImageMeta, DashOrEmptyMeansNoOrigin) {
  EXPECT_FALSE(parse_original_meta("-\n").has_value());
  EXPECT_FALSE(parse_original_meta("-").has_value());
  EXPECT_FALSE(parse_original_meta("").has_value());
  EXPECT_FALSE(parse_original_meta("\n").has_value());
}

TEST(OriginalImageMeta, ParsesPotTagAndSnapshot) {
  auto origin = parse_original_meta("base:13.1_2@1700000000\n");
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->pot, "base");
  EXPECT_EQ(origin->tag, "13.1_2");
  EXPECT_EQ(origin->snapshot, "1700000000");
  // Only the first line counts, as with `head -n1`.
  origin = parse_original_meta("web:1@s\nignored\n");
  ASSERT_TRUE(origin.has_value());
  EXPECT_EQ(origin->pot, "web");
}

TEST(OriginalImageMeta, RejectsMalformedLines) {
  for (const char* text :
       {"base@snap", "base:1", "base:1@", ":1@snap", "base:@snap", "base:1@snap@again",
        "base:1:2@snap", "zroot/base:1@snap", "base:1@sn ap", "base:1@snap\r\n", "base@snap:1"}) {
    EXPECT_TRUE(HasText(ErrorOf([&] { parse_original_meta(text); }), "image meta"))
        << "for " << text;
  }
}

// The decompressed bytes, read back from the file `decompress_xz_to_fd` wrote into.
std::string decompress_to_file(const fs::path& xz, const fs::path& out, uint64_t* written) {
  UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  EXPECT_TRUE(fd.valid());
  *written = decompress_xz_to_fd(xz, fd.get());
  return read_text(out);
}

TEST_F(OriginalImageTest, DecompressRoundTrips) {
  // More than one 1 MiB chunk in and out.
  const std::string big = test_pattern(3 * 1024 * 1024 + 17);
  write_xz(dir_ / "big.xz", big);
  uint64_t written = 0;
  EXPECT_EQ(decompress_to_file(dir_ / "big.xz", dir_ / "big.out", &written), big);
  EXPECT_EQ(written, big.size());

  EXPECT_EQ(decompress_to_file(files_.xz, dir_ / "web.out", &written), payload_);
}

TEST_F(OriginalImageTest, DecompressReadsConcatenatedStreams) {
  // `xzcat` accepts several streams one after another; so do we.
  write_xz(dir_ / "second.xz", "and the rest");
  write_text(dir_ / "both.xz", read_text(files_.xz) + read_text(dir_ / "second.xz"));
  uint64_t written = 0;
  EXPECT_EQ(decompress_to_file(dir_ / "both.xz", dir_ / "both.out", &written),
            payload_ + "and the rest");
}

TEST_F(OriginalImageTest, DecompressFailsCleanlyOnTruncatedXz) {
  const std::string xz = read_text(files_.xz);
  write_text(dir_ / "cut.xz", xz.substr(0, xz.size() / 2));
  uint64_t written = 0;
  std::string message =
      ErrorOf([&] { decompress_to_file(dir_ / "cut.xz", dir_ / "cut.out", &written); });
  EXPECT_TRUE(HasText(message, quote_name((dir_ / "cut.xz").string())));
  EXPECT_TRUE(HasText(message, "truncated"));
}

TEST_F(OriginalImageTest, DecompressFailsOnCorruptOrForeignData) {
  flip_byte(files_.xz, read_text(files_.xz).size() / 2, 0xff);
  uint64_t written = 0;
  std::string message = ErrorOf([&] { decompress_to_file(files_.xz, dir_ / "bad.out", &written); });
  EXPECT_TRUE(HasText(message, quote_name(files_.xz.string()) + ": corrupt xz data"));

  write_text(dir_ / "plain.xz", "this is not xz at all\n");
  message = ErrorOf([&] { decompress_to_file(dir_ / "plain.xz", dir_ / "plain.out", &written); });
  EXPECT_TRUE(HasText(message, "not an xz file"));
}

TEST_F(OriginalImageTest, DecompressReportsAReaderThatWentAway) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  read_end.reset();  // `zfs receive` died
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ASSERT_EQ(::sigaction(SIGPIPE, &ignore, &previous), 0);
  std::string message = ErrorOf([&] { decompress_xz_to_fd(files_.xz, write_end.get()); });
  ::sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_TRUE(HasText(message, quote_name(files_.xz.string())));
  EXPECT_TRUE(HasText(message, "Broken pipe"));
}

}  // namespace
}  // namespace pot::image
