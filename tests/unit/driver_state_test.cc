// DriverState (src/driver/driver_state.h): what the driver keeps in Nomad's task handle to
// find a task again after a restart. Every field must come back as it went in; a handle it
// cannot read is an Error that says so, never a crash or a json exception.
#include "driver/driver_state.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "test_util.h"

namespace pot::driver {
namespace {

using nlohmann::json;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;

DriverState full_state() {
  DriverState s;
  s.task_id = "7d1e2c3a-0b4f-4c5d-9e8f-0a1b2c3d4e5f/web/5f4e3d2c";
  s.task_name =
      "w\xc3\xa9"
      "b \"front\"\n\tline 2 \\ \xf0\x9f\x90\xb3";
  s.alloc_id = "7d1e2c3a-0b4f-4c5d-9e8f-0a1b2c3d4e5f";
  s.pot = "web_7d1e2c3a-0b4f-4c5d-9e8f-0a1b2c3d4e5f";
  s.fs_root = "/opt/pot root/\xe2\x9c\x93";
  s.started_at = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
      std::chrono::nanoseconds(int64_t{1700000000123456789})));
  s.network.address = "10.192.0.7";
  s.network.port_map = {{"http", 80}, {"https", 443}, {"\xc3\xa9", 65535}};
  TaskConfig& c = s.config;
  c.image = "https://registry.example.org/pots";
  c.pot = "nginx";
  c.tag = "1.2";
  c.command = "nginx -g 'daemon off;'";
  c.args = {"",     "a b",         "'single'",  "\"double\"",  "$(id)",
            "`id`", "back\\slash", "new\nline", "\xe2\x98\x83"};
  c.port_map = {{"http", "80"}, {"https", "443"}};
  c.network_mode = "public-bridge";
  c.copy = {"/srv/a:/a", "/srv/b:/b"};
  c.mount = {"/srv/www:/usr/local/www"};
  c.mount_read_only = {"/srv/ro:/ro"};
  c.extra_hosts = {"db:10.0.0.2"};
  c.attributes = {"no-tmpfs:YES"};
  return s;
}

void expect_same(const DriverState& a, const DriverState& b) {
  EXPECT_EQ(a.task_id, b.task_id);
  EXPECT_EQ(a.task_name, b.task_name);
  EXPECT_EQ(a.alloc_id, b.alloc_id);
  EXPECT_EQ(a.pot, b.pot);
  EXPECT_EQ(a.fs_root, b.fs_root);
  EXPECT_EQ(a.started_at, b.started_at);
  EXPECT_EQ(a.network.address, b.network.address);
  EXPECT_EQ(a.network.port_map, b.network.port_map);
  const TaskConfig& x = a.config;
  const TaskConfig& y = b.config;
  EXPECT_EQ(x.image, y.image);
  EXPECT_EQ(x.pot, y.pot);
  EXPECT_EQ(x.tag, y.tag);
  EXPECT_EQ(x.command, y.command);
  EXPECT_EQ(x.args, y.args);
  EXPECT_EQ(x.port_map, y.port_map);
  EXPECT_EQ(x.network_mode, y.network_mode);
  EXPECT_EQ(x.copy, y.copy);
  EXPECT_EQ(x.mount, y.mount);
  EXPECT_EQ(x.mount_read_only, y.mount_read_only);
  EXPECT_EQ(x.extra_hosts, y.extra_hosts);
  EXPECT_EQ(x.attributes, y.attributes);
}

TEST(DriverState, EveryFieldRoundTrips) {
  DriverState original = full_state();
  std::string text = original.encode();
  DriverState decoded = DriverState::decode(text);
  expect_same(decoded, original);
  // And again: the encoding is stable.
  EXPECT_EQ(decoded.encode(), text);
}

TEST(DriverState, AnEmptyStateRoundTrips) {
  DriverState empty;
  DriverState decoded = DriverState::decode(empty.encode());
  expect_same(decoded, empty);
  EXPECT_EQ(decoded.started_at, Clock::time_point{});
}

TEST(DriverState, TheEncodingIsOneJsonObjectWithItsVersion) {
  std::string text = full_state().encode();
  EXPECT_EQ(text.find('\n'), std::string::npos);  // line breaks in strings are escaped
  json j = json::parse(text);
  EXPECT_EQ(j.at("version"), DriverState::kVersion);
  EXPECT_EQ(j.at("started_at_ns"), int64_t{1700000000123456789});
  EXPECT_EQ(j.at("config").at("port_map").at("http"), "80");
  EXPECT_EQ(j.at("port_map").at("https"), 443);
}

TEST(DriverState, NothingIsAnError) {
  EXPECT_TRUE(HasText(ErrorOf([] { DriverState::decode(""); }), "task handle has no driver state"));
}

TEST(DriverState, GarbageIsAMalformedError) {
  for (const char* text :
       {"not json", "{", "[1,2", "\xff\xfe", "null", "42", "\"text\"", "[]", "{\"version\": 1"}) {
    std::string message = ErrorOf([&] { DriverState::decode(text); });
    EXPECT_TRUE(HasText(message, "task handle's driver state")) << text;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  }
}

TEST(DriverState, AnotherVersionIsRefusedNamingBoth) {
  json j = json::parse(full_state().encode());
  j["version"] = 2;
  std::string message = ErrorOf([&] { DriverState::decode(j.dump()); });
  EXPECT_TRUE(HasText(message, "version 2"));
  EXPECT_TRUE(HasText(message, "this driver reads 1"));
  j["version"] = "1";
  EXPECT_TRUE(HasText(ErrorOf([&] { DriverState::decode(j.dump()); }), "malformed"));
  j.erase("version");
  EXPECT_TRUE(HasText(ErrorOf([&] { DriverState::decode(j.dump()); }), "version"));
}

TEST(DriverState, EveryMissingFieldIsAnErrorNamingIt) {
  const json whole = json::parse(full_state().encode());
  for (const auto& [key, value] : whole.items()) {
    json j = whole;
    j.erase(key);
    std::string message = ErrorOf([&] { DriverState::decode(j.dump()); });
    EXPECT_TRUE(HasText(message, "task handle's driver state")) << key;
    EXPECT_TRUE(HasText(message, "'" + key + "'")) << key;
  }
  for (const auto& [key, value] : whole.at("config").items()) {
    json j = whole;
    j["config"].erase(key);
    std::string message = ErrorOf([&] { DriverState::decode(j.dump()); });
    EXPECT_TRUE(HasText(message, "malformed")) << key;
    EXPECT_TRUE(HasText(message, "'" + key + "'")) << key;
  }
}

TEST(DriverState, AFieldOfTheWrongTypeIsAnError) {
  const json whole = json::parse(full_state().encode());
  auto refused = [&](const json& j, const std::string& what) {
    std::string message = ErrorOf([&] { DriverState::decode(j.dump()); });
    EXPECT_TRUE(HasText(message, "malformed")) << what;
  };
  json j = whole;
  j["task_id"] = 5;
  refused(j, "task_id as a number");
  j = whole;
  j["started_at_ns"] = "yesterday";
  refused(j, "started_at_ns as a string");
  j = whole;
  j["port_map"] = json::array({80});
  refused(j, "port_map as an array");
  j = whole;
  j["port_map"]["http"] = "80";
  refused(j, "a port as a string");
  j = whole;
  j["config"] = "nginx";
  refused(j, "config as a string");
  j = whole;
  j["config"]["args"] = "a b";
  refused(j, "args as a string");
  j = whole;
  j["config"]["args"] = json::array({"a", 1});
  refused(j, "args with a number");
  j = whole;
  j["config"]["port_map"] = json::object({{"http", 80}});
  refused(j, "config port_map with a number");
  // Numbers of the wrong kind or size are refused, not converted.
  for (const json& version : {json(1.5), json(4294967297LL), json(true)}) {
    j = whole;
    j["version"] = version;
    refused(j, "version " + version.dump());
  }
  j = whole;
  j["started_at_ns"] = 1.5;
  refused(j, "a float start time");
  for (const json& port : {json(1e10), json(4294967376LL), json(0), json(-1), json(65536)}) {
    j = whole;
    j["port_map"]["http"] = port;
    refused(j, "port " + port.dump());
  }
}

TEST(DriverState, BytesThatAreNotUtf8AreWrittenReplacedNotThrown) {
  DriverState s = full_state();
  s.fs_root = "/x/\xff";
  s.config.args = {"\xfe\xff"};
  std::string text;
  EXPECT_NO_THROW(text = s.encode());
  DriverState back = DriverState::decode(text);
  EXPECT_NE(back.fs_root, s.fs_root);  // replaced: a recovery will say the root differs
  EXPECT_EQ(back.task_id, s.task_id);
}

}  // namespace
}  // namespace pot::driver
