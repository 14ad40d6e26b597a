// format and formatlist: Go's fmt verbs as cty offers them.
//
// A verb is `%` [flags +-# 0] [`[n]` argument index] [width] [`.` precision] and one of
//   v (default form: strings as they are, numbers shortest, the rest as JSON; %#v always
//   JSON), t (bool), d b o x X (whole numbers), e E f g G (numbers), s (string), q (string
//   in JSON quotes), or %% for a percent sign.
// Widths and precisions of strings count characters.
#include <cctype>
#include <charconv>
#include <cmath>

#include "hcl/conversion.h"
#include "hcl/function_support.h"
#include "hcl/utf8.h"

namespace hcl::detail {

namespace {

struct Verb {
  std::string raw;  // as written, for messages
  std::size_t offset = 0;
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1;
  int precision = -1;
  char mode = 0;
};

constexpr int kMaxWidth = 1 << 16;

std::string pad(const Verb& verb, std::string text, bool numeric) {
  const auto length = static_cast<int>(character_offsets(text).size() - 1);
  if (verb.width <= length) return text;
  const auto missing = static_cast<std::size_t>(verb.width - length);
  if (verb.minus) return text + std::string(missing, ' ');
  if (verb.zero && numeric) {
    // Zeros go after the sign.
    const std::size_t sign =
        (!text.empty() && (text[0] == '-' || text[0] == '+' || text[0] == ' ')) ? 1 : 0;
    return text.substr(0, sign) + std::string(missing, '0') + text.substr(sign);
  }
  return std::string(missing, ' ') + text;
}

// Go's %g with the shortest precision (and big.Float's Text('g', -1)): %e form when the
// exponent is below -4 or at least 6.
std::string go_shortest_general(double n) {
  if (n == 0) return "0";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n, std::chars_format::scientific);
  const std::string scientific(buffer, end);  // d.ddde±x
  const std::size_t e = scientific.find('e');
  const int exponent = std::stoi(scientific.substr(e + 1));
  if (exponent < -4 || exponent >= 6) {
    std::string exponent_text = std::to_string(std::abs(exponent));
    if (exponent_text.size() < 2) exponent_text = "0" + exponent_text;
    return scientific.substr(0, e) + "e" + (exponent < 0 ? "-" : "+") + exponent_text;
  }
  return format_number(n);
}

std::string sign_prefix(const Verb& verb, bool negative) {
  if (negative) return "-";
  if (verb.plus) return "+";
  if (verb.space) return " ";
  return "";
}

std::string format_integer(const Verb& verb, double n) {
  const bool negative = n < 0;
  const double magnitude = std::fabs(n);
  std::string digits;
  if (verb.mode == 'd' || magnitude >= 1.8e19) {
    digits = format_number(magnitude);
  } else {
    auto value = static_cast<unsigned long long>(magnitude);
    const int base = verb.mode == 'b' ? 2 : verb.mode == 'o' ? 8 : 16;
    const char* alphabet = verb.mode == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
    do {
      digits.insert(digits.begin(), alphabet[value % static_cast<unsigned>(base)]);
      value /= static_cast<unsigned>(base);
    } while (value != 0);
    if (verb.sharp) {
      if (verb.mode == 'o' && digits != "0") digits = "0" + digits;
      if (verb.mode == 'x') digits = "0x" + digits;
      if (verb.mode == 'X') digits = "0X" + digits;
      if (verb.mode == 'b') digits = "0b" + digits;
    }
  }
  if (verb.precision >= 0 && static_cast<int>(digits.size()) < verb.precision) {
    digits.insert(0, static_cast<std::size_t>(verb.precision) - digits.size(), '0');
  }
  return pad(verb, sign_prefix(verb, negative) + digits, verb.precision < 0);
}

std::string format_float(const Verb& verb, double n) {
  if (verb.mode == 'g' && verb.precision < 0) {
    std::string text = go_shortest_general(std::fabs(n));
    return pad(verb, sign_prefix(verb, n < 0) + text, true);
  }
  if (verb.mode == 'G' && verb.precision < 0) {
    std::string text = go_shortest_general(std::fabs(n));
    for (char& c : text) c = c == 'e' ? 'E' : c;
    return pad(verb, sign_prefix(verb, n < 0) + text, true);
  }
  const int precision = verb.precision < 0 ? 6 : std::min(verb.precision, 1000);
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(verb.mode)));
  const auto form = lower == 'e'   ? std::chars_format::scientific
                    : lower == 'f' ? std::chars_format::fixed
                                   : std::chars_format::general;
  std::string text(1400, '\0');  // a fixed %f of 1e308 with 1000 decimals fits
  auto [end, ec] =
      std::to_chars(text.data(), text.data() + text.size(), std::fabs(n), form, precision);
  text.resize(ec == std::errc() ? static_cast<std::size_t>(end - text.data()) : 0);
  if (verb.mode == 'E' || verb.mode == 'G') {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  text = sign_prefix(verb, std::signbit(n) && n != 0) + text;
  return pad(verb, text, true);
}

class Formatter {
 public:
  Formatter(const CallSite& site, Args args) : site_(site), args_(args) {}

  std::string run(const std::string& spec) {
    std::string out;
    std::size_t next_arg = 0;
    for (std::size_t i = 0; i < spec.size();) {
      if (spec[i] != '%') {
        out += spec[i++];
        continue;
      }
      if (i + 1 < spec.size() && spec[i + 1] == '%') {
        out += '%';
        i += 2;
        continue;
      }
      Verb verb = parse_verb(spec, i, next_arg);
      out += apply(verb, verb_arg_index_);
      check_result_string(site_, out.size());
    }
    if (max_used_ < args_.size()) {
      call_error(site_, "too many arguments; only " + std::to_string(max_used_) +
                            " used by format string.");
    }
    return out;
  }

 private:
  [[noreturn]] void fail(const std::string& reason) { call_error(site_, reason + "."); }

  int read_number(const std::string& spec, std::size_t& i) {
    int value = 0;
    while (i < spec.size() && spec[i] >= '0' && spec[i] <= '9') {
      value = value * 10 + (spec[i++] - '0');
      if (value > kMaxWidth) fail("width or precision too large in format string");
    }
    return value;
  }

  Verb parse_verb(const std::string& spec, std::size_t& i, std::size_t& next_arg) {
    Verb verb;
    verb.offset = i;
    const std::size_t start = i++;
    for (; i < spec.size(); ++i) {
      const char c = spec[i];
      if (c == '-') {
        verb.minus = true;
      } else if (c == '+') {
        verb.plus = true;
      } else if (c == '#') {
        verb.sharp = true;
      } else if (c == ' ') {
        verb.space = true;
      } else if (c == '0') {
        verb.zero = true;
      } else {
        break;
      }
    }
    if (i < spec.size() && spec[i] == '[') {
      ++i;
      const int index = read_number(spec, i);
      if (i >= spec.size() || spec[i] != ']' || index < 1) {
        fail("invalid argument index in format string at offset " + std::to_string(start));
      }
      ++i;
      next_arg = static_cast<std::size_t>(index - 1);
    }
    if (i < spec.size() && spec[i] >= '1' && spec[i] <= '9') verb.width = read_number(spec, i);
    if (i < spec.size() && spec[i] == '.') {
      ++i;
      verb.precision = read_number(spec, i);
    }
    if (i >= spec.size()) fail("unterminated format verb at offset " + std::to_string(start));
    verb.mode = spec[i++];
    verb.raw = spec.substr(start, i - start);
    verb_arg_index_ = next_arg++;
    return verb;
  }

  std::string apply(const Verb& verb, std::size_t index) {
    if (std::string_view("vtbdoxXeEfgGsq").find(verb.mode) == std::string_view::npos) {
      fail("unsupported format verb '" + std::string(1, verb.mode) + "' in \"" + verb.raw +
           "\" at offset " + std::to_string(verb.offset));
    }
    if (index >= args_.size()) {
      fail("not enough arguments for \"" + verb.raw + "\" at " + std::to_string(verb.offset) +
           ": need index " + std::to_string(index + 1) + " but have " +
           std::to_string(args_.size()) + " total");
    }
    max_used_ = std::max(max_used_, index + 1);
    const Value& arg = args_[index];
    const std::string where = "\"" + verb.raw + "\" at " + std::to_string(verb.offset);
    if (verb.mode != 'v' && arg.is_null()) {
      fail("unsupported value for " + where + ": null value cannot be formatted");
    }
    std::string error;
    switch (verb.mode) {
      case 'v':
        if (!verb.sharp && arg.is_string()) return pad(verb, arg.as_string(), false);
        if (!verb.sharp && arg.is_number())
          return pad(verb, go_shortest_general(arg.as_number()), false);
        return pad(verb, json_of(site_, arg), false);
      case 't': {
        auto b = try_to_bool(arg, error);
        if (!b) fail("unsupported value for " + where + ": " + error);
        return pad(verb, b->as_bool() ? "true" : "false", false);
      }
      case 's':
      case 'q': {
        auto text = try_to_string(arg, error);
        if (!text) fail("unsupported value for " + where + ": " + error);
        std::string s = text->as_string();
        if (verb.precision >= 0) {
          const auto offsets = character_offsets(s);
          if (static_cast<std::size_t>(verb.precision) + 1 < offsets.size()) {
            s.resize(offsets[static_cast<std::size_t>(verb.precision)]);
          }
        }
        if (verb.mode == 'q') s = to_json(Value::string(s));
        return pad(verb, s, false);
      }
      default: {
        auto number = try_to_number(arg, error);
        if (!number) fail("unsupported value for " + where + ": " + error);
        const double n = number->as_number();
        if (std::string_view("bdoxX").find(verb.mode) != std::string_view::npos) {
          if (n != std::floor(n)) {
            fail("unsupported value for " + where + ": an integer is required");
          }
          return format_integer(verb, n);
        }
        return format_float(verb, n);
      }
    }
  }

  const CallSite& site_;
  Args args_;
  std::size_t verb_arg_index_ = 0;
  std::size_t max_used_ = 0;
};

Value format(Args args, const CallSite& site) {
  const std::string spec = string_arg(site, args, 0, "format");
  return Value::string(Formatter(site, args.subspan(1)).run(spec));
}

// One format per element: list arguments go element by element (all of one length), the
// others repeat.
Value formatlist(Args args, const CallSite& site) {
  const std::string spec = string_arg(site, args, 0, "format");
  std::optional<std::size_t> length;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (args[i].is_null()) {
      call_error(site, "argument " + std::to_string(i) + " is null.");
    }
    if (!args[i].is_sequence()) continue;
    if (length && *length != args[i].size()) {
      call_error(site, "argument " + std::to_string(i) + " has length " +
                           std::to_string(args[i].size()) + ", which is inconsistent with " +
                           "the previous length " + std::to_string(*length) + ".");
    }
    length = args[i].size();
  }
  const std::size_t count = length.value_or(1);
  check_result_elements(site, count);
  Value::Elements results;
  for (std::size_t k = 0; k < count; ++k) {
    std::vector<Value> row;
    for (std::size_t i = 1; i < args.size(); ++i) {
      row.push_back(args[i].is_sequence() ? args[i].elements()[k] : args[i]);
    }
    results.push_back(Value::string(Formatter(site, row).run(spec)));
  }
  return Value::list(std::move(results));
}

}  // namespace

void add_format_functions(FunctionTable& table) {
  table["format"] = {1, -1, format};
  table["formatlist"] = {1, -1, formatlist};
}

}  // namespace hcl::detail
