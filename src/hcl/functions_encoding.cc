// Encoding functions: JSON, base64, URL query escaping, YAML (encoding only), digests.
#include <cmath>

#include "hcl/conversion.h"
#include "hcl/function_support.h"
#include "hcl/utf8.h"

namespace hcl::detail {

namespace {

void require_finite(const CallSite& site, const Value& value) {
  if (value.is_number() && !std::isfinite(value.as_number())) {
    call_error(site, "cannot serialize infinity as JSON.");
  }
  if (value.is_sequence()) {
    for (const Value& element : value.elements()) require_finite(site, element);
  } else if (value.is_mapping()) {
    for (const auto& entry : value.attributes()) require_finite(site, entry.second);
  }
}

// A JSON reader for jsondecode: objects become objects, arrays tuples, as cty's ImpliedType
// makes them. Nesting is bounded so that a hostile document cannot exhaust the stack.
class JsonReader {
 public:
  JsonReader(const CallSite& site, std::string_view text) : site_(site), text_(text) {}

  Value document() {
    Value value = read_value(0);
    skip_space();
    if (at_ < text_.size()) fail("extra characters after the JSON value");
    return value;
  }

 private:
  static constexpr int kMaxNesting = 512;

  [[noreturn]] void fail(const std::string& reason) {
    call_error(site_, "invalid JSON at offset " + std::to_string(at_) + ": " + reason + ".");
  }

  void skip_space() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  bool consume(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  Value read_value(int depth) {
    if (depth > kMaxNesting) fail("nested too deeply");
    skip_space();
    if (at_ >= text_.size()) fail("unexpected end of input");
    const char c = text_[at_];
    if (c == '{') return read_object(depth);
    if (c == '[') return read_array(depth);
    if (c == '"') return Value::string(read_string());
    if (consume("true")) return Value::boolean(true);
    if (consume("false")) return Value::boolean(false);
    if (consume("null")) return Value::null();
    return read_number();
  }

  Value read_object(int depth) {
    ++at_;
    Value::Attributes attributes;
    skip_space();
    if (consume("}")) return Value::object(std::move(attributes));
    while (true) {
      skip_space();
      if (at_ >= text_.size() || text_[at_] != '"') fail("an object key must be a string");
      std::string key = read_string();
      skip_space();
      if (!consume(":")) fail("':' expected after an object key");
      attributes.insert_or_assign(std::move(key), read_value(depth + 1));
      count_steps(site_.context, 1, site_.call.range);
      skip_space();
      if (consume("}")) return Value::object(std::move(attributes));
      if (!consume(",")) fail("',' or '}' expected");
    }
  }

  Value read_array(int depth) {
    ++at_;
    Value::Elements elements;
    skip_space();
    if (consume("]")) return Value::tuple(std::move(elements));
    while (true) {
      elements.push_back(read_value(depth + 1));
      count_steps(site_.context, 1, site_.call.range);
      skip_space();
      if (consume("]")) return Value::tuple(std::move(elements));
      if (!consume(",")) fail("',' or ']' expected");
    }
  }

  unsigned read_hex4() {
    if (at_ + 4 > text_.size()) fail("short \\u escape");
    unsigned value = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[at_++];
      value <<= 4;
      if (c >= '0' && c <= '9') {
        value |= static_cast<unsigned>(c - '0');
      } else if (c >= 'a' && c <= 'f') {
        value |= static_cast<unsigned>(c - 'a' + 10);
      } else if (c >= 'A' && c <= 'F') {
        value |= static_cast<unsigned>(c - 'A' + 10);
      } else {
        fail("invalid \\u escape");
      }
    }
    return value;
  }

  std::string read_string() {
    ++at_;
    std::string out;
    while (true) {
      if (at_ >= text_.size()) fail("unterminated string");
      const char c = text_[at_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ >= text_.size()) fail("unterminated string");
      const char escape = text_[at_++];
      switch (escape) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          char32_t code = read_hex4();
          if (code >= 0xD800 && code <= 0xDBFF && text_.substr(at_, 2) == "\\u") {
            at_ += 2;
            const char32_t low = read_hex4();
            code = (low >= 0xDC00 && low <= 0xDFFF)
                       ? 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                       : U'\uFFFD';
          } else if (code >= 0xD800 && code <= 0xDFFF) {
            code = U'\uFFFD';
          }
          append_utf8(out, code);
          break;
        }
        default:
          fail("invalid escape in a string");
      }
    }
  }

  Value read_number() {
    const std::size_t start = at_;
    while (at_ < text_.size() &&
           (std::string_view("+-.eE").find(text_[at_]) != std::string_view::npos ||
            (text_[at_] >= '0' && text_[at_] <= '9'))) {
      ++at_;
    }
    auto number = parse_number(text_.substr(start, at_ - start));
    if (at_ == start || !number || text_[start] == '+') {
      at_ = start;
      fail("invalid character");
    }
    return Value::number(*number);
  }

  const CallSite& site_;
  std::string_view text_;
  std::size_t at_ = 0;
};

constexpr const char* kBase64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

Value base64encode(Args args, const CallSite& site) {
  const std::string data = string_arg(site, args, 0, "str");
  check_result_string(site, (data.size() + 2) / 3 * 4);
  std::string out;
  for (std::size_t i = 0; i < data.size(); i += 3) {
    std::uint32_t chunk = static_cast<unsigned char>(data[i]) << 16;
    if (i + 1 < data.size()) chunk |= static_cast<unsigned char>(data[i + 1]) << 8;
    if (i + 2 < data.size()) chunk |= static_cast<unsigned char>(data[i + 2]);
    out += kBase64Alphabet[(chunk >> 18) & 63];
    out += kBase64Alphabet[(chunk >> 12) & 63];
    out += i + 1 < data.size() ? kBase64Alphabet[(chunk >> 6) & 63] : '=';
    out += i + 2 < data.size() ? kBase64Alphabet[chunk & 63] : '=';
  }
  return Value::string(std::move(out));
}

Value base64decode(Args args, const CallSite& site) {
  const std::string text = string_arg(site, args, 0, "str");
  auto invalid = [&]() {
    const std::string shown = text.size() > 40 ? text.substr(0, 40) + "..." : text;
    call_error(site, "failed to decode base64 data \"" + shown + "\".");
  };
  if (text.size() % 4 != 0) invalid();
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t chunk = 0;
    int padding = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      const char c = text[i + k];
      chunk <<= 6;
      if (c == '=' && i + 4 == text.size() && k >= 2) {
        ++padding;
        continue;
      }
      if (padding > 0) invalid();
      const char* found = std::char_traits<char>::find(kBase64Alphabet, 64, c);
      if (found == nullptr) invalid();
      chunk |= static_cast<std::uint32_t>(found - kBase64Alphabet);
    }
    out += static_cast<char>((chunk >> 16) & 0xFF);
    if (padding < 2) out += static_cast<char>((chunk >> 8) & 0xFF);
    if (padding < 1) out += static_cast<char>(chunk & 0xFF);
  }
  if (encode_utf8(decode_utf8(out)) != out) {
    call_error(site, "the result of decoding the provided string is not valid UTF-8.");
  }
  return Value::string(std::move(out));
}

// As Go's url.QueryEscape: letters, digits and -_.~ stay, a space is '+', the rest %XX.
Value urlencode(Args args, const CallSite& site) {
  const std::string text = string_arg(site, args, 0, "str");
  check_result_string(site, text.size() * 3);
  static const char* const hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return Value::string(std::move(out));
}

// YAML in block style, keys in order, strings quoted when they would read back as something
// else.
bool needs_quotes(const std::string& s) {
  if (s.empty() || s == "true" || s == "false" || s == "null" || s == "~" || s == "yes" ||
      s == "no" || s == "on" || s == "off" || parse_number(s)) {
    return true;
  }
  if (s.front() == ' ' || s.back() == ' ') return true;
  for (char c : s) {
    if (std::string_view(":#{}[],&*!|>'\"%@`\n\t\\").find(c) != std::string_view::npos) {
      return true;
    }
  }
  return std::string_view("-?").find(s.front()) != std::string_view::npos;
}

std::string yaml_scalar(const Value& value) {
  switch (value.kind()) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return value.as_bool() ? "true" : "false";
    case Kind::Number:
      return format_number(value.as_number());
    case Kind::String: {
      const std::string& s = value.as_string();
      return needs_quotes(s) ? to_json(value) : s;
    }
    default:
      return value.is_sequence() ? "[]" : "{}";
  }
}

void append_yaml(std::string& out, const Value& value, int indent) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (value.is_sequence() && value.size() > 0) {
    for (const Value& element : value.elements()) {
      out += pad + "-";
      if ((element.is_sequence() || element.is_mapping()) && element.size() > 0) {
        out += "\n";
        append_yaml(out, element, indent + 2);
      } else {
        out += " " + yaml_scalar(element) + "\n";
      }
    }
    return;
  }
  if (value.is_mapping() && value.size() > 0) {
    for (const auto& [key, element] : value.attributes()) {
      out += pad + yaml_scalar(Value::string(key)) + ":";
      if ((element.is_sequence() || element.is_mapping()) && element.size() > 0) {
        out += "\n";
        append_yaml(out, element, element.is_sequence() ? indent : indent + 2);
      } else {
        out += " " + yaml_scalar(element) + "\n";
      }
    }
    return;
  }
  out += pad + yaml_scalar(value) + "\n";
}

Value digest(Args args, const CallSite& site, std::string (*hash)(std::string_view)) {
  return Value::string(hash(string_arg(site, args, 0, "str")));
}

}  // namespace

std::string json_of(const CallSite& site, const Value& value) {
  require_finite(site, value);
  return to_json(value);
}

Value parse_json(const CallSite& site, std::string_view text) {
  return JsonReader(site, text).document();
}

void add_encoding_functions(FunctionTable& table) {
  table["jsonencode"] = {
      1, 1, [](Args args, const CallSite& site) { return Value::string(json_of(site, args[0])); }};
  table["jsondecode"] = {1, 1, [](Args args, const CallSite& site) {
                           return parse_json(site, string_arg(site, args, 0, "str"));
                         }};
  table["yamlencode"] = {1, 1, [](Args args, const CallSite& site) {
                           require_finite(site, args[0]);
                           std::string out;
                           append_yaml(out, args[0], 0);
                           return Value::string(std::move(out));
                         }};
  table["base64encode"] = {1, 1, base64encode};
  table["base64decode"] = {1, 1, base64decode};
  table["urlencode"] = {1, 1, urlencode};
  table["md5"] = {1, 1,
                  [](Args args, const CallSite& site) { return digest(args, site, md5_hex); }};
  table["sha1"] = {1, 1,
                   [](Args args, const CallSite& site) { return digest(args, site, sha1_hex); }};
  table["sha256"] = {
      1, 1, [](Args args, const CallSite& site) { return digest(args, site, sha256_hex); }};
  table["sha512"] = {
      1, 1, [](Args args, const CallSite& site) { return digest(args, site, sha512_hex); }};
}

}  // namespace hcl::detail
