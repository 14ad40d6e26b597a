#include "net/interface_names.h"

#include <cstdint>

namespace pot::net {

namespace {

// 64-bit FNV-1a, printed as `digits` hex digits.
std::string short_hash(const std::string& text, int digits) {
  uint64_t hash = 14695981039346656037ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string out(static_cast<size_t>(digits), '0');
  for (int i = digits - 1; i >= 0; --i, hash >>= 4) out[static_cast<size_t>(i)] = kHex[hash & 0xf];
  return out;
}

}  // namespace

std::string public_bridge_interface(const std::string& root_tag) {
  return "potbr" + root_tag.substr(0, 8);
}

std::string private_bridge_interface(const std::string& root_tag, const std::string& bridge) {
  return "potpb" + short_hash(root_tag + "/" + bridge, 10);
}

std::string pot_veth_prefix(const std::string& root_tag, const std::string& pot) {
  return "potv" + short_hash(root_tag + "/" + pot, 7);
}

std::string pot_veth_interface(const std::string& root_tag, const std::string& pot, unsigned run) {
  static const char kHex[] = "0123456789abcdef";
  std::string suffix(4, '0');
  for (int i = 3; i >= 0; --i, run >>= 4) suffix[static_cast<size_t>(i)] = kHex[run & 0xf];
  return pot_veth_prefix(root_tag, pot) + suffix;
}

std::string firewall_table(const std::string& root_tag) {
  return "pot_" + root_tag;
}

}  // namespace pot::net
