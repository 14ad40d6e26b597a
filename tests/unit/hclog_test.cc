// hclog_json (src/nomad/hclog.h): the JSON lines go-plugin reads from the plugin's stderr.
// Needs the driver's libraries (nomad_plugin): without POT_BUILD_DRIVER this file is left out.
#include "nomad/hclog.h"

#include <gtest/gtest.h>

#include <chrono>
#include <ctime>
#include <map>
#include <regex>
#include <string>

#include <nlohmann/json.hpp>

namespace pot::nomad {
namespace {

using nlohmann::json;

TEST(HclogJson, HasLevelMessageAndTimestamp) {
  std::string line = hclog_json("info", "task started", {});
  EXPECT_EQ(line.find('\n'), std::string::npos);
  json j = json::parse(line);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 3U);
  EXPECT_EQ(j.at("@level"), "info");
  EXPECT_EQ(j.at("@message"), "task started");
  ASSERT_TRUE(j.at("@timestamp").is_string());
}

TEST(HclogJson, TheTimestampIsHclogsLayoutInUtcAndNow) {
  const auto before = std::chrono::system_clock::now();
  json j = json::parse(hclog_json("debug", "x", {}));
  const auto after = std::chrono::system_clock::now();
  const std::string stamp = j.at("@timestamp").get<std::string>();
  // 2006-01-02T15:04:05.000000Z
  EXPECT_TRUE(std::regex_match(stamp, std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z)")))
      << stamp;
  std::tm tm{};
  ASSERT_NE(::strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm), nullptr) << stamp;
  const auto seconds = std::chrono::system_clock::from_time_t(::timegm(&tm));
  const auto micros = std::chrono::microseconds(std::stoi(stamp.substr(20, 6)));
  const auto at = seconds + micros;
  EXPECT_GE(at, std::chrono::floor<std::chrono::microseconds>(before)) << stamp;
  EXPECT_LE(at, after) << stamp;
}

TEST(HclogJson, ExtraFieldsAreTopLevelStrings) {
  json j = json::parse(hclog_json("warn", "stopping", {{"task_id", "a/b/c"}, {"pot", "web_1"}}));
  EXPECT_EQ(j.at("@level"), "warn");
  EXPECT_EQ(j.at("task_id"), "a/b/c");
  EXPECT_EQ(j.at("pot"), "web_1");
  EXPECT_EQ(j.size(), 5U);
}

TEST(HclogJson, QuotesAndControlCharactersAreEscaped) {
  const std::string message = "say \"hi\"\n\tback\\slash \x01 \xc3\xa9 \xf0\x9f\x90\xb3";
  std::string line = hclog_json("error", message, {{"path", "/a\nb"}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  json j = json::parse(line);
  EXPECT_EQ(j.at("@message"), message);
  EXPECT_EQ(j.at("path"), "/a\nb");
}

TEST(HclogJson, InvalidUtf8DoesNotThrowAndStaysValidJson) {
  std::string line;
  ASSERT_NO_THROW(line = hclog_json("error", "bad \xff\xfe path `/x/\xc3`", {{"f\xff", "v\x80"}}));
  json j = json::parse(line);  // valid UTF-8 JSON: the bad bytes replaced
  const std::string message = j.at("@message").get<std::string>();
  EXPECT_TRUE(message.starts_with("bad ")) << message;
  EXPECT_NE(message.find("path `/x/"), std::string::npos) << message;
  EXPECT_EQ(j.at("@level"), "error");
}

}  // namespace
}  // namespace pot::nomad
