#include "core/error.h"

#include <cstring>

namespace pot {

void throw_sys(std::string_view what, int err) {
  throw Error(std::string(what) + ": " + std::strerror(err), err);
}

std::string quote_name(std::string_view name) {
  return "`" + std::string(name) + "`";
}

}  // namespace pot
