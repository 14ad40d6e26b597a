#include "jobspec/value_json.h"

#include <cmath>

namespace jobspec {

Json value_to_json(const hcl::Value& value) {
  switch (value.kind()) {
    case hcl::Kind::Null:
      return nullptr;
    case hcl::Kind::Bool:
      return value.as_bool();
    case hcl::Kind::Number: {
      const double n = value.as_number();
      // 2^63: the first double outside int64.
      if (std::isfinite(n) && n == std::trunc(n) && std::fabs(n) < 9223372036854775808.0) {
        return static_cast<std::int64_t>(n);
      }
      return n;
    }
    case hcl::Kind::String:
      return value.as_string();
    case hcl::Kind::List:
    case hcl::Kind::Tuple:
    case hcl::Kind::Set: {
      Json array = Json::array();
      for (const hcl::Value& element : value.elements()) array.push_back(value_to_json(element));
      return array;
    }
    case hcl::Kind::Map:
    case hcl::Kind::Object: {
      Json object = Json::object();
      for (const auto& [key, element] : value.attributes()) object[key] = value_to_json(element);
      return object;
    }
  }
  return nullptr;
}

}  // namespace jobspec
