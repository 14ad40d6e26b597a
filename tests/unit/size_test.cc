#include "core/size.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = kKiB * 1024;
constexpr uint64_t kGiB = kMiB * 1024;
constexpr uint64_t kTiB = kGiB * 1024;

TEST(ParseSize, PlainBytes) {
  EXPECT_EQ(parse_size("512"), 512u);
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("1"), 1u);
  EXPECT_EQ(parse_size("100B"), 100u);
}

TEST(ParseSize, BinaryUnits) {
  EXPECT_EQ(parse_size("64K"), 64 * kKiB);
  EXPECT_EQ(parse_size("256M"), 256 * kMiB);
  EXPECT_EQ(parse_size("256M"), 268435456u);
  EXPECT_EQ(parse_size("1G"), kGiB);
  EXPECT_EQ(parse_size("2T"), 2 * kTiB);
}

TEST(ParseSize, LowerCaseAndTrailingB) {
  EXPECT_EQ(parse_size("64k"), 64 * kKiB);
  EXPECT_EQ(parse_size("10MB"), 10 * kMiB);
  EXPECT_EQ(parse_size("10mb"), 10 * kMiB);
  EXPECT_EQ(parse_size("1GB"), kGiB);
  EXPECT_EQ(parse_size("3g"), 3 * kGiB);
  EXPECT_EQ(parse_size("1tb"), kTiB);
}

TEST(ParseSize, LargestValues) {
  EXPECT_EQ(parse_size("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parse_size("16777215T"), 16777215 * kTiB);
}

TEST(ParseSize, RejectsGarbage) {
  for (const char* bad : {"", "M", "G1", "-1", "+1", "12Q", "1.5G", " 1G", "1G ", "1 G", "1KK",
                          "1MiB", "1e6", "0x10", "1BB", "1KBB"}) {
    EXPECT_THROW(parse_size(bad), Error) << '"' << bad << '"';
  }
}

TEST(ParseSize, RejectsOverflow) {
  EXPECT_THROW(parse_size("99999999999999999999"), Error);
  EXPECT_THROW(parse_size("18446744073709551616"), Error);  // 2^64
  EXPECT_THROW(parse_size("16777216T"), Error);             // 2^64 bytes
  EXPECT_THROW(parse_size("17179869184G"), Error);          // 2^64 bytes
  EXPECT_THROW(parse_size("99999999999T"), Error);
}

TEST(ParseSize, ErrorNamesTheInput) {
  std::string message = ErrorOf([] { parse_size("12Q"); });
  EXPECT_TRUE(HasText(message, "invalid size `12Q`"));
  message = ErrorOf([] { parse_size(""); });
  EXPECT_TRUE(HasText(message, "invalid size ``"));
  message = ErrorOf([] { parse_size("99999999999999999999"); });
  EXPECT_TRUE(HasText(message, "`99999999999999999999`"));
  EXPECT_TRUE(HasText(message, "too large"));
}

TEST(FormatSize, UsesTheLargestExactUnit) {
  EXPECT_EQ(format_size(268435456), "256M");
  EXPECT_EQ(format_size(kGiB), "1G");
  EXPECT_EQ(format_size(1536 * kMiB), "1536M");
  EXPECT_EQ(format_size(2 * kTiB), "2T");
  EXPECT_EQ(format_size(64 * kKiB), "64K");
  EXPECT_EQ(format_size(512), "512");
  EXPECT_EQ(format_size(1000), "1000");
  EXPECT_EQ(format_size(0), "0");
}

TEST(FormatSize, RoundTripsThroughParseSize) {
  for (uint64_t bytes :
       {uint64_t{0}, uint64_t{1}, uint64_t{512}, uint64_t{1023}, 64 * kKiB, 1536 * kKiB, 256 * kMiB,
        3 * kGiB, 2 * kTiB, 16777215 * kTiB, UINT64_MAX}) {
    EXPECT_EQ(parse_size(format_size(bytes)), bytes) << bytes;
  }
  for (const char* text : {"512", "64K", "256M", "1G", "2T"}) {
    EXPECT_EQ(format_size(parse_size(text)), text);
  }
}

}  // namespace
}  // namespace pot
