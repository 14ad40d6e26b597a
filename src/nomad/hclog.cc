#include "nomad/hclog.h"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>

namespace pot::nomad {

// hclog's layout: 2006-01-02T15:04:05.000000Z07:00, in UTC here.
static std::string timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(micros / 1000000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char text[64];
  size_t n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%06lldZ", static_cast<long long>(micros % 1000000));
  return text;
}

std::string hclog_json(std::string_view level, std::string_view message,
                       const std::map<std::string, std::string>& fields) {
  nlohmann::json line = {{"@level", level}, {"@message", message}, {"@timestamp", timestamp_now()}};
  for (const auto& [key, value] : fields) line[key] = value;
  // Invalid UTF-8 (an error quoting a path) is replaced, never a throw in a logger.
  return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void log_line(std::string_view level, std::string_view message,
              const std::map<std::string, std::string>& fields) {
  std::string text = hclog_json(level, message, fields) + "\n";
  // One write: lines of two threads never interleave (stderr is a pipe; <= PIPE_BUF is
  // atomic, and longer lines are rare).
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(2, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

}  // namespace pot::nomad
