#include "core/number.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;

TEST(ToUnsigned, WholeDecimalNumbers) {
  EXPECT_EQ(to_unsigned("0"), 0u);
  EXPECT_EQ(to_unsigned("7"), 7u);
  EXPECT_EQ(to_unsigned("007"), 7u);
  EXPECT_EQ(to_unsigned("1700000000"), 1700000000u);
  EXPECT_EQ(to_unsigned("18446744073709551615"), std::numeric_limits<uint64_t>::max());
}

TEST(ToUnsigned, AnythingElseIsNoNumber) {
  for (const char* text : {"", "two", "-1", "+1", " 1", "1 ", "1\n", "1.5", "0x10", "12ab", "1e3"})
    EXPECT_EQ(to_unsigned(text), std::nullopt) << "`" << text << "`";
}

TEST(ToUnsigned, TooLargeIsNoNumber) {
  EXPECT_EQ(to_unsigned("18446744073709551616"), std::nullopt);
  EXPECT_EQ(to_unsigned("99999999999999999999999"), std::nullopt);
}

TEST(ToUnsigned, ReadsOnlyTheViewItIsGiven) {
  std::string text = "12345";
  EXPECT_EQ(to_unsigned(std::string_view(text).substr(0, 2)), 12u);
}

TEST(ParseUnsigned, ReturnsTheNumber) {
  EXPECT_EQ(parse_unsigned("42", "`pot.rss.cpus`"), 42u);
}

TEST(ParseUnsigned, ErrorNamesWhatWasReadAndTheBadValue) {
  std::string error = ErrorOf(
      [] { parse_unsigned("two", "`pot.rss.cpus` in `/opt/pot/jails/web/conf/pot.conf`"); });
  EXPECT_TRUE(HasText(error, "`pot.rss.cpus` in `/opt/pot/jails/web/conf/pot.conf`"));
  EXPECT_TRUE(HasText(error, "`two`"));
  EXPECT_EQ(error.find("stoull"), std::string::npos) << error;
  EXPECT_EQ(error.find('\n'), std::string::npos) << "one line: " << error;
}

TEST(ParseUnsigned, EmptyAndOverflowingValuesAreErrorsToo) {
  EXPECT_TRUE(HasText(ErrorOf([] { parse_unsigned("", "`snap/`"); }), "`snap/`"));
  std::string too_large = ErrorOf([] { parse_unsigned("18446744073709551616", "`x`"); });
  EXPECT_TRUE(HasText(too_large, "`18446744073709551616` is too large"));
}

TEST(ParseUnsigned, ABadValueCannotBreakTheErrorOverLines) {
  std::string error = ErrorOf([] { parse_unsigned("1\n2", "`x`"); });
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  EXPECT_TRUE(HasText(error, "is not a number"));
}

}  // namespace
}  // namespace pot
