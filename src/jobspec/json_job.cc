// parse_json_job(): the JSON form of a job, as `nomad job run -json` and the HTTP API read
// it (Go's encoding/json into api.Job).
//
// What Go's decoder does, and so what we do:
// - the document is `{"Job": {...}}` or the job object itself;
// - a key matches a field by its Go name, exactly or else ignoring case ("count" is Count);
//   unknown keys are no error (Go skips them; we keep them, as canonicalize() does);
// - null leaves a field unset; a value of the wrong JSON type is an error, as is a fraction
//   or an out-of-range number for an integer field (durations are integer nanoseconds).
// Two things are stricter than Go: text after the document is an error (Go's CLI stops
// reading after the first value), and nesting deeper than kMaxDepth is refused, so that
// hostile input cannot exhaust the stack of the code that walks the document.
#include "jobspec/json_job.h"

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "hcl/diagnostic.h"
#include "jobspec/api_fields.h"

namespace jobspec {

namespace {

using api::Field;
using api::Kind;
using api::Struct;

constexpr int kMaxDepth = 200;

// The line and column (in Unicode characters, as HCL's diagnostics count them) of a byte.
hcl::Pos position_of(std::string_view source, std::size_t byte) {
  hcl::Pos pos;
  byte = std::min(byte, source.size());
  for (std::size_t i = 0; i < byte; ++i) {
    const auto c = static_cast<unsigned char>(source[i]);
    if (c == '\n') {
      ++pos.line;
      pos.column = 1;
    } else if ((c & 0xC0) != 0x80) {
      ++pos.column;
    }
  }
  pos.byte = byte;
  return pos;
}

[[noreturn]] void fail_at(std::string_view source, const std::string& filename, std::size_t byte,
                          std::string summary, std::string detail) {
  hcl::throw_error(std::move(summary), std::move(detail), json_range(source, filename, byte));
}

// Refuses nesting deeper than kMaxDepth before the parser builds anything.
void check_depth(std::string_view source, const std::string& filename) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < source.size(); ++i) {
    const char c = source[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxDepth) {
        fail_at(source, filename, i, "Too deeply nested",
                "The document nests objects and arrays more than " + std::to_string(kMaxDepth) +
                    " levels deep.");
      }
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
}

// nlohmann's message without its "[json.exception...] parse error at line L, column C: "
// preamble, which our diagnostic gives in its own form.
std::string parse_error_reason(const std::string& what) {
  auto at = what.find("parse error");
  if (at == std::string::npos) return what;
  auto colon = what.find(": ", at);
  return colon == std::string::npos ? what : what.substr(colon + 2);
}

const char* json_type_name(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object:
      return "an object";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_float:
      return "a fractional number";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "a number";
    default:
      return "null";
  }
}

bool is_base64(const std::string& text) {
  if (text.size() % 4 != 0) return false;
  std::size_t padding = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == '/';
    if (c == '=' && i + 2 >= text.size()) {
      ++padding;
    } else if (!plain || padding > 0) {
      return false;
    }
  }
  return true;
}

// Checks the JSON types of a decoded job against api.Job, renaming keys that match a field
// only when case is ignored to the field's Go name.
class TypeChecker {
 public:
  explicit TypeChecker(const std::string& filename) : filename_(filename) {}

  void check_struct(Json& object, const Struct& type, const std::string& path) const {
    Json normalized = Json::object();
    for (auto& [key, value] : object.items()) {
      const Field* field = type.find_folded(key);
      if (field == nullptr) {
        normalized[key] = std::move(value);
        continue;
      }
      const std::string name(field->name);
      check_field(value, *field, path + "." + name);
      // A later null does not unset what an earlier key of the same field set.
      if (value.is_null() && normalized.contains(name)) continue;
      normalized[name] = std::move(value);
    }
    object = std::move(normalized);
  }

 private:
  [[noreturn]] void fail(const std::string& path, const std::string& expected,
                         const Json& found) const {
    throw std::runtime_error(filename_ + ": " + path + ": expected " + expected + ", found " +
                             json_type_name(found));
  }

  void check_integer(const Json& value, Kind kind, const std::string& path) const {
    if (!value.is_number_integer()) {
      fail(path, value.is_number_float() ? "an integer" : "a number", value);
    }
    const api::IntRange range = api::int_range(kind);
    const bool in_range =
        value.is_number_unsigned()
            ? value.get<std::uint64_t>() <= range.max
            : value.get<std::int64_t>() >= range.min &&
                  (value.get<std::int64_t>() < 0 ||
                   static_cast<std::uint64_t>(value.get<std::int64_t>()) <= range.max);
    if (!in_range) {
      throw std::runtime_error(filename_ + ": " + path + ": " + value.dump() +
                               " is out of range (" + std::to_string(range.min) + " to " +
                               std::to_string(range.max) + ")");
    }
  }

  void check_strings(Json& list, const std::string& path) const {
    if (!list.is_array()) fail(path, "an array of strings", list);
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (list[i].is_null()) list[i] = "";
      if (!list[i].is_string()) fail(path + "[" + std::to_string(i) + "]", "a string", list[i]);
    }
  }

  void check_field(Json& value, const Field& field, const std::string& path) const {
    if (value.is_null()) return;
    switch (field.kind) {
      case Kind::String:
        if (!value.is_string()) fail(path, "a string", value);
        break;
      case Kind::Bool:
        if (!value.is_boolean()) fail(path, "a boolean", value);
        break;
      case Kind::Int:
      case Kind::Int8:
      case Kind::Uint8:
      case Kind::Uint16:
      case Kind::Uint32:
      case Kind::Int64:
      case Kind::Uint64:
        check_integer(value, field.kind, path);
        break;
      case Kind::Bytes:
        if (!value.is_string()) fail(path, "a base64 string", value);
        if (!is_base64(value.get<std::string>())) {
          throw std::runtime_error(filename_ + ": " + path + ": not valid base64");
        }
        break;
      case Kind::Any:
        if (!value.is_object()) fail(path, "an object", value);
        break;
      case Kind::StringList:
        check_strings(value, path);
        break;
      case Kind::Uint16List:
        if (!value.is_array()) fail(path, "an array of numbers", value);
        for (std::size_t i = 0; i < value.size(); ++i) {
          check_integer(value[i], Kind::Uint16, path + "[" + std::to_string(i) + "]");
        }
        break;
      case Kind::StringMap:
        if (!value.is_object()) fail(path, "an object of strings", value);
        for (auto& [key, element] : value.items()) {
          if (element.is_null()) element = "";
          if (!element.is_string()) fail(path + "[\"" + key + "\"]", "a string", element);
        }
        break;
      case Kind::StringListMap:
        if (!value.is_object()) fail(path, "an object of string arrays", value);
        for (auto& [key, element] : value.items()) {
          if (!element.is_null()) check_strings(element, path + "[\"" + key + "\"]");
        }
        break;
      case Kind::Struct:
        if (!value.is_object()) fail(path, "an object", value);
        check_struct(value, *field.element, path);
        break;
      case Kind::StructList:
        if (!value.is_array()) fail(path, "an array of objects", value);
        for (std::size_t i = 0; i < value.size(); ++i) {
          const std::string element_path = path + "[" + std::to_string(i) + "]";
          if (value[i].is_null()) continue;
          if (!value[i].is_object()) fail(element_path, "an object", value[i]);
          check_struct(value[i], *field.element, element_path);
        }
        break;
      case Kind::StructMap:
        if (!value.is_object()) fail(path, "an object", value);
        for (auto& [key, element] : value.items()) {
          const std::string element_path = path + "[\"" + key + "\"]";
          if (element.is_null()) continue;
          if (!element.is_object()) fail(element_path, "an object", element);
          check_struct(element, *field.element, element_path);
        }
        break;
    }
  }

  const std::string& filename_;
};

}  // namespace

hcl::Range json_range(std::string_view source, const std::string& filename, std::size_t byte) {
  hcl::Pos start = position_of(source, byte);
  hcl::Pos end = start;
  if (byte < source.size()) {
    end.byte = byte + 1;
    end.column = start.column + 1;
  }
  return hcl::Range{filename, start, end};
}

Json parse_json_document(const std::string& source, const std::string& filename) {
  check_depth(source, filename);

  Json document;
  try {
    document = Json::parse(source);
  } catch (const Json::parse_error& error) {
    // error.byte counts from 1 and points at the last character read.
    const std::size_t byte = error.byte > 0 ? error.byte - 1 : 0;
    fail_at(source, filename, byte, "Invalid JSON", parse_error_reason(error.what()));
  } catch (const Json::out_of_range& error) {
    // A number beyond a double ("number overflow parsing '1E400'"): the library gives no
    // position, so the number's first appearance in the text stands for it.
    std::string what = error.what();
    std::size_t byte = 0;
    if (auto open = what.find('\''), close = what.rfind('\'');
        open != std::string::npos && close > open) {
      byte = source.find(what.substr(open + 1, close - open - 1));
      if (byte == std::string::npos) byte = 0;
    }
    fail_at(source, filename, byte, "Invalid JSON", "A number is too large for a double.");
  }
  return document;
}

Json parse_json_job(const std::string& source, const std::string& filename) {
  Json document = parse_json_document(source, filename);

  if (!document.is_object()) {
    const std::size_t first = source.find_first_not_of(" \t\r\n");
    fail_at(source, filename, first == std::string::npos ? 0 : first, "Invalid job document",
            std::string("A JSON job is an object, {\"Job\": {...}} or the job itself; found ") +
                json_type_name(document) + ".");
  }

  // {"Job": {...}} (Go matches the key ignoring case, as every other).
  Json job;
  for (auto& [key, value] : document.items()) {
    if (key.size() == 3 && (key[0] == 'J' || key[0] == 'j') && (key[1] == 'O' || key[1] == 'o') &&
        (key[2] == 'B' || key[2] == 'b') && !value.is_null()) {
      if (!value.is_object()) {
        throw std::runtime_error(filename + ": Job: expected an object, found " +
                                 json_type_name(value));
      }
      job = std::move(value);
    }
  }
  if (job.is_null()) job = std::move(document);

  TypeChecker(filename).check_struct(job, api::job_struct(), "Job");
  return job;
}

}  // namespace jobspec
