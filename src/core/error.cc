#include "core/error.h"

#include <cstring>

namespace pot {

void throw_sys(std::string_view what, int err) {
  throw Error(std::string(what) + ": " + std::strerror(err), err);
}

std::string quote_name(std::string_view name) {
  // Appended piece by piece: g++ 12 warns falsely (-Wrestrict) on "`" + std::string(...).
  std::string out;
  out.reserve(name.size() + 2);
  out.push_back('`');
  out.append(name);
  out.push_back('`');
  return out;
}

}  // namespace pot
