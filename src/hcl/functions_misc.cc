// Functions that read the world (uuidv4, timestamp), and the names of can and try, which
// eval.cc handles itself because they take their arguments unevaluated.
#include <chrono>
#include <ctime>
#include <random>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

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
  table["timestamp"] = {0, 0, timestamp};
  table["can"] = {1, 1, evaluated_by_eval};
  table["try"] = {1, -1, evaluated_by_eval};
}

}  // namespace hcl::detail
