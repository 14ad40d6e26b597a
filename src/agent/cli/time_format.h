// Times as Nomad's CLI shows them: absolute in ISO 8601 ("2024-01-02T15:04:05Z", local
// time with its offset, "Z" for UTC) and relative, rounded to seconds and cut to the two
// largest units ("3m2s ago", "1h5m from now", "0s ago"). API documents carry times as Unix
// nanoseconds; a few (a deployment's RequireProgressBy) as RFC 3339 text in Nomad's own
// API, so both are read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace pot::agent {

// "" for zero or a time before 1970-01-01T00:00:01 (Nomad shows nothing rather than 1970).
std::string format_time(int64_t unix_nanos);  // in the local time zone
std::string format_time_at_offset(int64_t unix_nanos, int offset_seconds);

// Relative to `now_nanos`; "" when `unix_nanos` is 0.
std::string pretty_time_diff(int64_t unix_nanos, int64_t now_nanos);

// A Go duration as its String() prints it: "30s", "1m30s", "1h0m0s", "250ms", "0s".
std::string format_duration(int64_t nanos);

// A time field of a document: a number of Unix nanoseconds or RFC 3339 text; 0 when absent,
// null, Go's zero time or unreadable.
int64_t time_field_nanos(const nlohmann::ordered_json& value);

int64_t now_unix_nanos();

}  // namespace pot::agent
