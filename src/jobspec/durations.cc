// Go's time.ParseDuration, rule for rule: an optional sign, then one or more
// `number unit` pairs; the number may have a fraction; units ns, us (also µs and μs), ms, s,
// m, h; a lone "0" needs no unit; anything beyond 2^63-1 nanoseconds is invalid.
#include "jobspec/durations.h"

#include <array>
#include <cmath>
#include <limits>

namespace jobspec {
namespace {

struct Unit {
  std::string_view name;
  std::uint64_t nanoseconds;
};

constexpr std::array<Unit, 8> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 MICRO SIGN
    {"\xCE\xBCs", 1'000},  // U+03BC GREEK SMALL LETTER MU
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

// Go's strconv.Quote for the texts a job file holds: quotes, backslashes and control
// characters escaped.
std::string go_quote(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

std::optional<std::int64_t> parse_duration(std::string_view text, std::string* error) {
  const std::string quoted = go_quote(text);
  auto invalid = [&]() -> std::optional<std::int64_t> {
    *error = "time: invalid duration " + quoted;
    return std::nullopt;
  };
  std::string_view s = text;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return 0;
  if (s.empty()) return invalid();

  // As Go: the sum is kept in unsigned nanoseconds and may reach 1<<63 only when negative.
  constexpr std::uint64_t kLimit = std::uint64_t{1} << 63;
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || is_digit(s[0]))) return invalid();
    // The whole part.
    std::uint64_t whole = 0;
    std::size_t i = 0;
    bool overflow = false;
    while (i < s.size() && is_digit(s[i])) {
      if (whole > (kLimit - (s[i] - '0')) / 10) overflow = true;
      if (!overflow) whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
      ++i;
    }
    if (overflow) return invalid();
    const bool had_whole = i > 0;
    // The fraction, kept as digits scaled later (Go keeps up to ~19 significant digits).
    std::uint64_t fraction = 0;
    double fraction_scale = 1;
    bool had_fraction = false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      const std::size_t start = i;
      while (i < s.size() && is_digit(s[i])) {
        if (fraction < std::numeric_limits<std::uint64_t>::max() / 100) {
          fraction = fraction * 10 + static_cast<std::uint64_t>(s[i] - '0');
          fraction_scale *= 10;
        }
        ++i;
      }
      had_fraction = i > start;
    }
    if (!had_whole && !had_fraction) return invalid();
    s.remove_prefix(i);

    // The unit: everything up to the next digit or '.'.
    std::size_t unit_end = 0;
    while (unit_end < s.size() && !(s[unit_end] == '.' || is_digit(s[unit_end]))) ++unit_end;
    if (unit_end == 0) {
      *error = "time: missing unit in duration " + quoted;
      return std::nullopt;
    }
    const std::string_view unit_name = s.substr(0, unit_end);
    const Unit* unit = nullptr;
    for (const Unit& candidate : kUnits) {
      if (candidate.name == unit_name) unit = &candidate;
    }
    if (unit == nullptr) {
      *error = "time: unknown unit " + go_quote(unit_name) + " in duration " + quoted;
      return std::nullopt;
    }
    s.remove_prefix(unit_end);

    if (whole > kLimit / unit->nanoseconds) return invalid();
    std::uint64_t value = whole * unit->nanoseconds;
    if (fraction > 0) {
      const auto extra = static_cast<std::uint64_t>(
          static_cast<double>(fraction) * static_cast<double>(unit->nanoseconds) / fraction_scale);
      value += extra;
      if (value > kLimit) return invalid();
    }
    total += value;
    if (total > kLimit) return invalid();
  }
  if (total == kLimit && !negative) return invalid();
  if (negative) {
    return total == kLimit ? std::numeric_limits<std::int64_t>::min()
                           : -static_cast<std::int64_t>(total);
  }
  return static_cast<std::int64_t>(total);
}

}  // namespace jobspec
