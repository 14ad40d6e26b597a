// `GET /v1/metrics`: what runs, as gauges and counters. With `?format=prometheus` the
// Prometheus text format (names as Nomad's telemetry gives them to Prometheus, dots made
// underscores, plus potd_* for our own); without, go-metrics' JSON summary that Nomad
// answers ({Timestamp, Gauges, Counters, Samples}).
#include <httplib.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include "agent/api/api_request.h"
#include "agent/api/router.h"
#include "agent/api/stubs.h"

namespace pot::agent::http {
namespace {

struct Metric {
  std::string name;  // dotted, as go-metrics names it: "nomad.client.allocations.running"
  std::string help;
  std::map<std::string, std::string> labels;
  double value = 0;
  bool counter = false;
};

std::vector<Metric> collect(AgentApi& agent) {
  const AgentApi::Metrics counts = agent.metrics();
  const std::string node_id = agent.node().id;
  const std::map<std::string, std::string> node{{"node_id", node_id}};
  auto gauge = [](std::string name, std::string help, std::map<std::string, std::string> labels,
                  double value) {
    return Metric{std::move(name), std::move(help), std::move(labels), value, false};
  };
  std::vector<Metric> metrics = {
      gauge("nomad.client.allocations.running", "Allocations running on the node.", node,
            static_cast<double>(counts.allocs_running)),
      gauge("nomad.client.allocations.pending", "Allocations waiting to start on the node.", node,
            static_cast<double>(counts.allocs_pending)),
      gauge("nomad.client.allocations.failed", "Allocations that failed on the node.", node,
            static_cast<double>(counts.allocs_failed)),
      gauge("nomad.client.allocations.complete", "Allocations that completed on the node.", node,
            static_cast<double>(counts.allocs_complete)),
      gauge("nomad.nomad.blocked_evals.total_blocked", "Evaluations waiting for resources.", {},
            static_cast<double>(counts.evals_blocked)),
      gauge("potd.jobs", "Jobs registered.", {}, static_cast<double>(counts.jobs)),
      gauge("potd.state.index", "The state store's latest index.", {},
            static_cast<double>(agent.state().latest_index())),
  };
  Metric restarts{"potd.task.restarts",
                  "Task restarts since the agent started.",
                  {},
                  static_cast<double>(counts.task_restarts),
                  true};
  metrics.push_back(std::move(restarts));

  // Nomad's per-group job summary gauges.
  StateStore& state = agent.state();
  for (const Json& job : state.jobs()) {
    const std::string ns = body_string(job, "Namespace", "default");
    const std::string id = body_string(job, "ID");
    const Json summary =
        job_summary(job, state.job_allocations(ns, id), state.job_evaluations(ns, id));
    for (const auto& [group, counts_of_group] : summary["Summary"].items()) {
      for (const char* state_name :
           {"Queued", "Starting", "Running", "Complete", "Failed", "Lost"}) {
        std::string lower = state_name;
        lower[0] = static_cast<char>(lower[0] - 'A' + 'a');
        metrics.push_back(gauge("nomad.nomad.job_summary." + lower,
                                "Allocations of a job's task group, by state.",
                                {{"exported_job", id}, {"namespace", ns}, {"task_group", group}},
                                counts_of_group[state_name].get<double>()));
      }
    }
  }
  return metrics;
}

std::string prometheus_name(const std::string& dotted) {
  std::string name = dotted;
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// A label value with \, " and newline escaped, as the text format wants.
std::string escaped(const std::string& value) {
  std::string text;
  for (char c : value) {
    if (c == '\\' || c == '"') text += '\\';
    if (c == '\n') {
      text += "\\n";
      continue;
    }
    text += c;
  }
  return text;
}

std::string format_number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

std::string prometheus_text(std::vector<Metric> metrics) {
  // One HELP and TYPE per name, so the samples of a name must be together.
  std::stable_sort(metrics.begin(), metrics.end(),
                   [](const Metric& a, const Metric& b) { return a.name < b.name; });
  std::string text;
  std::string previous;
  for (const Metric& metric : metrics) {
    const std::string name = prometheus_name(metric.name) + (metric.counter ? "_total" : "");
    if (name != previous) {
      text += "# HELP " + name + " " + metric.help + "\n";
      text += "# TYPE " + name + (metric.counter ? " counter\n" : " gauge\n");
      previous = name;
    }
    text += name;
    if (!metric.labels.empty()) {
      text += "{";
      bool first = true;
      for (const auto& [key, value] : metric.labels) {
        text += (first ? "" : ",") + key + "=\"" + escaped(value) + "\"";
        first = false;
      }
      text += "}";
    }
    text += " " + format_number(metric.value) + "\n";
  }
  return text;
}

Json metrics_json(const std::vector<Metric>& metrics) {
  char timestamp[64];
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  ::gmtime_r(&now, &utc);
  std::strftime(timestamp, sizeof timestamp, "%Y-%m-%d %H:%M:%S +0000 UTC", &utc);
  Json gauges = Json::array();
  Json counters = Json::array();
  for (const Metric& metric : metrics) {
    Json labels = Json::object();
    for (const auto& [key, value] : metric.labels) labels[key] = value;
    if (metric.counter) {
      counters.push_back(Json{{"Name", metric.name},
                              {"Count", 1},
                              {"Rate", 0},
                              {"Sum", metric.value},
                              {"Min", metric.value},
                              {"Max", metric.value},
                              {"Mean", metric.value},
                              {"Stddev", 0},
                              {"Labels", labels}});
    } else {
      gauges.push_back(Json{{"Name", metric.name}, {"Value", metric.value}, {"Labels", labels}});
    }
  }
  return Json{{"Timestamp", timestamp},
              {"Gauges", gauges},
              {"Points", Json::array()},
              {"Counters", counters},
              {"Samples", Json::array()}};
}

void metrics(ApiRequest& request) {
  const std::vector<Metric> collected = collect(request.agent);
  const std::string format = request.query("format");
  if (format == "prometheus") {
    request.response.set_content(prometheus_text(collected),
                                 "text/plain; version=0.0.4; charset=utf-8");
  } else if (format.empty() || format == "json") {
    reply_json(request, metrics_json(collected));
  } else {
    throw ApiError(400, "unknown metrics format \"" + format + "\"");
  }
}

}  // namespace

void add_metrics_route(Router& router) {
  router.get("/v1/metrics", metrics);
}

}  // namespace pot::agent::http
