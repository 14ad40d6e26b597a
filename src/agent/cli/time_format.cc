#include "agent/cli/time_format.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

namespace pot::agent {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm), so parsing needs no
// time zone of the process.
int64_t days_from_civil(int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<int64_t>(day_of_era) - 719468;
}

// Go's fractional number without trailing zeros: 1.500 -> "1.5", 2.000 -> "2".
std::string fraction(int64_t whole, int64_t part, int64_t unit) {
  std::string out = std::to_string(whole);
  if (part == 0) return out;
  std::string digits = std::to_string(part + unit).substr(1);  // zero padded
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

// `count` decimal digits at `pos`, advancing it; false when they are not there.
bool read_digits(const std::string& text, std::size_t& pos, int count, int& out) {
  out = 0;
  for (int i = 0; i < count; ++i, ++pos) {
    if (pos >= text.size() || text[pos] < '0' || text[pos] > '9') return false;
    out = out * 10 + (text[pos] - '0');
  }
  return true;
}

bool expect(const std::string& text, std::size_t& pos, char c) {
  if (pos >= text.size() || text[pos] != c) return false;
  ++pos;
  return true;
}

// "2024-01-02T15:04:05[.fraction](Z|+hh:mm|-hh:mm)"; 0 when unreadable or Go's zero time.
int64_t parse_rfc3339(const std::string& text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  std::size_t pos = 0;
  if (!read_digits(text, pos, 4, year) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, month) || !expect(text, pos, '-') ||
      !read_digits(text, pos, 2, day) || !expect(text, pos, 'T') ||
      !read_digits(text, pos, 2, hour) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, minute) || !expect(text, pos, ':') ||
      !read_digits(text, pos, 2, second)) {
    return 0;
  }
  if (year <= 1) return 0;  // Go's zero time
  int64_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    int64_t scale = kSecond / 10;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      nanos += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  int64_t offset = 0;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    int off_hours = 0, off_minutes = 0;
    ++pos;
    if (read_digits(text, pos, 2, off_hours) && expect(text, pos, ':') &&
        read_digits(text, pos, 2, off_minutes)) {
      offset = sign * (off_hours * 3600 + off_minutes * 60);
    }
  }
  int64_t seconds =
      days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400 +
      hour * 3600 + minute * 60 + second - offset;
  return seconds * kSecond + nanos;
}

}  // namespace

std::string format_time_at_offset(int64_t unix_nanos, int offset_seconds) {
  if (unix_nanos < kSecond) return "";
  std::time_t shifted = static_cast<std::time_t>(unix_nanos / kSecond + offset_seconds);
  std::tm parts{};
  gmtime_r(&shifted, &parts);
  char text[64];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &parts);
  std::string out = text;
  if (offset_seconds == 0) return out + "Z";
  int magnitude = offset_seconds < 0 ? -offset_seconds : offset_seconds;
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", offset_seconds < 0 ? '-' : '+', magnitude / 3600,
                magnitude % 3600 / 60);
  return out + zone;
}

std::string format_time(int64_t unix_nanos) {
  std::time_t seconds = static_cast<std::time_t>(unix_nanos / kSecond);
  std::tm local{};
  localtime_r(&seconds, &local);
  return format_time_at_offset(unix_nanos, static_cast<int>(local.tm_gmtoff));
}

std::string pretty_time_diff(int64_t unix_nanos, int64_t now_nanos) {
  if (unix_nanos == 0) return "";
  auto round_to_second = [](int64_t nanos) {
    int64_t rest = nanos % kSecond;
    if (rest < 0) rest += kSecond;
    return (nanos - rest) / kSecond + (rest >= kSecond / 2 ? 1 : 0);
  };
  int64_t then = round_to_second(unix_nanos);
  int64_t now = round_to_second(now_nanos);
  const char* suffix = now >= then ? "ago" : "from now";
  auto remaining = static_cast<uint64_t>(now >= then ? now - then : then - now);

  // From the smallest unit up; Nomad shows the two largest non-zero ones.
  struct Unit {
    uint64_t size;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{60, "s"}, {60, "m"}, {24, "h"}, {30, "d"}, {12, "mo"}};
  std::vector<std::string> parts;
  for (const Unit& unit : kUnits) {
    if (remaining % unit.size != 0) {
      parts.push_back(std::to_string(remaining % unit.size) + unit.name);
    }
    remaining /= unit.size;
    if (remaining == 0) break;
  }
  if (remaining > 0) parts.push_back(std::to_string(remaining) + "y");
  if (parts.empty()) return std::string("0s ") + suffix;
  std::string out;
  std::size_t shown = 0;
  for (auto it = parts.rbegin(); it != parts.rend() && shown < 2; ++it, ++shown) out += *it;
  return out + " " + suffix;
}

std::string format_duration(int64_t nanos) {
  if (nanos == 0) return "0s";
  std::string sign = nanos < 0 ? "-" : "";
  uint64_t value = nanos < 0 ? static_cast<uint64_t>(-nanos) : static_cast<uint64_t>(nanos);
  auto v = static_cast<int64_t>(value);
  if (v < 1000) return sign + std::to_string(v) + "ns";
  if (v < 1'000'000) return sign + fraction(v / 1000, v % 1000, 1000) + "µs";
  if (v < kSecond) return sign + fraction(v / 1'000'000, v % 1'000'000, 1'000'000) + "ms";
  int64_t total_seconds = v / kSecond;
  std::string seconds = fraction(total_seconds % 60, v % kSecond, kSecond) + "s";
  int64_t minutes = total_seconds / 60;
  if (minutes == 0) return sign + seconds;
  if (minutes < 60) return sign + std::to_string(minutes) + "m" + seconds;
  return sign + std::to_string(minutes / 60) + "h" + std::to_string(minutes % 60) + "m" + seconds;
}

int64_t time_field_nanos(const nlohmann::ordered_json& value) {
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_number()) return static_cast<int64_t>(value.get<double>());
  if (value.is_string()) return parse_rfc3339(value.get<std::string>());
  return 0;
}

int64_t now_unix_nanos() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pot::agent
