// Value: construction, access, equality, and the two text forms (format_number, to_json).
#include "hcl/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <stdexcept>

namespace hcl {

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::Null:
      return "null";
    case Kind::Bool:
      return "bool";
    case Kind::Number:
      return "number";
    case Kind::String:
      return "string";
    case Kind::List:
      return "list";
    case Kind::Tuple:
      return "tuple";
    case Kind::Set:
      return "set";
    case Kind::Map:
      return "map";
    case Kind::Object:
      return "object";
  }
  return "unknown";
}

Value Value::boolean(bool b) {
  Value v;
  v.kind_ = Kind::Bool;
  v.bool_ = b;
  return v;
}

Value Value::number(double n) {
  Value v;
  v.kind_ = Kind::Number;
  v.number_ = n == 0 ? 0.0 : n;  // -0 and 0 are one number in HCL
  return v;
}

namespace {

std::size_t saturating_add(std::size_t a, std::size_t b) {
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

}  // namespace

void Value::add_to_totals(const Value& part) {
  total_values_ = saturating_add(total_values_, part.total_values_);
  total_string_bytes_ = saturating_add(total_string_bytes_, part.total_string_bytes_);
}

Value Value::string(std::string s) {
  Value v;
  v.kind_ = Kind::String;
  v.total_string_bytes_ = s.size();
  v.string_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

Value Value::list(Elements elements) {
  Value v;
  v.kind_ = Kind::List;
  v.elements_ = std::make_shared<const Elements>(std::move(elements));
  for (const Value& element : *v.elements_) v.add_to_totals(element);
  return v;
}

Value Value::tuple(Elements elements) {
  Value v;
  v.kind_ = Kind::Tuple;
  v.elements_ = std::make_shared<const Elements>(std::move(elements));
  for (const Value& element : *v.elements_) v.add_to_totals(element);
  return v;
}

namespace {

// The rank of a kind in a set's order: cty's sets hold one element type, so mixed kinds only
// arise from hand-built values; they still need a total order.
int set_rank(Kind kind) {
  switch (kind) {
    case Kind::Bool:
      return 0;
    case Kind::Number:
      return 1;
    case Kind::String:
      return 2;
    default:
      return 3;
  }
}

// cty's set order: false before true, numbers ascending, strings lexically (by bytes);
// collections by their JSON text, which is at least stable.
bool set_less(const Value& a, const Value& b) {
  const int ra = set_rank(a.kind());
  const int rb = set_rank(b.kind());
  if (ra != rb) return ra < rb;
  switch (a.kind()) {
    case Kind::Bool:
      return !a.as_bool() && b.as_bool();
    case Kind::Number:
      return a.as_number() < b.as_number();
    case Kind::String:
      return a.as_string() < b.as_string();
    default:
      return to_json(a) < to_json(b);
  }
}

}  // namespace

Value Value::set(Elements elements) {
  std::stable_sort(elements.begin(), elements.end(), set_less);
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  Value v;
  v.kind_ = Kind::Set;
  v.elements_ = std::make_shared<const Elements>(std::move(elements));
  for (const Value& element : *v.elements_) v.add_to_totals(element);
  return v;
}

Value Value::map(Attributes attributes) {
  Value v;
  v.kind_ = Kind::Map;
  v.attributes_ = std::make_shared<const Attributes>(std::move(attributes));
  for (const auto& [key, value] : *v.attributes_) {
    v.add_to_totals(value);
    v.total_string_bytes_ = saturating_add(v.total_string_bytes_, key.size());
  }
  return v;
}

Value Value::object(Attributes attributes) {
  Value v;
  v.kind_ = Kind::Object;
  v.attributes_ = std::make_shared<const Attributes>(std::move(attributes));
  for (const auto& [key, value] : *v.attributes_) {
    v.add_to_totals(value);
    v.total_string_bytes_ = saturating_add(v.total_string_bytes_, key.size());
  }
  return v;
}

static void require_kind(bool ok, const char* wanted, Kind got) {
  if (!ok) {
    throw std::logic_error(std::string("hcl::Value: ") + wanted + " requested from a " +
                           std::string(kind_name(got)));
  }
}

bool Value::as_bool() const {
  require_kind(kind_ == Kind::Bool, "bool", kind_);
  return bool_;
}

double Value::as_number() const {
  require_kind(kind_ == Kind::Number, "number", kind_);
  return number_;
}

const std::string& Value::as_string() const {
  require_kind(kind_ == Kind::String, "string", kind_);
  return *string_;
}

const Value::Elements& Value::elements() const {
  require_kind(is_sequence(), "elements", kind_);
  return *elements_;
}

const Value::Attributes& Value::attributes() const {
  require_kind(is_mapping(), "attributes", kind_);
  return *attributes_;
}

std::size_t Value::size() const {
  if (is_sequence()) return elements_->size();
  if (is_mapping()) return attributes_->size();
  return 0;
}

bool Value::operator==(const Value& other) const {
  if (is_sequence() && other.is_sequence()) {
    // A set equals only a set: its order is not the author's.
    if ((kind_ == Kind::Set) != (other.kind_ == Kind::Set)) return false;
    return elements_ == other.elements_ || *elements_ == *other.elements_;
  }
  if (is_mapping() && other.is_mapping()) {
    return attributes_ == other.attributes_ || *attributes_ == *other.attributes_;
  }
  if (kind_ != other.kind_) return false;
  switch (kind_) {
    case Kind::Null:
      return true;
    case Kind::Bool:
      return bool_ == other.bool_;
    case Kind::Number:
      return number_ == other.number_;
    case Kind::String:
      return *string_ == *other.string_;
    default:
      return false;
  }
}

// cty writes numbers with big.Float's Text('f', -1): no exponent, and the fewest digits that
// read back as the same number. For a double those digits are to_chars' shortest scientific
// form, written out in full here (to_chars' own fixed form would print every binary digit
// of 1.5e30: 1499999999999999889089448902656).
std::string format_number(double n) {
  if (std::isnan(n)) return "NaN";
  if (std::isinf(n)) return n > 0 ? "+Inf" : "-Inf";
  if (n == 0) return "0";
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, n, std::chars_format::scientific);
  if (ec != std::errc()) return "0";
  const std::string_view scientific(buffer, static_cast<std::size_t>(end - buffer));
  const std::size_t e = scientific.find('e');
  std::string digits;
  for (char c : scientific.substr(0, e)) {
    if (c >= '0' && c <= '9') digits += c;
  }
  int exponent = 0;
  std::from_chars(scientific.data() + e + (scientific[e + 1] == '+' ? 2 : 1),
                  scientific.data() + scientific.size(), exponent);
  std::string out = n < 0 ? "-" : "";
  // The decimal point goes after digit number exponent + 1.
  const int point = exponent + 1;
  if (point <= 0) {
    out += "0." + std::string(static_cast<std::size_t>(-point), '0') + digits;
  } else if (static_cast<std::size_t>(point) >= digits.size()) {
    out += digits + std::string(static_cast<std::size_t>(point) - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<std::size_t>(point)) + "." +
           digits.substr(static_cast<std::size_t>(point));
  }
  return out;
}

namespace {

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      // Go's encoder escapes these for embedding in HTML; jsonencode inherits that.
      case '<':
        out += "\\u003c";
        break;
      case '>':
        out += "\\u003e";
        break;
      case '&':
        out += "\\u0026";
        break;
      default:
        if (c < 0x20) {
          static const char* const hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void append_json(std::string& out, const Value& value) {
  switch (value.kind()) {
    case Kind::Null:
      out += "null";
      return;
    case Kind::Bool:
      out += value.as_bool() ? "true" : "false";
      return;
    case Kind::Number: {
      const double n = value.as_number();
      out += std::isfinite(n) ? format_number(n) : "null";
      return;
    }
    case Kind::String:
      append_json_string(out, value.as_string());
      return;
    case Kind::List:
    case Kind::Tuple:
    case Kind::Set: {
      out += '[';
      bool first = true;
      for (const Value& element : value.elements()) {
        if (!first) out += ',';
        first = false;
        append_json(out, element);
      }
      out += ']';
      return;
    }
    case Kind::Map:
    case Kind::Object: {
      out += '{';
      bool first = true;
      for (const auto& [key, element] : value.attributes()) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ':';
        append_json(out, element);
      }
      out += '}';
      return;
    }
  }
}

}  // namespace

std::string to_json(const Value& value) {
  std::string out;
  append_json(out, value);
  return out;
}

}  // namespace hcl
