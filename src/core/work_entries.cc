#include "core/work_entries.h"

#include <unistd.h>

#include <cstdint>
#include <string_view>

#include "core/number.h"
#include "core/process.h"

namespace pot {
namespace {

constexpr std::string_view kCreatingPrefix = ".creating.";
constexpr std::string_view kDestroyingPrefix = ".destroying.";

fs::path hidden_path(const fs::path& dir, std::string_view prefix, const std::string& name) {
  pid_t pid = ::getpid();
  return dir / (std::string(prefix) + std::to_string(pid) + "." +
                std::to_string(process_start_time(pid).value_or(0)) + "." + name);
}

}  // namespace

fs::path creation_path(const fs::path& dir, const std::string& name) {
  return hidden_path(dir, kCreatingPrefix, name);
}

fs::path destruction_path(const fs::path& dir, const std::string& name) {
  return hidden_path(dir, kDestroyingPrefix, name);
}

std::optional<CreationEntry> parse_creation_entry(const std::string& file) {
  std::string_view rest = file;
  bool destroying = rest.starts_with(kDestroyingPrefix);
  if (!destroying && !rest.starts_with(kCreatingPrefix)) return std::nullopt;
  rest.remove_prefix(destroying ? kDestroyingPrefix.size() : kCreatingPrefix.size());
  // <pid>.<start time>.<name>
  size_t first_dot = rest.find('.');
  size_t second_dot =
      first_dot == std::string_view::npos ? first_dot : rest.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return std::nullopt;
  auto pid = to_unsigned(rest.substr(0, first_dot));
  auto start = to_unsigned(rest.substr(first_dot + 1, second_dot - first_dot - 1));
  if (!pid || !start || *pid > INT32_MAX) return std::nullopt;
  return CreationEntry{std::string(rest.substr(second_dot + 1)),
                       process_alive(static_cast<pid_t>(*pid), *start), destroying};
}

}  // namespace pot
