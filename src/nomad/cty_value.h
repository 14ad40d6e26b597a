// Configuration values as Nomad sends them to a plugin: go-cty values encoded in msgpack
// (SetConfig's plugin config, a task's `config` block). cty's encoding, as Nomad uses it:
//  - an object is a map whose keys are every attribute of the schema, in sorted order, with
//    nil for those the job left out; a map(...) is a map too;
//  - lists, sets and tuples are arrays;
//  - a number is an integer when it is an exact int64, else a float64, else its decimal
//    text (which only the schema tells from a string);
//  - an unknown value (not yet computed) is the extension type 0 with one zero byte.
// Decoding knows no schema: it checks the shape of the msgpack, and the reader of a value
// (the task config, the plugin config) checks it against what each attribute must be.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pot::nomad {

class CtyValue {
 public:
  struct Unknown {
    bool operator==(const Unknown&) const = default;
  };
  // cty has one number type: a number that is an exact int64 is held (and written, as cty
  // writes it) as one, whichever msgpack form it came in; any other as a double.
  using Number = std::variant<int64_t, double>;
  using List = std::vector<CtyValue>;
  using Map = std::map<std::string, CtyValue, std::less<>>;

  CtyValue() = default;  // null
  explicit CtyValue(Unknown unknown) : value_(unknown) {}
  explicit CtyValue(bool value) : value_(value) {}
  explicit CtyValue(int64_t value) : value_(Number(value)) {}
  explicit CtyValue(double value) : value_(exact_number(value)) {}
  explicit CtyValue(std::string value) : value_(std::move(value)) {}
  explicit CtyValue(List value) : value_(std::move(value)) {}
  explicit CtyValue(Map value) : value_(std::move(value)) {}

  bool is_null() const { return std::holds_alternative<std::monostate>(value_); }
  bool is_unknown() const { return std::holds_alternative<Unknown>(value_); }
  const bool* if_bool() const { return std::get_if<bool>(&value_); }
  const Number* if_number() const { return std::get_if<Number>(&value_); }
  const std::string* if_string() const { return std::get_if<std::string>(&value_); }
  const List* if_list() const { return std::get_if<List>(&value_); }
  const Map* if_map() const { return std::get_if<Map>(&value_); }

  // What the value is, for errors: "null", "a number", "a list", ...
  std::string_view kind_name() const;

  bool operator==(const CtyValue&) const = default;

 private:
  static Number exact_number(double value);

  std::variant<std::monostate, Unknown, bool, Number, std::string, List, Map> value_;
};

// Decodes one whole msgpack value. Throws Error naming what is wrong ("cty msgpack: a map key
// is not a string", "... nested deeper than 32", "... 3 bytes after the value") for input
// that is not msgpack or not a shape cty makes; nothing is trusted, nesting and sizes are
// bounded.
CtyValue decode_cty_msgpack(std::string_view bytes);

// The inverse, in cty's own form (map keys sorted, integers as the smallest msgpack integer):
// for tests and for the plugin's answers.
std::string encode_cty_msgpack(const CtyValue& value);

}  // namespace pot::nomad
