// Numeric functions.
#include <cmath>
#include <limits>

#include "hcl/function_support.h"

namespace hcl::detail {

namespace {

Value unary(Args args, const CallSite& site, double (*operation)(double)) {
  return Value::number(operation(number_arg(site, args, 0, "num")));
}

Value extreme(Args args, const CallSite& site, bool want_max) {
  if (args.empty()) call_error(site, "must pass at least one number.");
  double best = number_arg(site, args, 0, "numbers");
  for (std::size_t i = 1; i < args.size(); ++i) {
    const double n = number_arg(site, args, i, "numbers");
    best = want_max ? std::max(best, n) : std::min(best, n);
  }
  return Value::number(best);
}

Value log(Args args, const CallSite& site) {
  const double num = number_arg(site, args, 0, "num");
  const double base = number_arg(site, args, 1, "base");
  const double result = std::log(num) / std::log(base);
  if (std::isnan(result)) call_error(site, "the logarithm is not a number for these arguments.");
  return Value::number(result);
}

Value pow(Args args, const CallSite& site) {
  const double result =
      std::pow(number_arg(site, args, 0, "num"), number_arg(site, args, 1, "power"));
  if (std::isnan(result)) call_error(site, "the result is not a number.");
  return Value::number(result);
}

Value signum(Args args, const CallSite& site) {
  const double n = number_arg(site, args, 0, "num");
  return Value::number(n > 0 ? 1 : n < 0 ? -1 : 0);
}

int digit_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'z') return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z') return c - 'A' + 36;
  return 99;
}

// parseint("FF", 16): bases 2 to 62; for bases up to 36 letters of either case are the same
// digit (Go's big.Int reading, which cty uses).
Value parseint(Args args, const CallSite& site) {
  const Value& given = non_null_arg(site, args, 0, "number");
  if (!given.is_string()) {
    param_error(site, "number",
                "first argument must be a string, not " + std::string(kind_name(given.kind())));
  }
  const std::string& text = given.as_string();
  const std::int64_t base = integer_arg(site, args, 1, "base");
  if (base < 2 || base > 62) {
    param_error(site, "base", "base must be a whole number between 2 and 62 inclusive");
  }
  std::size_t i = 0;
  bool negative = false;
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  if (i == text.size()) {
    param_error(site, "number",
                "cannot parse \"" + text + "\" as a base " + std::to_string(base) + " integer");
  }
  double result = 0;
  for (; i < text.size(); ++i) {
    int digit = digit_value(text[i]);
    if (base <= 36 && digit >= 36 && digit < 62) digit -= 26;
    if (digit >= base) {
      param_error(site, "number",
                  "cannot parse \"" + text + "\" as a base " + std::to_string(base) + " integer");
    }
    result = result * static_cast<double>(base) + digit;
  }
  return Value::number(negative ? -result : result);
}

}  // namespace

void add_numeric_functions(FunctionTable& table) {
  table["abs"] = {1, 1, [](Args args, const CallSite& site) {
                    return unary(args, site, [](double n) { return std::fabs(n); });
                  }};
  table["ceil"] = {1, 1, [](Args args, const CallSite& site) {
                     return unary(args, site, [](double n) { return std::ceil(n); });
                   }};
  table["floor"] = {1, 1, [](Args args, const CallSite& site) {
                      return unary(args, site, [](double n) { return std::floor(n); });
                    }};
  table["min"] = {1, -1,
                  [](Args args, const CallSite& site) { return extreme(args, site, false); }};
  table["max"] = {1, -1, [](Args args, const CallSite& site) { return extreme(args, site, true); }};
  table["log"] = {2, 2, log};
  table["pow"] = {2, 2, pow};
  table["signum"] = {1, 1, signum};
  table["parseint"] = {2, 2, parseint};
}

}  // namespace hcl::detail
