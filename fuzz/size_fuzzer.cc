// parse_size, the reader of sizes users and settings write (64M, 1G, POT_LOG_MAX_SIZE,
// pot set-rss -M). Checks, beyond no crash and no sanitizer report (overflow included):
//  - only pot::Error escapes;
//  - an accepted size formats (format_size) to text that parses back to the same number;
//  - a size of digits only is that number.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/size.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  uint64_t bytes = 0;
  try {
    bytes = pot::parse_size(text);
  } catch (const pot::Error&) {
    return 0;
  }
  FUZZ_CHECK(pot::parse_size(pot::format_size(bytes)) == bytes);
  if (text.find_first_not_of("0123456789") == std::string_view::npos) {
    size_t digits = text.find_first_not_of('0');
    std::string_view number = digits == std::string_view::npos ? "0" : text.substr(digits);
    FUZZ_CHECK(std::to_string(bytes) == number);
  }
  return 0;
}
