// parse_shell_assignments and Settings::apply, the reader of /etc/pot/pot.conf (sh-style
// KEY=VALUE lines: comments, `export`, quotes). Checks, beyond no crash and no sanitizer report:
//  - every key is non-empty, has no `=` or line break, and no value has a line break;
//  - the assignments written back as `export KEY='VALUE'` lines (or "VALUE" when the value
//    holds a single quote) parse to the same map;
//  - Settings::apply either throws pot::Error or leaves every setting in its documented range
//    (absolute, normalized root; known storage and cgroup modes; timeouts and log limits).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "core/error.h"
#include "core/settings.h"
#include "fuzz_check.h"

namespace {

// The assignments as lines parse_shell_assignments reads back, or false when a value holds
// both kinds of quote (sh would need escapes the parser does not read).
bool write_assignments(const std::map<std::string, std::string>& values, std::string& out) {
  for (const auto& [key, value] : values) {
    char quote = value.find('\'') == std::string::npos ? '\'' : '"';
    if (value.find(quote) != std::string::npos) return false;
    // `export ` first: the parser strips one, so a key that itself starts with `export ` or
    // `#` (possible after an `export `) reads back whole.
    out += "export " + key + "=" + quote + value + quote + "\n";
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  std::map<std::string, std::string> values = pot::parse_shell_assignments(text);

  for (const auto& [key, value] : values) {
    FUZZ_CHECK(!key.empty());
    FUZZ_CHECK(key.find_first_of("=\n") == std::string::npos);
    FUZZ_CHECK(value.find('\n') == std::string::npos);
  }
  std::string written;
  if (write_assignments(values, written))
    FUZZ_CHECK(pot::parse_shell_assignments(written) == values);

  pot::Settings settings;
  try {
    settings.apply(values);
  } catch (const pot::Error&) {
    return 0;
  }
  const std::string root = settings.fs_root.string();
  FUZZ_CHECK(settings.fs_root.is_absolute());
  FUZZ_CHECK(root == "/" || root.back() != '/');
  FUZZ_CHECK(settings.storage == "btrfs" || settings.storage == "dir");
  FUZZ_CHECK(settings.cgroup == "auto" || settings.cgroup == "v1" || settings.cgroup == "v2");
  FUZZ_CHECK(settings.stop_timeout_seconds >= 0 && settings.stop_timeout_seconds <= 3600);
  FUZZ_CHECK(settings.log_max_bytes >= 4096);
  FUZZ_CHECK(settings.log_max_files >= 1 && settings.log_max_files <= 1000);
  FUZZ_CHECK(settings.root_tag().size() == 8);
  for (const auto& [key, value] : settings.extra) FUZZ_CHECK(values.count(key) == 1);
  return 0;
}
