#include "agent/api/blocking_query.h"

#include <httplib.h>

#include <algorithm>
#include <charconv>

#include "agent/api/agent_api.h"
#include "agent/state/state_store.h"
#include "jobspec/durations.h"

namespace pot::agent::http {
namespace {

// How long one step of a wait may block before it looks at `stopping` again.
constexpr std::chrono::milliseconds kWaitStep{250};

}  // namespace

BlockingQuery parse_blocking_query(const std::string& index, const std::string& wait) {
  BlockingQuery query;
  if (!wait.empty()) {
    std::string error;
    std::optional<int64_t> nanoseconds = jobspec::parse_duration(wait, &error);
    if (!nanoseconds || *nanoseconds < 0) throw ApiError(400, "Invalid wait time");
    query.wait =
        std::min<std::chrono::milliseconds>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::nanoseconds(*nanoseconds)),
                                            kMaxQueryWait);
    // Go's zero wait means the default, as Nomad's QueryOptions read it.
    if (query.wait.count() == 0) query.wait = kDefaultQueryWait;
  }
  if (!index.empty()) {
    uint64_t value = 0;
    auto [end, error] = std::from_chars(index.data(), index.data() + index.size(), value);
    if (error != std::errc() || end != index.data() + index.size())
      throw ApiError(400, "Invalid index");
    query.min_index = value;
  }
  return query;
}

uint64_t wait_for_change(const StateStore& state, const BlockingQuery& query,
                         const std::atomic<bool>& stopping) {
  uint64_t latest = state.latest_index();
  if (query.min_index) {
    const auto deadline = std::chrono::steady_clock::now() + query.wait;
    while (latest <= *query.min_index && !stopping) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      latest = state.wait_for_index(*query.min_index, std::min(left, kWaitStep));
    }
  }
  return std::max<uint64_t>(latest, 1);
}

void set_index_headers(httplib::Response& response, uint64_t index) {
  response.set_header("X-Nomad-Index", std::to_string(index));
  response.set_header("X-Nomad-KnownLeader", "true");
  response.set_header("X-Nomad-LastContact", "0");
}

}  // namespace pot::agent::http
