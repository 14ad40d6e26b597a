#include "agent/cli/monitor.h"

#include <algorithm>
#include <chrono>
#include <iostream>
#include <sstream>
#include <thread>
#include <vector>

#include "agent/cli/doc_fields.h"
#include "agent/cli/table.h"
#include "agent/cli/time_format.h"
#include "core/error.h"

namespace pot::agent {
namespace {

// How long one blocking read may wait; the loop reads again after it.
constexpr const char* kBlockingWait = "60s";

bool eval_terminal(const std::string& status) {
  return status == "complete" || status == "failed" || status == "canceled" ||
         status == "cancelled";
}

bool deployment_terminal(const std::string& status) {
  return status == "successful" || status == "failed" || status == "cancelled" ||
         status == "canceled" || status == "blocked";
}

void append_counts(std::string& out, const Json& counts, const std::string& prefix,
                   const char* format_left, const char* format_right) {
  if (!counts.is_object()) return;
  for (const auto& [name, count] : counts.items()) {
    out += prefix + format_left + go_quote(name) + format_right +
           std::to_string(count.is_number() ? count.get<int64_t>() : 0) + " nodes\n";
  }
}

}  // namespace

std::string format_alloc_metrics(const Json& metrics, const std::string& prefix) {
  std::string out;
  if (int_of(metrics, "NodesEvaluated") == 0) {
    out += prefix + "* No nodes were eligible for evaluation\n";
  }
  if (const Json& available = field(metrics, "NodesAvailable"); available.is_object()) {
    for (const auto& [dc, count] : available.items()) {
      if (count.is_number() && count.get<int64_t>() == 0) {
        out += prefix + "* No nodes are available in datacenter " + go_quote(dc) + "\n";
      }
    }
  }
  // Nomad: `* Class "x": 1 nodes excluded by filter`; the count ends the line there.
  auto excluded = [&](const char* name, const char* what) {
    const Json& counts = field(metrics, name);
    if (!counts.is_object()) return;
    for (const auto& [key, count] : counts.items()) {
      out += prefix + "* " + what + " " + go_quote(key) + ": " +
             std::to_string(count.is_number() ? count.get<int64_t>() : 0) +
             " nodes excluded by filter\n";
    }
  };
  excluded("ClassFiltered", "Class");
  excluded("ConstraintFiltered", "Constraint");
  if (int64_t exhausted = int_of(metrics, "NodesExhausted"); exhausted > 0) {
    out += prefix + "* Resources exhausted on " + std::to_string(exhausted) + " nodes\n";
  }
  append_counts(out, field(metrics, "ClassExhausted"), prefix, "* Class ", " exhausted on ");
  append_counts(out, field(metrics, "DimensionExhausted"), prefix, "* Dimension ",
                " exhausted on ");
  if (const Json& quota = field(metrics, "QuotaExhausted"); quota.is_array()) {
    for (const Json& dimension : quota) {
      if (dimension.is_string()) {
        out += prefix + "* Quota limit hit " + go_quote(dimension.get<std::string>()) + "\n";
      }
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string format_deployment_groups(const Json& task_groups) {
  if (!task_groups.is_object() || task_groups.empty()) return "";
  bool auto_revert = false, canaries = false, progress_deadline = false;
  std::vector<std::string> names;
  for (const auto& [name, state] : task_groups.items()) {
    names.push_back(name);
    auto_revert = auto_revert || bool_of(state, "AutoRevert");
    canaries = canaries || int_of(state, "DesiredCanaries") > 0;
    progress_deadline = progress_deadline || int_of(state, "ProgressDeadline") != 0;
  }
  std::sort(names.begin(), names.end());

  TableRow header = {"Task Group"};
  if (auto_revert) header.emplace_back("Auto Revert");
  if (canaries) header.emplace_back("Promoted");
  header.emplace_back("Desired");
  if (canaries) header.emplace_back("Canaries");
  for (const char* name : {"Placed", "Healthy", "Unhealthy"}) header.emplace_back(name);
  if (progress_deadline) header.emplace_back("Progress Deadline");

  std::vector<TableRow> rows = {header};
  for (const std::string& name : names) {
    const Json& state = task_groups[name];
    TableRow row = {name};
    if (auto_revert) row.emplace_back(go_bool(bool_of(state, "AutoRevert")));
    if (canaries) {
      row.emplace_back(int_of(state, "DesiredCanaries") > 0 ? go_bool(bool_of(state, "Promoted"))
                                                            : "N/A");
    }
    row.push_back(std::to_string(int_of(state, "DesiredTotal")));
    if (canaries) row.push_back(std::to_string(int_of(state, "DesiredCanaries")));
    row.push_back(std::to_string(int_of(state, "PlacedAllocs")));
    row.push_back(std::to_string(int_of(state, "HealthyAllocs")));
    row.push_back(std::to_string(int_of(state, "UnhealthyAllocs")));
    if (progress_deadline) {
      int64_t by = time_field_nanos(field(state, "RequireProgressBy"));
      row.push_back(by == 0 ? "N/A" : format_time(by));
    }
    rows.push_back(std::move(row));
  }
  return format_list(rows);
}

std::string format_deployment(const Json& deployment, std::size_t id_length) {
  if (!deployment.is_object()) return "No deployment found";
  std::string out = format_kv({
      {"ID", limit(text_of(deployment, "ID"), id_length)},
      {"Job ID", text_of(deployment, "JobID")},
      {"Job Version", std::to_string(int_of(deployment, "JobVersion"))},
      {"Status", text_of(deployment, "Status")},
      {"Description", text_of(deployment, "StatusDescription")},
  });
  std::string groups = format_deployment_groups(field(deployment, "TaskGroups"));
  if (!groups.empty()) out += "\n\nDeployed\n" + groups;
  return out;
}

EvalMonitor::EvalMonitor(ApiClient& api, std::ostream& out, std::size_t id_length, Clock now,
                         Sleep sleep)
    : api_(api), out_(out), id_length_(id_length), now_(std::move(now)), sleep_(std::move(sleep)) {}

std::string EvalMonitor::when() const {
  return format_time(now_());
}

void EvalMonitor::info(const std::string& text) {
  out_ << "==> " << when() << ": " << text << "\n";
}

void EvalMonitor::output(const std::string& text) {
  out_ << "    " << when() << ": " << text << "\n";
}

void EvalMonitor::report_changes(const Json& eval, const Json& allocs) {
  if (!job_reported_ && !text_of(eval, "JobID").empty()) {
    output("Evaluation triggered by job " + go_quote(text_of(eval, "JobID")));
    job_reported_ = true;
  }
  if (!deployment_reported_ && !text_of(eval, "DeploymentID").empty()) {
    output("Evaluation within deployment: " +
           go_quote(limit(text_of(eval, "DeploymentID"), id_length_)));
    deployment_reported_ = true;
  }
  const std::string eval_id = text_of(eval, "ID");
  for (const Json& alloc : allocs) {
    if (text_of(alloc, "EvalID") != eval_id) continue;
    const std::string id = text_of(alloc, "ID");
    const std::string client = text_of(alloc, "ClientStatus");
    auto seen = allocs_.find(id);
    if (seen == allocs_.end()) {
      std::string where = ": node " + go_quote(limit(text_of(alloc, "NodeID"), id_length_)) +
                          ", group " + go_quote(text_of(alloc, "TaskGroup"));
      // An allocation older than the evaluation was updated in place by it.
      if (int_of(alloc, "CreateIndex") < int_of(eval, "CreateIndex")) {
        output("Allocation " + go_quote(limit(id, id_length_)) + " modified" + where);
      } else if (text_of(alloc, "DesiredStatus") == "run") {
        output("Allocation " + go_quote(limit(id, id_length_)) + " created" + where);
      }
      allocs_[id] = {client};
    } else if (seen->second.client_status != client) {
      std::string description = text_of(alloc, "ClientDescription");
      output("Allocation " + go_quote(limit(id, id_length_)) +
             " status changed: " + go_quote(seen->second.client_status) + " -> " +
             go_quote(client) + (description.empty() ? "" : " (" + description + ")"));
      seen->second.client_status = client;
    }
  }
  const std::string status = text_of(eval, "Status");
  if (!eval_status_.empty() && status != "pending" && status != eval_status_) {
    output("Evaluation status changed: " + go_quote(eval_status_) + " -> " + go_quote(status));
  }
  eval_status_ = status;
}

int EvalMonitor::finish_eval(const Json& eval) {
  const std::string id = limit(text_of(eval, "ID"), id_length_);
  const std::string status = text_of(eval, "Status");
  const Json& failed = field(eval, "FailedTGAllocs");
  if (!failed.is_object() || failed.empty()) {
    info("Evaluation " + go_quote(id) + " finished with status " + go_quote(status));
    return 0;
  }
  info("Evaluation " + go_quote(id) + " finished with status " + go_quote(status) +
       " but failed to place all allocations:");
  for (const auto& [group, metrics] : failed.items()) {
    int64_t count = int_of(metrics, "CoalescedFailures") + 1;
    output("Task Group " + go_quote(group) + " (failed to place " + std::to_string(count) +
           (count > 1 ? " allocations" : " allocation") + "):");
    std::string reasons = format_alloc_metrics(metrics, "  ");
    if (!reasons.empty()) out_ << reasons << "\n";
  }
  if (std::string blocked = text_of(eval, "BlockedEval"); !blocked.empty()) {
    output("Evaluation " + go_quote(limit(blocked, id_length_)) +
           " waiting for additional capacity to place remainder");
  }
  return 2;
}

std::string EvalMonitor::find_deployment(const Json& eval, uint64_t job_modify_index) {
  if (std::string id = text_of(eval, "DeploymentID"); !id.empty()) return id;
  // An evaluation that names no deployment (a stop, a placement that changed nothing) has none.
  if (eval.contains("DeploymentID")) return "";
  if (text_of(eval, "Type") != "service") return "";
  // An agent that does not name the deployment on the evaluation: the job's latest one,
  // if it belongs to this registration.
  Json latest;
  try {
    latest = api_.get("/v1/job/" + url_encode(text_of(eval, "JobID")) + "/deployment").body;
  } catch (const Error&) {
    return "";  // an agent that answers "none" with 404: nothing to follow either way
  }
  if (!latest.is_object()) return "";
  if (job_modify_index != 0 && field(latest, "JobModifyIndex").is_number() &&
      static_cast<uint64_t>(int_of(latest, "JobModifyIndex")) != job_modify_index) {
    return "";
  }
  return text_of(latest, "ID");
}

int EvalMonitor::monitor_deployment(const std::string& job_id, const std::string& deployment_id) {
  info("Monitoring deployment " + go_quote(limit(deployment_id, id_length_)));
  const std::string path = "/v1/job/" + url_encode(job_id) + "/deployment";
  uint64_t index = 0;
  std::string shown;
  for (;;) {
    ApiResponse response = api_.get_blocking(path, index, kBlockingWait);
    const Json& deployment = response.body;
    // The job's latest deployment may still be the previous one for a moment.
    if (deployment.is_object() && text_of(deployment, "ID") == deployment_id) {
      std::string block = format_deployment(deployment, id_length_);
      if (block != shown) {
        out_ << "\n" << when() << "\n" << block << "\n";
        shown = block;
      }
      const std::string status = text_of(deployment, "Status");
      if (deployment_terminal(status)) return status == "successful" ? 0 : 2;
    }
    if (response.index <= index || response.index == 0) sleep_(1000);
    index = response.index;
  }
}

int EvalMonitor::monitor(const std::string& eval_id, uint64_t job_modify_index) {
  info("Monitoring evaluation " + go_quote(limit(eval_id, id_length_)));
  const std::string eval_path = "/v1/evaluation/" + url_encode(eval_id);
  uint64_t index = 0;
  Json eval;
  for (;;) {
    ApiResponse response = api_.get_blocking(eval_path, index, kBlockingWait);
    eval = response.body;
    Json allocs = api_.get("/v1/job/" + url_encode(text_of(eval, "JobID")) + "/allocations").body;
    report_changes(eval, allocs.is_array() ? allocs : Json::array());
    if (eval_terminal(text_of(eval, "Status"))) break;
    if (response.index <= index || response.index == 0) sleep_(1000);
    index = response.index;
  }
  int result = finish_eval(eval);

  if (std::string next = text_of(eval, "NextEval"); !next.empty()) {
    int64_t wait = int_of(eval, "Wait");
    if (wait != 0) {
      info("Monitoring next evaluation " + go_quote(limit(next, id_length_)) + " in " +
           format_duration(wait));
      sleep_(static_cast<int>(wait / 1'000'000));
    }
    eval_status_.clear();
    job_reported_ = deployment_reported_ = false;
    allocs_.clear();
    return monitor(next, job_modify_index);
  }

  std::string deployment_id = find_deployment(eval, job_modify_index);
  if (deployment_id.empty()) return result;
  return monitor_deployment(text_of(eval, "JobID"), deployment_id);
}

int monitor_evaluation(ApiClient& api, const std::string& eval_id, uint64_t job_modify_index,
                       bool verbose) {
  EvalMonitor monitor(api, std::cout, verbose ? kFullId : kShortId, now_unix_nanos,
                      [](int milliseconds) {
                        std::cout.flush();
                        std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
                      });
  int result = monitor.monitor(eval_id, job_modify_index);
  std::cout.flush();
  return result;
}

}  // namespace pot::agent
