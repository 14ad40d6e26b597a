#include "core/error.h"

#include <cstring>

namespace pot {

void throw_sys(std::string_view what, int err) {
  throw Error(std::string(what) + ": " + std::strerror(err), err);
}

std::string quote_name(std::string_view name) {
  // Control characters are escaped: an error stays one line and cannot drive a terminal.
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('`');
  for (char c : name) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('`');
  return out;
}

}  // namespace pot
