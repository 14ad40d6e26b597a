#include "core/names.h"

#include <string>

#include "core/error.h"

namespace pot {

static const char* name_problem(std::string_view name) {
  if (name.empty()) return "empty";
  if (name.size() > kMaxNameLength) return "longer than 64 characters";
  if (name.front() == '.') return "starts with a dot";
  if (name.front() == '-') return "starts with a dash";
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.';
    if (c == '/') return "contains a path separator";
    if (!ok) return "only letters, digits, '_', '-' and '.' are allowed";
  }
  return nullptr;
}

bool is_valid_name(std::string_view name) {
  return name_problem(name) == nullptr;
}

void validate_name(std::string_view kind, std::string_view name) {
  if (const char* problem = name_problem(name))
    throw Error("invalid " + std::string(kind) + " name " + quote_name(name) + ": " + problem);
}

}  // namespace pot
