#include "core/status.h"

#include <string>

#include "core/error.h"

namespace pot {

std::string_view to_string(Status status) {
  switch (status) {
    case Status::kStopped:
      return "stopped";
    case Status::kStarting:
      return "starting";
    case Status::kStarted:
      return "started";
    case Status::kDoa:
      return "doa";
    case Status::kStopping:
      return "stopping";
  }
  return "unknown";
}

std::optional<Status> parse_status(std::string_view text) {
  for (Status s :
       {Status::kStopped, Status::kStarting, Status::kStarted, Status::kDoa, Status::kStopping}) {
    if (to_string(s) == text) return s;
  }
  return std::nullopt;
}

bool can_transition(Status from, Status to) {
  switch (from) {
    case Status::kStopped:
      return to == Status::kStarting;
    // starting -> stopping: a start whose owner died is cleaned like a running pot.
    case Status::kStarting:
      return to == Status::kStarted || to == Status::kDoa || to == Status::kStopping;
    case Status::kStarted:
      return to == Status::kStopping;
    case Status::kDoa:
      return to == Status::kStopping;
    case Status::kStopping:
      return to == Status::kStopped;
  }
  return false;
}

void check_transition(std::string_view pot, Status from, Status to) {
  if (!can_transition(from, to)) {
    throw Error("pot " + quote_name(pot) + " is " + std::string(to_string(from)) +
                ", cannot go to " + std::string(to_string(to)));
  }
}

}  // namespace pot
