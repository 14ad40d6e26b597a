// The values of HCL expressions, after HashiCorp's cty in miniature.
//
// A Value is null, a bool, a number, a string, or a collection. Collections keep the kind
// cty gives them, because functions and type conversion care (`toset`, `keys`, `merge`):
//   list and tuple: ordered elements; set: ordered, unique elements (sorted as cty sorts
//   them: numbers ascending, then strings lexically); map and object: elements by string
//   key, iterated in lexical key order (as cty does).
// Numbers are IEEE doubles: every number in a job file is a count, a size, a port or a
// duration, and HCL's arbitrary precision buys nothing there. Values are immutable and cheap
// to copy (collections are shared).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace hcl {

enum class Kind { Null, Bool, Number, String, List, Tuple, Set, Map, Object };

// "null", "bool", "number", "string", "list", "tuple", "set", "map", "object": the words HCL's
// messages use ("a number is required", "got tuple").
std::string_view kind_name(Kind kind);

class Value {
 public:
  using Elements = std::vector<Value>;
  using Attributes = std::map<std::string, Value, std::less<>>;

  Value() = default;  // null
  static Value null() { return Value(); }
  static Value boolean(bool b);
  static Value number(double n);
  static Value string(std::string s);
  static Value list(Elements elements);
  static Value tuple(Elements elements);
  // Sorts and removes duplicates.
  static Value set(Elements elements);
  static Value map(Attributes attributes);
  static Value object(Attributes attributes);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::Null; }
  bool is_bool() const { return kind_ == Kind::Bool; }
  bool is_number() const { return kind_ == Kind::Number; }
  bool is_string() const { return kind_ == Kind::String; }
  // list, tuple or set
  bool is_sequence() const {
    return kind_ == Kind::List || kind_ == Kind::Tuple || kind_ == Kind::Set;
  }
  // map or object
  bool is_mapping() const { return kind_ == Kind::Map || kind_ == Kind::Object; }

  // The accessors require the kind (they throw std::logic_error otherwise: a caller bug).
  bool as_bool() const;
  double as_number() const;
  const std::string& as_string() const;
  const Elements& elements() const;
  const Attributes& attributes() const;

  // Elements or attributes; 0 for the rest.
  std::size_t size() const;

  // The value's size written out in full: values in all (itself included) and string bytes
  // (keys included), a shared part counted each time it appears, saturating. Collections
  // share their parts, so a few small expressions can stand for a billion elements; the
  // evaluator bounds these, so that nothing that walks a value (JSON, equality) can be made
  // to run away.
  std::size_t total_values() const { return total_values_; }
  std::size_t total_string_bytes() const { return total_string_bytes_; }

  // Structural equality as HCL's `==` (a list and a tuple of equal elements are equal; so
  // are a map and an object).
  bool operator==(const Value& other) const;

 private:
  void add_to_totals(const Value& part);

  Kind kind_ = Kind::Null;
  std::size_t total_values_ = 1;
  std::size_t total_string_bytes_ = 0;
  bool bool_ = false;
  double number_ = 0;
  std::shared_ptr<const std::string> string_;
  std::shared_ptr<const Elements> elements_;
  std::shared_ptr<const Attributes> attributes_;
};

// A number as cty converts it to a string: plain digits, never an exponent (5, 0.5,
// 1000000000000000000000), and no more digits than read back as the same double.
std::string format_number(double n);

// The value as a compact JSON document (objects' keys in order), as HCL's jsonencode.
std::string to_json(const Value& value);

}  // namespace hcl
