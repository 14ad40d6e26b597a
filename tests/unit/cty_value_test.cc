#include "nomad/cty_value.h"

#include <gtest/gtest.h>

#include <string>

#include "core/error.h"

namespace pot::nomad {
namespace {

using namespace std::string_literals;

CtyValue str(const char* text) {
  return CtyValue(std::string(text));
}

// The task config of a job with `image`, `pot`, `tag` and `port_map` set, against a schema of
// five attributes, as cty writes it: every attribute, sorted, `command` nil; port_map a list
// of maps; the numbers a job writes as integers, integers.
const std::string kTaskConfig =
    "\x85"  // map of 5
    "\xa7"
    "command"
    "\xc0"  // command = null
    "\xa5"
    "image"
    "\xa9"
    "http://x/"  // image
    "\xa8"
    "port_map"
    "\x91"
    "\x81"
    "\xa4"
    "http"
    "\xa2"
    "80"
    "\xa3"
    "pot"
    "\xa3"
    "web"
    "\xa3"
    "tag"
    "\xa3"
    "1.0"s;

TEST(CtyMsgpack, DecodesATaskConfigAsNomadSendsIt) {
  CtyValue value = decode_cty_msgpack(kTaskConfig);
  const CtyValue::Map* config = value.if_map();
  ASSERT_NE(config, nullptr);
  EXPECT_EQ(config->size(), 5U);
  EXPECT_TRUE(config->at("command").is_null());
  EXPECT_EQ(config->at("image"), str("http://x/"));
  EXPECT_EQ(config->at("pot"), str("web"));
  const CtyValue::List* port_map = config->at("port_map").if_list();
  ASSERT_NE(port_map, nullptr);
  ASSERT_EQ(port_map->size(), 1U);
  EXPECT_EQ(port_map->at(0), CtyValue(CtyValue::Map{{"http", str("80")}}));
}

TEST(CtyMsgpack, EncodesAsCtyDoesAndReadsItsOwnOutput) {
  EXPECT_EQ(encode_cty_msgpack(decode_cty_msgpack(kTaskConfig)), kTaskConfig);
  // Integers in their smallest form, floats as float64, unknown as the extension 0.
  EXPECT_EQ(encode_cty_msgpack(CtyValue(int64_t{5})), "\x05");
  EXPECT_EQ(encode_cty_msgpack(CtyValue(int64_t{-1})), "\xff");
  EXPECT_EQ(encode_cty_msgpack(CtyValue(int64_t{300})), "\xcd\x01\x2c");
  EXPECT_EQ(encode_cty_msgpack(CtyValue(1.5)), "\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(encode_cty_msgpack(CtyValue(CtyValue::Unknown{})), "\xd4\x00\x00"s);
  EXPECT_TRUE(decode_cty_msgpack("\xd4\x00\x00"s).is_unknown());
}

TEST(CtyMsgpack, NumbersKeepTheirExactness) {
  EXPECT_EQ(*decode_cty_msgpack("\xcd\x01\x2c"s).if_number(), CtyValue::Number(int64_t{300}));
  EXPECT_EQ(*decode_cty_msgpack("\xd0\x9c"s).if_number(), CtyValue::Number(int64_t{-100}));
  EXPECT_EQ(*decode_cty_msgpack("\xcb\x3f\xf8\x00\x00\x00\x00\x00\x00"s).if_number(),
            CtyValue::Number(1.5));
  // One number type, as in cty: 2.0 in float64 is the integer 2.
  EXPECT_EQ(*decode_cty_msgpack("\xcb\x40\x00\x00\x00\x00\x00\x00\x00"s).if_number(),
            CtyValue::Number(int64_t{2}));
  EXPECT_EQ(CtyValue(2.0), CtyValue(int64_t{2}));
  // Past int64: only a double can hold it.
  EXPECT_TRUE(std::holds_alternative<double>(
      *decode_cty_msgpack("\xcf\xff\xff\xff\xff\xff\xff\xff\xff"s).if_number()));
}

void expect_refused(const std::string& bytes, const std::string& part) {
  try {
    decode_cty_msgpack(bytes);
    ADD_FAILURE() << "accepted, expected an error with: " << part;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
  }
}

TEST(CtyMsgpack, RefusesWhatCtyNeverWrites) {
  expect_refused("", "empty input");
  expect_refused("\x81\x01\x02"s, "a map key is not a string");
  expect_refused(
      "\x82\xa1"
      "a"
      "\x01\xa1"
      "a"
      "\x02"s,
      "map key `a` appears twice");
  expect_refused("\xc4\x01x"s, "binary data");
  expect_refused("\xd4\x05\x00"s, "extension type 5");
  expect_refused("\xcb\x7f\xf0\x00\x00\x00\x00\x00\x00"s, "not finite");  // +Inf
  expect_refused("\x01\x02"s, "1 bytes after the value");
  expect_refused("\x92\x01"s, "ends inside a value");
  expect_refused(
      "\xa5"
      "abc"s,
      "ends inside a value");
}

TEST(CtyMsgpack, RefusesHostileSizesAndDepths) {
  expect_refused(std::string(40, '\x91') + "\xc0", "nested deeper than 32");
  // An array that claims 2^32-1 elements in five bytes: refused before any allocation.
  expect_refused("\xdd\xff\xff\xff\xff"s, "larger than allowed");
  // A string that claims 2 GiB is only a claim: strings point into the input, so nothing is
  // allocated, and the input ends. A string that is there and too long is refused.
  expect_refused("\xdb\x7f\xff\xff\xff"s, "ends inside a value");
  const size_t too_long = (1 << 20) + 1;
  std::string big = "\xdb"s + char(too_long >> 24) + char(too_long >> 16) + char(too_long >> 8) +
                    char(too_long) + std::string(too_long, 'x');
  expect_refused(big, "larger than allowed");
}

}  // namespace
}  // namespace pot::nomad
