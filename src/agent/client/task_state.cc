#include "agent/client/task_state.h"

#include <cstdio>
#include <ctime>

namespace pot::agent {

Json new_task_state() {
  Json state = Json::object();
  state["State"] = "pending";
  state["Failed"] = false;
  state["Restarts"] = 0;
  state["LastRestart"] = kGoZeroTime;
  state["StartedAt"] = kGoZeroTime;
  state["FinishedAt"] = kGoZeroTime;
  state["Events"] = Json::array();
  state["TaskHandle"] = nullptr;
  return state;
}

Json make_task_event(const std::string& type, SystemTime when, const std::string& display) {
  Json event = Json::object();
  event["Type"] = type;
  event["Time"] = unix_nanos(when);
  event["DisplayMessage"] = display;
  event["Message"] = "";
  event["Details"] = Json::object();
  event["FailsTask"] = false;
  return event;
}

void append_task_event(Json& state, Json event) {
  Json& events = state["Events"];
  if (!events.is_array()) events = Json::array();
  events.push_back(std::move(event));
  constexpr std::size_t kKeep = 10;
  if (events.size() > kKeep)
    events.erase(events.begin(),
                 events.begin() + static_cast<std::ptrdiff_t>(events.size() - kKeep));
}

int64_t unix_nanos(SystemTime when) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
}

std::string go_time(SystemTime when) {
  int64_t nanos = unix_nanos(when);
  std::time_t seconds = static_cast<std::time_t>(nanos / 1'000'000'000);
  int64_t fraction = nanos % 1'000'000'000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  std::string out = buffer;
  if (fraction > 0) {
    char digits[16];
    std::snprintf(digits, sizeof digits, ".%09lld", static_cast<long long>(fraction));
    std::string text = digits;
    while (text.back() == '0') text.pop_back();  // Go trims trailing zeros (RFC3339Nano)
    out += text;
  }
  return out + "Z";
}

}  // namespace pot::agent
