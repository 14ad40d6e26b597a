// Skein-1024-1024 (image/skein1024.h) against published known answers.
//
// Sources of the expected digests:
//  - Skein 1.3 specification (Ferguson et al., "The Skein Hash Function Family", version 1.3,
//    2010), Appendix C.3 "Skein-1024": the messages 0xFF; 0xFF,0xFE,...,0x80 (128 bytes, one
//    block); 0xFF,...,0x00 (256 bytes, two blocks). The same values appear in several
//    independent Skein implementations' test suites (cross-checked with the search tools).
//  - FreeBSD's sbin/md5 `skein1024 -x` self-test table (SKEIN1024_TestOutput): the strings ""
//    and "abc". These show that FreeBSD's `skein1024`, which made the original pot's .skein
//    files, is Skein-1024 with a 1024-bit output, printed as lowercase hex.
#include "image/skein1024.h"

#include <gtest/gtest.h>

#include <string>

#include "test_util.h"

namespace pot::image {
namespace {

// Bytes 0xFF, 0xFE, ... counting down, `size` of them.
std::string counting_down(size_t size) {
  std::string bytes;
  for (size_t i = 0; i < size; ++i) bytes.push_back(static_cast<char>(0xFF - i));
  return bytes;
}

TEST(Skein1024, SpecificationOneByteMessage) {
  EXPECT_EQ(to_hex(skein1024(std::string(1, '\xFF'))),
            "e62c05802ea0152407cdd8787fda9e35703de862a4fbc119cff8590afe79250b"
            "ccc8b3faf1bd2422ab5c0d263fb2f8afb3f796f048000381531b6f00d85161bc"
            "0fff4bef2486b1ebcd3773fabf50ad4ad5639af9040e3f29c6c931301bf79832"
            "e9da09857e831e82ef8b4691c235656515d437d2bda33bcec001c67ffde15ba8");
}

TEST(Skein1024, SpecificationOneBlockMessage) {
  EXPECT_EQ(to_hex(skein1024(counting_down(128))),
            "1f3e02c46fb80a3fcd2dfbbc7c173800b40c60c2354af551189ebf433c3d85f9"
            "ff1803e6d920493179ed7ae7fce69c3581a5a2f82d3e0c7a295574d0cd7d217c"
            "484d2f6313d59a7718ead07d0729c24851d7e7d2491b902d489194e6b7d369db"
            "0ab7aa106f0ee0a39a42efc54f18d93776080985f907574f995ec6a37153a578");
}

TEST(Skein1024, SpecificationTwoBlockMessage) {
  EXPECT_EQ(to_hex(skein1024(counting_down(256))),
            "842a53c99c12b0cf80cf69491be5e2f7515de8733b6ea9422dfd676665b5fa42"
            "ffb3a9c48c217777950848cecdb48f640f81fb92bef6f88f7a85c1f7cd1446c9"
            "161c0afe8f25ae444f40d3680081c35aa43f640fd5fa3c3c030bcc06abac01d0"
            "98bcc984ebd8322712921e00b1ba07d6d01f26907050255ef2c8e24f716c52a5");
}

TEST(Skein1024, FreeBsdSelfTestEmptyMessage) {
  EXPECT_EQ(to_hex(skein1024("")),
            "0fff9563bb3279289227ac77d319b6fff8d7e9f09da1247b72a0a265cd6d2a62"
            "645ad547ed8193db48cff847c06494a03f55666d3b47eb4c20456c9373c86297"
            "d630d5578ebd34cb40991578f9f52b18003efa35d3da6553ff35db91b81ab890"
            "bec1b189b7f52cb2a783ebb7d823d725b0b4a71f6824e88f68f982eefc6d19c6");
}

TEST(Skein1024, FreeBsdSelfTestAbc) {
  EXPECT_EQ(to_hex(skein1024("abc")),
            "35a599a0f91abcdb4cb73c19b8cb8d947742d82c309137a7caed29e8e0a2ca7a"
            "9ff9a90c34c1908cc7e7fd99bb15032fb86e76df21b72628399b5f7c3cc209d7"
            "bb31c99cd4e19465622a049afbb87c03b5ce3888d17e6e667279ec0aa9b3e271"
            "2624c01b5f5bbe1a564220bdcf6990af0c2539019f313fdd7406cca3892a1f1f");
}

// Chunk boundaries must not matter: sizes around the block size, odd sizes, and empty
// updates, over messages that end inside, at and just past a block boundary.
TEST(Skein1024, IncrementalUpdatesEqualOneShot) {
  for (size_t message_size : {0u, 1u, 127u, 128u, 129u, 255u, 256u, 257u, 1000u, 4099u}) {
    const std::string message = ::pot::testing::test_pattern(message_size);
    const auto expected = skein1024(message);
    for (size_t chunk : {1u, 3u, 7u, 64u, 127u, 128u, 129u, 300u}) {
      Skein1024 hash;
      for (size_t offset = 0; offset < message.size(); offset += chunk) {
        hash.update(std::string_view(message).substr(offset, chunk));
        hash.update("", 0);
      }
      EXPECT_EQ(to_hex(hash.final()), to_hex(expected))
          << "message of " << message_size << " bytes in chunks of " << chunk;
    }
  }
}

TEST(Skein1024, ResetStartsANewMessage) {
  Skein1024 hash;
  hash.update("something else entirely");
  (void)hash.final();
  hash.reset();
  hash.update("abc");
  EXPECT_EQ(to_hex(hash.final()), to_hex(skein1024("abc")));
}

TEST(Skein1024, DifferentMessagesDifferentDigests) {
  // One bit flipped in the last byte of a two-block message changes the digest.
  std::string message = counting_down(256);
  std::string flipped = message;
  flipped.back() = static_cast<char>(flipped.back() ^ 1);
  EXPECT_NE(to_hex(skein1024(message)), to_hex(skein1024(flipped)));
}

}  // namespace
}  // namespace pot::image
