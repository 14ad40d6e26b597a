// Nomad's blocking queries: a read with `?index=N` waits until the state's index passes N
// (something changed) or `?wait=` elapses (Go duration syntax, default 5 minutes, at most
// 10), then answers as usual. Every read answers X-Nomad-Index with the index it saw, which
// the client passes as the next `?index=`.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace httplib {
struct Response;
}  // namespace httplib

namespace pot::agent {
class StateStore;
}  // namespace pot::agent

namespace pot::agent::http {

struct BlockingQuery {
  std::optional<uint64_t> min_index;  // absent: answer at once
  std::chrono::milliseconds wait{std::chrono::minutes(5)};
};

inline constexpr std::chrono::milliseconds kDefaultQueryWait = std::chrono::minutes(5);
inline constexpr std::chrono::milliseconds kMaxQueryWait = std::chrono::minutes(10);

// Reads `index` and `wait` (the query's raw values; "" when absent). Throws ApiError(400)
// with Nomad's messages ("Invalid wait time", "Invalid index").
BlockingQuery parse_blocking_query(const std::string& index, const std::string& wait);

// Waits as `query` asks, in short steps so that `stopping` ends the wait promptly; returns
// the index to answer with (at least 1, as Nomad's, so a client never sends index=0 back
// and loops).
uint64_t wait_for_change(const StateStore& state, const BlockingQuery& query,
                         const std::atomic<bool>& stopping);

// X-Nomad-Index, and X-Nomad-KnownLeader: true and X-Nomad-LastContact: 0 (one node is
// always its own leader).
void set_index_headers(httplib::Response& response, uint64_t index);

}  // namespace pot::agent::http
