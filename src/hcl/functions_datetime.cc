// Date and time functions as cty has them: formatdate (the timestamp's fields through
// letter mnemonics) and timeadd (a Go duration added to a timestamp). Timestamps are
// RFC 3339 ("2024-03-05T10:00:00Z", "2024-03-05T10:00:00.5+02:00") and keep their offset.
#include <array>
#include <cstdint>
#include <optional>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

struct Timestamp {
  std::int64_t seconds = 0;  // since 1970-01-01T00:00:00Z
  std::int64_t nanos = 0;    // 0 to 999'999'999
  int offset = 0;            // seconds east of UTC
};

// The fields of a timestamp in its own offset.
struct CivilTime {
  std::int64_t year = 0;
  int month = 0;  // 1 to 12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  int weekday = 0;  // 0 is Sunday
};

// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years repeat exactly).
std::int64_t days_from_civil(std::int64_t year, int month, int day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const std::int64_t year_of_era = year - era * 400;
  const int shifted_month = month > 2 ? month - 3 : month + 9;  // March is 0
  const std::int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
  const std::int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + day_of_era - 719468;
}

CivilTime civil_from(const Timestamp& t) {
  const std::int64_t local = t.seconds + t.offset;
  std::int64_t days = local / 86400;
  std::int64_t rest = local % 86400;
  if (rest < 0) {
    rest += 86400;
    --days;
  }
  CivilTime out;
  out.hour = static_cast<int>(rest / 3600);
  out.minute = static_cast<int>(rest / 60 % 60);
  out.second = static_cast<int>(rest % 60);
  out.weekday = static_cast<int>(((days + 4) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  const std::int64_t shifted = days + 719468;
  const std::int64_t era = (shifted >= 0 ? shifted : shifted - 146096) / 146097;
  const std::int64_t day_of_era = shifted - era * 146097;
  const std::int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  const std::int64_t day_of_year =
      day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  const std::int64_t shifted_month = (5 * day_of_year + 2) / 153;
  out.day = static_cast<int>(day_of_year - (153 * shifted_month + 2) / 5 + 1);
  out.month = static_cast<int>(shifted_month < 10 ? shifted_month + 3 : shifted_month - 9);
  out.year = year_of_era + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

bool is_leap(std::int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int days_in_month(std::int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && is_leap(year) ? 29 : kDays[static_cast<std::size_t>(month - 1)];
}

// Reads a timestamp the way Go's time.Parse reads RFC 3339; the error says which part is
// wrong.
class TimestampReader {
 public:
  explicit TimestampReader(std::string_view text) : text_(text) {}

  std::optional<Timestamp> read(std::string& error) {
    int year = 0;
    int month = 0;
    int day = 0;
    int hour = 0;
    int minute = 0;
    int second = 0;
    if (!digits(4, year, "year", error) || !literal('-', error) ||
        !digits(2, month, "month", error) || !literal('-', error) ||
        !digits(2, day, "day of month", error)) {
      return std::nullopt;
    }
    if (at_ >= text_.size() || text_[at_] != 'T') {
      error = "missing required time introducer 'T'";
      return std::nullopt;
    }
    ++at_;
    if (!digits(2, hour, "hour", error) || !literal(':', error) ||
        !digits(2, minute, "minute", error) || !literal(':', error) ||
        !digits(2, second, "second", error)) {
      return std::nullopt;
    }
    std::int64_t nanos = 0;
    if (at_ < text_.size() && (text_[at_] == '.' || text_[at_] == ',')) {
      ++at_;
      std::int64_t scale = kNanosPerSecond;
      const std::size_t start = at_;
      while (at_ < text_.size() && text_[at_] >= '0' && text_[at_] <= '9') {
        scale /= 10;
        nanos += (text_[at_] - '0') * scale;
        ++at_;
      }
      if (at_ == start) {
        error = "cannot use \"" + std::string(text_.substr(start - 1)) + "\" as UTC offset";
        return std::nullopt;
      }
    }
    int offset = 0;
    if (!read_offset(offset, error)) return std::nullopt;
    if (at_ != text_.size()) {
      error = "extra text: \"" + std::string(text_.substr(at_)) + "\"";
      return std::nullopt;
    }
    if (month < 1 || month > 12) {
      error = "month out of range";
      return std::nullopt;
    }
    if (day < 1 || day > days_in_month(year, month)) {
      error = "day out of range";
      return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) {
      error = std::string(hour > 23 ? "hour" : minute > 59 ? "minute" : "second") + " out of range";
      return std::nullopt;
    }
    Timestamp out;
    out.seconds =
        days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second - offset;
    out.nanos = nanos;
    out.offset = offset;
    return out;
  }

 private:
  bool digits(std::size_t count, int& out, const char* what, std::string& error) {
    out = 0;
    for (std::size_t i = 0; i < count; ++i) {
      if (at_ >= text_.size()) {
        error = std::string("end of string before ") + what;
        return false;
      }
      const char c = text_[at_];
      if (c < '0' || c > '9') {
        error = "cannot use \"" + std::string(text_.substr(at_)) + "\" as " + what;
        return false;
      }
      out = out * 10 + (c - '0');
      ++at_;
    }
    return true;
  }

  bool literal(char expected, std::string& error) {
    if (at_ >= text_.size()) {
      error = "end of string where \"" + std::string(1, expected) + "\" is expected";
      return false;
    }
    if (text_[at_] != expected) {
      error = "found \"" + std::string(text_.substr(at_)) + "\" where \"" +
              std::string(1, expected) + "\" is expected";
      return false;
    }
    ++at_;
    return true;
  }

  bool read_offset(int& offset, std::string& error) {
    if (at_ < text_.size() && text_[at_] == 'Z') {
      ++at_;
      return true;
    }
    const bool valid_sign = at_ < text_.size() && (text_[at_] == '+' || text_[at_] == '-');
    const std::size_t start = at_;
    int hours = 0;
    int minutes = 0;
    if (valid_sign) ++at_;
    std::string ignored;
    if (!valid_sign || !digits(2, hours, "UTC offset", ignored) || !literal(':', ignored) ||
        !digits(2, minutes, "UTC offset", ignored) || hours > 23 || minutes > 59) {
      error = start >= text_.size()
                  ? "end of string before UTC offset"
                  : "cannot use \"" + std::string(text_.substr(start)) + "\" as UTC offset";
      return false;
    }
    offset = (hours * 3600 + minutes * 60) * (text_[start] == '-' ? -1 : 1);
    return true;
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

Timestamp timestamp_arg(const CallSite& site, Args args, std::size_t index,
                        std::string_view param) {
  const std::string text = string_arg(site, args, index, param);
  std::string error;
  auto parsed = TimestampReader(text).read(error);
  if (!parsed) param_error(site, param, "not a valid RFC3339 timestamp: " + error);
  return *parsed;
}

std::string two_digits(std::int64_t n) {
  return (n < 10 ? "0" : "") + std::to_string(n);
}

std::string offset_text(int offset, bool colon) {
  const int magnitude = offset < 0 ? -offset : offset;
  return std::string(offset < 0 ? "-" : "+") + two_digits(magnitude / 3600) + (colon ? ":" : "") +
         two_digits(magnitude / 60 % 60);
}

// Go's RFC 3339 layout (whole seconds): "Z" for UTC.
std::string rfc3339(const Timestamp& t) {
  const CivilTime c = civil_from(t);
  std::string year = std::to_string(c.year);
  while (year.size() < 4) year.insert(0, "0");
  return year + "-" + two_digits(c.month) + "-" + two_digits(c.day) + "T" + two_digits(c.hour) +
         ":" + two_digits(c.minute) + ":" + two_digits(c.second) +
         (t.offset == 0 ? "Z" : offset_text(t.offset, true));
}

constexpr std::array<const char*, 12> kMonths = {"January",   "February", "March",    "April",
                                                 "May",       "June",     "July",     "August",
                                                 "September", "October",  "November", "December"};
constexpr std::array<const char*, 7> kWeekdays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                  "Thursday", "Friday", "Saturday"};

bool is_ascii_letter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// One run of a repeated letter ("YYYY") of the format, or fails naming the accepted forms.
std::string format_verb(const CallSite& site, const std::string& verb, const CivilTime& c,
                        const Timestamp& t) {
  const std::size_t n = verb.size();
  auto invalid = [&](const std::string& why) -> std::string {
    param_error(site, "format",
                "invalid date format verb \"" + verb + "\"" + (why.empty() ? "" : ": " + why));
  };
  auto number = [&](std::int64_t value, const char* name, const std::string& one) {
    if (n == 1) return std::to_string(value);
    if (n == 2) return two_digits(value);
    return invalid(std::string(name) + " must either be \"" + one + "\" or \"" + one + one + "\"");
  };
  switch (verb[0]) {
    case 'Y':
      if (n == 2) return two_digits(c.year % 100);
      if (n == 4) {
        std::string year = std::to_string(c.year);
        while (year.size() < 4) year.insert(0, "0");
        return year;
      }
      return invalid("year must either be \"YY\" or \"YYYY\"");
    case 'M': {
      const std::string name = kMonths[static_cast<std::size_t>(c.month - 1)];
      if (n == 3) return name.substr(0, 3);
      if (n == 4) return name;
      if (n > 4) return invalid("month must be \"M\", \"MM\", \"MMM\", or \"MMMM\"");
      return number(c.month, "month", "M");
    }
    case 'D':
      return number(c.day, "day of month", "D");
    case 'E': {
      const std::string name = kWeekdays[static_cast<std::size_t>(c.weekday)];
      if (n == 3) return name.substr(0, 3);
      if (n == 4) return name;
      return invalid("day of week must either be \"EEE\" or \"EEEE\"");
    }
    case 'h':
      return number(c.hour, "24-hour", "h");
    case 'H':
      return number(c.hour % 12 == 0 ? 12 : c.hour % 12, "12-hour", "H");
    case 'A':
    case 'a':
      if (n != 2) return invalid(std::string("must be \"") + verb[0] + verb[0] + "\"");
      return c.hour < 12 ? (verb[0] == 'A' ? "AM" : "am") : (verb[0] == 'A' ? "PM" : "pm");
    case 'm':
      return number(c.minute, "minute", "m");
    case 's':
      return number(c.second, "second", "s");
    case 'Z':
      if (n == 1) return t.offset == 0 ? "Z" : offset_text(t.offset, true);
      if (n == 3) return t.offset == 0 ? "UTC" : offset_text(t.offset, false);
      if (n == 4) return offset_text(t.offset, false);
      if (n == 5) return offset_text(t.offset, true);
      return invalid("timezone must be Z, ZZZZ, or ZZZZZ");
    default:
      return invalid("");
  }
}

Value formatdate(Args args, const CallSite& site) {
  const std::string format = string_arg(site, args, 0, "format");
  const Timestamp t = timestamp_arg(site, args, 1, "time");
  const CivilTime c = civil_from(t);
  std::string out;
  for (std::size_t i = 0; i < format.size();) {
    const char first = format[i];
    if (first == '\'') {
      // 'literal text', in which '' is a quote; '' alone is a quote too.
      std::size_t j = i + 1;
      std::string literal;
      bool closed = false;
      while (j < format.size()) {
        if (format[j] == '\'') {
          if (j + 1 < format.size() && format[j + 1] == '\'' && j != i + 1) {
            literal += '\'';
            j += 2;
            continue;
          }
          closed = true;
          ++j;
          break;
        }
        literal += format[j++];
      }
      if (!closed) param_error(site, "format", "unterminated literal '");
      out += j == i + 2 ? "'" : literal;
      i = j;
    } else if (is_ascii_letter(first)) {
      std::size_t j = i;
      while (j < format.size() && format[j] == first) ++j;
      out += format_verb(site, format.substr(i, j - i), c, t);
      i = j;
    } else {
      out += first;
      ++i;
    }
  }
  return Value::string(std::move(out));
}

// Go's time.ParseDuration: "1h30m", "-1.5s", "300ms"; units ns, us (µs), ms, s, m, h.
std::optional<std::int64_t> parse_duration(std::string_view text) {
  std::size_t at = 0;
  bool negative = false;
  if (at < text.size() && (text[at] == '-' || text[at] == '+')) negative = text[at++] == '-';
  if (text.substr(at) == "0") return 0;
  if (at == text.size()) return std::nullopt;
  constexpr double kLimit = 9223372036854775807.0;
  double total = 0;
  while (at < text.size()) {
    double amount = 0;
    bool any_digit = false;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
      amount = amount * 10 + (text[at++] - '0');
      any_digit = true;
    }
    if (at < text.size() && text[at] == '.') {
      ++at;
      double scale = 0.1;
      while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
        amount += (text[at++] - '0') * scale;
        scale /= 10;
        any_digit = true;
      }
    }
    if (!any_digit) return std::nullopt;
    const std::size_t unit_start = at;
    while (at < text.size() && text[at] != '.' && (text[at] < '0' || text[at] > '9')) ++at;
    const std::string_view unit = text.substr(unit_start, at - unit_start);
    double nanos_per_unit = 0;
    if (unit == "ns") {
      nanos_per_unit = 1;
    } else if (unit == "us" || unit == "\u00b5s" || unit == "\u03bcs") {
      nanos_per_unit = 1e3;
    } else if (unit == "ms") {
      nanos_per_unit = 1e6;
    } else if (unit == "s") {
      nanos_per_unit = 1e9;
    } else if (unit == "m") {
      nanos_per_unit = 60e9;
    } else if (unit == "h") {
      nanos_per_unit = 3600e9;
    } else {
      return std::nullopt;
    }
    total += amount * nanos_per_unit;
    if (total > kLimit) return std::nullopt;
  }
  return static_cast<std::int64_t>(negative ? -total : total);
}

Value timeadd(Args args, const CallSite& site) {
  Timestamp t = timestamp_arg(site, args, 0, "timestamp");
  const std::string text = string_arg(site, args, 1, "duration");
  const auto duration = parse_duration(text);
  if (!duration) call_error(site, "time: invalid duration \"" + text + "\".");
  t.seconds += *duration / kNanosPerSecond;
  t.nanos += *duration % kNanosPerSecond;
  if (t.nanos < 0) {
    t.nanos += kNanosPerSecond;
    --t.seconds;
  } else if (t.nanos >= kNanosPerSecond) {
    t.nanos -= kNanosPerSecond;
    ++t.seconds;
  }
  return Value::string(rfc3339(t));
}

}  // namespace

void add_datetime_functions(FunctionTable& table) {
  table["formatdate"] = {2, 2, formatdate};
  table["timeadd"] = {2, 2, timeadd};
}

}  // namespace hcl::detail
