// Durations as job files write them: Go's time.ParseDuration syntax ("5s", "1h30m",
// "1.5h", "300ms", "-2m"), to the integer nanoseconds of Nomad's API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jobspec {

// The duration in nanoseconds, or nullopt with `error` set to Go's own message
// (`time: invalid duration "abc"`, `time: missing unit in duration "5"`,
// `time: unknown unit "d" in duration "1d"`).
std::optional<std::int64_t> parse_duration(std::string_view text, std::string* error);

}  // namespace jobspec
