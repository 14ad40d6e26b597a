// Functions that read the world (uuidv4, timestamp), uuidv5, and the names of can and try, which
// eval.cc handles itself because they take their arguments unevaluated.
#include <chrono>
#include <ctime>
#include <optional>
#include <random>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Value uuidv4(Args, const CallSite&) {
  static thread_local std::mt19937_64 generator{std::random_device{}()};
  static const char* const hex = "0123456789abcdef";
  std::uniform_int_distribution<int> nibble(0, 15);
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int value = nibble(generator);
    if (i == 12) value = 4;                // version 4
    if (i == 16) value = 8 | (value & 3);  // RFC 4122 variant
    out += hex[value];
  }
  return Value::string(std::move(out));
}

// The 16 bytes of a UUID written as 36 characters (8-4-4-4-12 hex digits), or nullopt.
std::optional<std::string> uuid_bytes(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    const auto high = hex_digit(text[i]);
    const auto low = hex_digit(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

// RFC 4122 version 5: the SHA-1 of the namespace's bytes and the name, marked as version 5.
// The namespace is "dns", "url", "oid", "x500" or a UUID.
Value uuidv5(Args args, const CallSite& site) {
  std::string namespace_text = string_arg(site, args, 0, "namespace");
  const std::string name = string_arg(site, args, 1, "name");
  static const char* const kWellKnown[][2] = {{"dns", "6ba7b810-9dad-11d1-80b4-00c04fd430c8"},
                                              {"url", "6ba7b811-9dad-11d1-80b4-00c04fd430c8"},
                                              {"oid", "6ba7b812-9dad-11d1-80b4-00c04fd430c8"},
                                              {"x500", "6ba7b814-9dad-11d1-80b4-00c04fd430c8"}};
  for (const auto& entry : kWellKnown) {
    if (namespace_text == entry[0]) namespace_text = entry[1];
  }
  const auto namespace_bytes = uuid_bytes(namespace_text);
  if (!namespace_bytes) {
    call_error(site, "uuidv5() doesn't support namespace " + namespace_text + ".");
  }
  const std::string digest = sha1_hex(*namespace_bytes + name);
  static const char* const hex = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out += '-';
    int value = hex_digit(digest[i]);
    if (i == 12) value = 5;                // version 5
    if (i == 16) value = 8 | (value & 3);  // RFC 4122 variant
    out += hex[value];
  }
  return Value::string(std::move(out));
}

// RFC 3339 in UTC, as Go prints it: 2024-01-02T15:04:05Z.
Value timestamp(Args, const CallSite&) {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return Value::string(buffer);
}

Value evaluated_by_eval(Args, const CallSite& site) {
  call_error(site, "is evaluated by the expression evaluator, not called directly.");
}

}  // namespace

void add_misc_functions(FunctionTable& table) {
  table["uuidv4"] = {0, 0, uuidv4};
  table["uuidv5"] = {2, 2, uuidv5};
  table["timestamp"] = {0, 0, timestamp};
  table["can"] = {1, 1, evaluated_by_eval};
  table["try"] = {1, -1, evaluated_by_eval};
  table["convert"] = {2, 2, evaluated_by_eval};
}

}  // namespace hcl::detail
