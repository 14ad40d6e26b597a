#include "core/size.h"

#include <limits>

#include "core/error.h"

namespace pot {

uint64_t parse_size(std::string_view text) {
  auto invalid = [&](const char* why) -> Error {
    return Error("invalid size " + quote_name(text) + ": " + why);
  };
  if (text.empty()) throw invalid("empty");
  uint64_t value = 0;
  size_t i = 0;
  for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
    uint64_t digit = static_cast<uint64_t>(text[i] - '0');
    if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10) throw invalid("too large");
    value = value * 10 + digit;
  }
  if (i == 0) throw invalid("expected a number, then an optional K, M, G or T");
  std::string_view unit = text.substr(i);
  if (unit.size() == 2 && (unit[1] == 'B' || unit[1] == 'b') &&
      std::string_view("KkMmGgTt").find(unit[0]) != std::string_view::npos)
    unit = unit.substr(0, 1);  // 10MB reads as 10M; 1BB stays an error
  if (unit.size() > 1) throw invalid("unknown unit");
  int shift = 0;
  if (!unit.empty()) {
    switch (unit[0]) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      case 'b':
      case 'B':
        shift = 0;
        break;
      default:
        throw invalid("unknown unit");
    }
  }
  if (shift > 0 && value > (std::numeric_limits<uint64_t>::max() >> shift))
    throw invalid("too large");
  return value << shift;
}

std::string format_size(uint64_t bytes) {
  static const char kUnits[] = {'T', 'G', 'M', 'K'};
  static const int kShifts[] = {40, 30, 20, 10};
  for (size_t i = 0; i < 4; ++i) {
    uint64_t unit = uint64_t{1} << kShifts[i];
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + kUnits[i];
  }
  return std::to_string(bytes);
}

}  // namespace pot
