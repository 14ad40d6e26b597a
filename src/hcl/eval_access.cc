// `.name` and `[key]` on values, and their errors as hclsyntax reports them.
#include "hcl/eval_access.h"

#include <cmath>
#include <string>

#include "hcl/conversion.h"
#include "hcl/diagnostic.h"

namespace hcl::detail {

namespace {

constexpr const char* kNoSuchElement =
    "The given key does not identify an element in this collection value";

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Value get_attribute(const Value& value, std::string_view name, const Range& range) {
  switch (value.kind()) {
    case Kind::Null:
      throw_error("Attempt to get attribute from null value",
                  "This value is null, so it does not have any attributes.", range);
    case Kind::Object: {
      auto found = value.attributes().find(name);
      if (found == value.attributes().end()) {
        throw_error("Unsupported attribute",
                    "This object does not have an attribute named \"" + std::string(name) + "\".",
                    range);
      }
      return found->second;
    }
    case Kind::Map: {
      auto found = value.attributes().find(name);
      if (found == value.attributes().end()) {
        throw_error("Missing map element",
                    "This map does not have an element with the key \"" + std::string(name) + "\".",
                    range);
      }
      return found->second;
    }
    case Kind::List:
    case Kind::Tuple:
      if (all_digits(name)) {
        return get_index(value, Value::string(std::string(name)), range, range);
      }
      [[fallthrough]];
    case Kind::Set:
      throw_error("Unsupported attribute",
                  "Can't access attributes on a " + std::string(kind_name(value.kind())) +
                      " of values. Did you mean to access an attribute for a specific element "
                      "of the " +
                      std::string(kind_name(value.kind())) + ", or across all elements of the " +
                      std::string(kind_name(value.kind())) + " (with a splat expression, [*])?",
                  range);
    default:
      throw_error("Unsupported attribute",
                  "Can't access attributes on a primitive-typed value (" +
                      std::string(kind_name(value.kind())) + "): \"" + std::string(name) +
                      "\" was requested.",
                  range);
  }
}

Value get_index(const Value& collection, const Value& key, const Range& range,
                const Range& key_range) {
  if (collection.is_null()) {
    throw_error("Attempt to index null value",
                "This value is null, so it does not have any indices.", range);
  }
  if (key.is_null()) {
    throw_error("Invalid index", "Can't use a null value as an indexing key.", key_range);
  }
  switch (collection.kind()) {
    case Kind::List:
    case Kind::Tuple: {
      std::string error;
      auto number = try_to_number(key, error);
      if (!number) {
        throw_error("Invalid index", std::string(kNoSuchElement) + ": " + error + ".", key_range);
      }
      const double n = number->as_number();
      if (n != std::floor(n)) {
        throw_error("Invalid index",
                    std::string(kNoSuchElement) + ": the index must be a whole number.", key_range);
      }
      if (n < 0) {
        throw_error("Invalid index",
                    std::string(kNoSuchElement) +
                        ": a negative number is not a valid index for a sequence.",
                    key_range);
      }
      if (n >= static_cast<double>(collection.size())) {
        throw_error("Invalid index",
                    std::string(kNoSuchElement) + ": index " + format_number(n) +
                        " is out of range for a " + std::string(kind_name(collection.kind())) +
                        " of " + std::to_string(collection.size()) + " element(s).",
                    key_range);
      }
      return collection.elements()[static_cast<std::size_t>(n)];
    }
    case Kind::Map:
    case Kind::Object: {
      std::string error;
      auto text = try_to_string(key, error);
      if (!text) {
        throw_error("Invalid index", std::string(kNoSuchElement) + ": " + error + ".", key_range);
      }
      auto found = collection.attributes().find(text->as_string());
      if (found == collection.attributes().end()) {
        throw_error("Invalid index",
                    std::string(kNoSuchElement) + ": there is no element with the key \"" +
                        text->as_string() + "\".",
                    key_range);
      }
      return found->second;
    }
    case Kind::Set:
      throw_error("Invalid index",
                  "Elements of a set are identified only by their value and don't have any "
                  "separate index or key to select with, so it's only possible to perform "
                  "operations across all elements of the set.",
                  range);
    default:
      throw_error("Invalid index",
                  "This value (a " + std::string(kind_name(collection.kind())) +
                      ") does not have any indices.",
                  range);
  }
}

}  // namespace hcl::detail
