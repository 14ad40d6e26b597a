#include "core/number.h"

#include <charconv>
#include <string>

#include "core/error.h"

namespace pot {

std::optional<uint64_t> to_unsigned(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || stop != end) return std::nullopt;
  return value;
}

uint64_t parse_unsigned(std::string_view text, std::string_view what) {
  if (auto value = to_unsigned(text)) return *value;
  bool digits = !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
  throw Error("invalid " + std::string(what) + ": " + quote_name(text) +
              (digits ? " is too large" : " is not a number"));
}

}  // namespace pot
