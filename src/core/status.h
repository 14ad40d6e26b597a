// The pot status machine, as in the original pot:
//
//   stopped -> starting -> started -> stopping -> stopped
//                      \-> doa ----/
//
// `doa` (dead on arrival) is a start that failed after the pot began to come up; it is
// cleaned like a running pot. Every change goes through transition(), which refuses the
// moves the machine does not have.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pot {

enum class Status { kStopped, kStarting, kStarted, kDoa, kStopping };

std::string_view to_string(Status status);
std::optional<Status> parse_status(std::string_view text);
bool can_transition(Status from, Status to);
// Throws Error naming the pot and both states when the move is not allowed.
void check_transition(std::string_view pot, Status from, Status to);

}  // namespace pot
