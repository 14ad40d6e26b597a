#include "agent/server/ids.h"

#include <sys/random.h>

#include <cstdio>
#include <vector>

#include "core/error.h"

namespace pot::agent {

namespace {

std::vector<unsigned char> random_bytes(std::size_t count) {
  std::vector<unsigned char> bytes(count);
  std::size_t filled = 0;
  while (filled < count) {
    ssize_t got = getrandom(bytes.data() + filled, count - filled, 0);
    if (got < 0) {
      if (errno == EINTR) continue;
      throw_sys("getrandom");
    }
    filled += static_cast<std::size_t>(got);
  }
  return bytes;
}

}  // namespace

std::string random_hex(std::size_t count) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : random_bytes(count)) {
    out += digits[byte >> 4];
    out += digits[byte & 15];
  }
  return out;
}

std::string new_uuid() {
  std::vector<unsigned char> b = random_bytes(16);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char text[37];
  std::snprintf(text, sizeof text,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return text;
}

}  // namespace pot::agent
