// Network functions as Nomad's job files have them (HashiCorp's go-cty-funcs cidr package):
// cidrhost, cidrnetmask, cidrsubnet, cidrsubnets, over IPv4 and IPv6 prefixes written as
// "10.0.0.0/8" or "fd00::/8". Addresses are held as 128-bit numbers in two halves.
#include <cstdint>
#include <optional>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

struct Address {
  std::uint64_t high = 0;
  std::uint64_t low = 0;
};

struct Prefix {
  Address network;  // host bits cleared
  int length = 0;   // bits of the network part
  int bits = 32;    // 32 for IPv4, 128 for IPv6
};

// The address with only its first `count` bits (of 128) kept.
Address keep_leading(const Address& a, int count) {
  Address out = a;
  if (count <= 0) return {};
  if (count < 64) {
    out.high &= ~std::uint64_t{0} << (64 - count);
    out.low = 0;
  } else if (count < 128) {
    out.low &= ~std::uint64_t{0} << (128 - count);
  }
  return out;
}

// a + n * 2^shift (bits counted from the right of the 128), or nullopt on overflow.
std::optional<Address> add_shifted(const Address& a, std::uint64_t n, int shift) {
  std::uint64_t add_high = 0;
  std::uint64_t add_low = 0;
  if (shift >= 128) return n == 0 ? std::optional<Address>(a) : std::nullopt;
  if (shift >= 64) {
    if (shift > 64 && (n >> (128 - shift)) != 0) return std::nullopt;
    add_high = n << (shift - 64);
  } else {
    add_low = n << shift;
    add_high = shift == 0 ? 0 : n >> (64 - shift);
  }
  Address out;
  out.low = a.low + add_low;
  const std::uint64_t carry = out.low < a.low ? 1 : 0;
  out.high = a.high + add_high + carry;
  if (out.high < a.high || (carry != 0 && out.high == a.high)) return std::nullopt;
  return out;
}

std::optional<Address> parse_ipv4(std::string_view text) {
  std::uint64_t value = 0;
  int parts = 0;
  std::size_t at = 0;
  while (parts < 4) {
    std::size_t digits = 0;
    unsigned part = 0;
    while (at < text.size() && text[at] >= '0' && text[at] <= '9' && digits < 3) {
      part = part * 10 + static_cast<unsigned>(text[at++] - '0');
      ++digits;
    }
    if (digits == 0 || part > 255) return std::nullopt;
    value = value << 8 | part;
    if (++parts < 4) {
      if (at >= text.size() || text[at] != '.') return std::nullopt;
      ++at;
    }
  }
  if (at != text.size()) return std::nullopt;
  return Address{0, value};
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<Address> parse_ipv6(std::string_view text) {
  std::uint16_t groups[8] = {};
  int count = 0;
  int gap = -1;  // where "::" stands
  std::size_t at = 0;
  if (text.substr(0, 2) == "::") {
    gap = 0;
    at = 2;
  }
  while (at < text.size() && count < 8) {
    int value = 0;
    std::size_t digits = 0;
    while (at < text.size() && hex_value(text[at]) >= 0 && digits < 4) {
      value = value * 16 + hex_value(text[at++]);
      ++digits;
    }
    if (digits == 0) return std::nullopt;
    groups[count++] = static_cast<std::uint16_t>(value);
    if (at == text.size()) break;
    if (text[at] != ':') return std::nullopt;
    ++at;
    if (at < text.size() && text[at] == ':') {
      if (gap >= 0) return std::nullopt;
      gap = count;
      ++at;
    } else if (at == text.size()) {
      return std::nullopt;
    }
  }
  if (at != text.size() || (gap < 0 && count != 8) || (gap >= 0 && count > 7)) {
    return std::nullopt;
  }
  std::uint16_t full[8] = {};
  if (gap < 0) {
    for (int i = 0; i < 8; ++i) full[i] = groups[i];
  } else {
    for (int i = 0; i < gap; ++i) full[i] = groups[i];
    const int tail = count - gap;
    for (int i = 0; i < tail; ++i) full[8 - tail + i] = groups[gap + i];
  }
  Address out;
  for (int i = 0; i < 4; ++i) out.high = out.high << 16 | full[i];
  for (int i = 4; i < 8; ++i) out.low = out.low << 16 | full[i];
  return out;
}

Prefix prefix_arg(const CallSite& site, Args args) {
  const std::string text = string_arg(site, args, 0, "prefix");
  auto invalid = [&]() -> Prefix {
    param_error(site, "prefix", "invalid CIDR expression: invalid CIDR address: " + text);
  };
  const std::size_t slash = text.find('/');
  if (slash == std::string::npos) return invalid();
  const std::string_view address = std::string_view(text).substr(0, slash);
  const std::string_view length = std::string_view(text).substr(slash + 1);
  Prefix out;
  std::optional<Address> parsed = parse_ipv4(address);
  if (!parsed) {
    parsed = parse_ipv6(address);
    out.bits = 128;
  }
  if (!parsed || length.empty() || length.size() > 3) return invalid();
  out.length = 0;
  for (char c : length) {
    if (c < '0' || c > '9') return invalid();
    out.length = out.length * 10 + (c - '0');
  }
  if (out.length > out.bits) return invalid();
  // IPv4 addresses sit in the low 32 bits; keep_leading counts from the top of 128.
  out.network = keep_leading(*parsed, out.length + (128 - out.bits));
  return out;
}

std::string ipv4_text(const Address& a) {
  return std::to_string(a.low >> 24 & 255) + "." + std::to_string(a.low >> 16 & 255) + "." +
         std::to_string(a.low >> 8 & 255) + "." + std::to_string(a.low & 255);
}

// RFC 5952: lowercase, no leading zeros, the longest run of two or more zero groups as "::".
std::string ipv6_text(const Address& a) {
  std::uint16_t groups[8];
  for (int i = 0; i < 4; ++i) groups[i] = static_cast<std::uint16_t>(a.high >> (48 - 16 * i));
  for (int i = 0; i < 4; ++i) groups[4 + i] = static_cast<std::uint16_t>(a.low >> (48 - 16 * i));
  int best_start = -1;
  int best_length = 1;
  for (int i = 0; i < 8;) {
    int j = i;
    while (j < 8 && groups[j] == 0) ++j;
    if (j - i > best_length) {
      best_start = i;
      best_length = j - i;
    }
    i = j == i ? i + 1 : j;
  }
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 8; ++i) {
    if (i == best_start) {
      out += "::";
      i += best_length - 1;
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ':';
    std::string group;
    for (int shift = 12; shift >= 0; shift -= 4) {
      const int digit = groups[i] >> shift & 15;
      if (!group.empty() || digit != 0 || shift == 0) group += hex[digit];
    }
    out += group;
  }
  return out;
}

std::string address_text(const Prefix& prefix, const Address& a) {
  return prefix.bits == 32 ? ipv4_text(a) : ipv6_text(a);
}

Value cidrhost(Args args, const CallSite& site) {
  const Prefix prefix = prefix_arg(site, args);
  const std::int64_t host = integer_arg(site, args, 1, "hostnum");
  const int host_bits = prefix.bits - prefix.length;
  // Hosts of the prefix: 2^host_bits; a negative number counts back from the end.
  const bool fits = host_bits >= 63 || (host >= 0 ? host < (std::int64_t{1} << host_bits)
                                                  : -host <= (std::int64_t{1} << host_bits));
  if (!fits) {
    call_error(site, "prefix of " + std::to_string(prefix.length) +
                         " does not accommodate a host numbered " + std::to_string(host) + ".");
  }
  std::optional<Address> address;
  if (host >= 0) {
    address = add_shifted(prefix.network, static_cast<std::uint64_t>(host), 0);
  } else {
    // network + 2^host_bits - |host|
    Address last = prefix.network;
    for (int bit = 0; bit < host_bits; ++bit) {
      last = add_shifted(last, 1, bit).value_or(last);
    }
    address = last;  // -1 is the last address
    const auto back = static_cast<std::uint64_t>(-(host + 1));
    const std::uint64_t low = address->low - back;
    address->high -= low > address->low ? 1 : 0;
    address->low = low;
  }
  return Value::string(address_text(prefix, *address));
}

Value cidrnetmask(Args args, const CallSite& site) {
  const Prefix prefix = prefix_arg(site, args);
  const Address all_ones{~std::uint64_t{0}, ~std::uint64_t{0}};
  Address mask = keep_leading(all_ones, prefix.length + (128 - prefix.bits));
  if (prefix.bits == 32) mask.low &= 0xFFFFFFFF;
  if (prefix.bits == 32) mask.high = 0;
  return Value::string(address_text(prefix, mask));
}

// The subnet numbered `number` of `new_bits` more bits, or fails as go-cty-funcs does.
std::string subnet(const CallSite& site, const Prefix& prefix, std::int64_t new_bits,
                   std::int64_t number) {
  if (new_bits < 0) call_error(site, "must extend prefix by at least one bit.");
  if (prefix.length + new_bits > prefix.bits) {
    call_error(site, "insufficient address space to extend prefix of " +
                         std::to_string(prefix.length) + " by " + std::to_string(new_bits) + ".");
  }
  if (number < 0 || (new_bits < 63 && number >= (std::int64_t{1} << new_bits))) {
    call_error(site, "prefix extension of " + std::to_string(new_bits) +
                         " does not accommodate a subnet numbered " + std::to_string(number) + ".");
  }
  const int length = prefix.length + static_cast<int>(new_bits);
  const auto address =
      add_shifted(prefix.network, static_cast<std::uint64_t>(number), prefix.bits - length);
  return address_text(prefix, *address) + "/" + std::to_string(length);
}

Value cidrsubnet(Args args, const CallSite& site) {
  const Prefix prefix = prefix_arg(site, args);
  return Value::string(subnet(site, prefix, integer_arg(site, args, 1, "newbits"),
                              integer_arg(site, args, 2, "netnum")));
}

// Consecutive subnets of the given sizes, each aligned to its own size after the previous.
Value cidrsubnets(Args args, const CallSite& site) {
  const Prefix prefix = prefix_arg(site, args);
  Value::Elements out;
  Address next = prefix.network;
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::int64_t new_bits = integer_arg(site, args, i, "newbits");
    if (new_bits < 1 || prefix.length + new_bits > prefix.bits) {
      call_error(site, "argument " + std::to_string(i + 1) + ": would extend prefix to " +
                           std::to_string(prefix.length + new_bits) + " bits, which is too " +
                           (new_bits < 1 ? "short" : "long") + " for an IPv" +
                           (prefix.bits == 32 ? "4" : "6") + " address.");
    }
    const int length = prefix.length + static_cast<int>(new_bits);
    const int shift = 128 - (length + (128 - prefix.bits));  // host bits of the subnet
    // Align up to the subnet's size.
    Address aligned = keep_leading(next, 128 - shift);
    if (aligned.high != next.high || aligned.low != next.low) {
      const auto bumped = add_shifted(aligned, 1, shift);
      if (!bumped) call_error(site, "not enough remaining address space for a subnet.");
      aligned = *bumped;
    }
    if (keep_leading(aligned, prefix.length + (128 - prefix.bits)).high != prefix.network.high ||
        keep_leading(aligned, prefix.length + (128 - prefix.bits)).low != prefix.network.low) {
      call_error(site, "not enough remaining address space for a subnet with a prefix of " +
                           std::to_string(length) + " bits after " +
                           (out.empty() ? std::string("the start") : out.back().as_string()) + ".");
    }
    out.push_back(Value::string(address_text(prefix, aligned) + "/" + std::to_string(length)));
    const auto after = add_shifted(aligned, 1, shift);
    next = after ? *after : Address{~std::uint64_t{0}, ~std::uint64_t{0}};
    check_result_elements(site, out.size());
  }
  return Value::list(std::move(out));
}

}  // namespace

void add_network_functions(FunctionTable& table) {
  table["cidrhost"] = {2, 2, cidrhost};
  table["cidrnetmask"] = {1, 1, cidrnetmask};
  table["cidrsubnet"] = {3, 3, cidrsubnet};
  table["cidrsubnets"] = {1, -1, cidrsubnets};
}

}  // namespace hcl::detail
