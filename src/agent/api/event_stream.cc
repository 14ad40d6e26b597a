// `GET /v1/event/stream?topic=Job:web&index=N`: the state's events as newline-delimited
// JSON, one line per index: {"Index": n, "Events": [{Topic, Type, Key, Namespace, Index,
// Payload}]}. "{}" lines are heartbeats (every 10 s without events), as Nomad sends. The
// stream starts at `index` (events at that index and later) and ends when the client
// leaves or the server stops.
#include <httplib.h>

#include <map>
#include <memory>
#include <set>

#include "agent/api/api_request.h"
#include "agent/api/client_connection.h"
#include "agent/api/router.h"

namespace pot::agent::http {
namespace {

constexpr std::chrono::seconds kHeartbeat{10};
constexpr std::chrono::milliseconds kPollStep{250};
constexpr std::size_t kBatch = 256;

// ?topic=Job:web&topic=Allocation: topic -> keys ("*" for any); none: everything.
using TopicFilter = std::map<std::string, std::set<std::string>>;

TopicFilter parse_topics(const httplib::Request& request) {
  TopicFilter topics;
  const std::size_t count = request.get_param_value_count("topic");
  if (count == 0) topics["*"].insert("*");
  for (std::size_t i = 0; i < count; ++i) {
    const std::string topic = request.get_param_value("topic", i);
    const std::size_t colon = topic.find(':');
    if (colon == std::string::npos) {
      topics[topic].insert("*");
    } else if (topic.find(':', colon + 1) != std::string::npos || colon == 0) {
      throw ApiError(400,
                     "Invalid topic query: error parsing topics: Invalid key value pair "
                     "for topic, topic: " +
                         topic);
    } else {
      topics[topic.substr(0, colon)].insert(topic.substr(colon + 1));
    }
  }
  return topics;
}

// The keys an event can be selected by: its own, and for documents of a job the job's ID
// (Nomad's FilterKeys), so `Allocation:web` follows the allocations of job web.
bool key_selected(const std::set<std::string>& keys, const StateEvent& event) {
  if (keys.contains("*") || keys.contains(event.key)) return true;
  for (const char* wrapper : {"Allocation", "Evaluation", "Deployment"}) {
    auto document = event.payload.find(wrapper);
    if (document == event.payload.end() || !document->is_object()) continue;
    auto job_id = document->find("JobID");
    if (job_id != document->end() && job_id->is_string() &&
        keys.contains(job_id->get<std::string>()))
      return true;
  }
  return false;
}

struct EventStream {
  AgentApi& agent;
  const ServerContext& server;
  TopicFilter topics;
  std::string namespace_name;  // "*": all
  uint64_t cursor = 0;         // events above this index are still to send
  std::optional<ClientConnection> connection;
  std::chrono::steady_clock::time_point last_write = std::chrono::steady_clock::now();

  bool selected(const StateEvent& event) const {
    if (namespace_name != "*" && !event.namespace_name.empty() &&
        event.namespace_name != namespace_name)
      return false;
    for (const auto& [topic, keys] : topics) {
      if ((topic == "*" || topic == event.topic) && key_selected(keys, event)) return true;
    }
    return false;
  }

  static Json event_json(const StateEvent& event) {
    return Json{{"Topic", event.topic}, {"Type", event.type},
                {"Key", event.key},     {"Namespace", event.namespace_name},
                {"Index", event.index}, {"Payload", event.payload}};
  }

  bool write_line(httplib::DataSink& sink, const Json& line) {
    const std::string text = line.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n";
    last_write = std::chrono::steady_clock::now();
    return sink.write(text.data(), text.size());
  }

  // One step of the stream: sends what is new, or waits a little; false ends it.
  bool step(httplib::DataSink& sink) {
    if (server.stopping || (connection && connection->closed())) return false;
    StateStore& state = agent.state();
    const uint64_t seen = state.latest_index();
    const std::vector<StateEvent> events = state.events_after(cursor, kBatch);
    if (events.empty()) {
      if (std::chrono::steady_clock::now() - last_write >= kHeartbeat)
        return write_line(sink, Json::object());
      state.wait_for_index(std::max(seen, cursor), kPollStep);
      return true;
    }
    // One line per index, as Nomad batches the events of one write.
    Json line;
    for (const StateEvent& event : events) {
      if (!line.is_null() && line["Index"] != event.index) {
        if (!line["Events"].empty() && !write_line(sink, line)) return false;
        line = nullptr;
      }
      if (line.is_null()) line = Json{{"Index", event.index}, {"Events", Json::array()}};
      if (selected(event)) line["Events"].push_back(event_json(event));
      cursor = event.index;
    }
    // The last index may have more events than this batch held: read it again next time.
    if (events.size() == kBatch && events.front().index != events.back().index) {
      cursor = events.back().index - 1;
      line = nullptr;
    }
    if (!line.is_null() && !line["Events"].empty()) return write_line(sink, line);
    return true;
  }
};

void event_stream(ApiRequest& request) {
  uint64_t index = 0;
  if (const std::string text = request.query("index"); !text.empty()) {
    try {
      std::size_t used = 0;
      index = std::stoull(text, &used);
      if (used != text.size() || text.starts_with('-')) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      throw ApiError(400, "Unable to parse index: " + text);
    }
  }
  auto stream = std::make_shared<EventStream>(EventStream{
      request.agent, request.server, parse_topics(request.http), request.namespace_name(),
      // The stream includes the event at `index` itself.
      index > 0 ? index - 1 : 0, ClientConnection::find(request.http)});
  request.response.set_header("Cache-Control", "no-cache");
  request.response.set_chunked_content_provider("application/json",
                                                [stream](std::size_t, httplib::DataSink& sink) {
                                                  try {
                                                    if (stream->step(sink)) return true;
                                                  } catch (const std::exception&) {
                                                    // A failed read ends the stream; the client
                                                    // sees it end and may reconnect.
                                                  }
                                                  sink.done();
                                                  return true;
                                                });
}

}  // namespace

void add_event_stream_route(Router& router) {
  router.get("/v1/event/stream", event_stream);
}

}  // namespace pot::agent::http
