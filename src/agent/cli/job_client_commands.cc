// `potd job plan|status|stop|history|revert`: requests to the agent and Nomad's layouts of
// the answers. (`job run` is in job_commands.cc with `job validate`.)
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <string>

#include "agent/cli/api_client.h"
#include "agent/cli/doc_fields.h"
#include "agent/cli/go_flags.h"
#include "agent/cli/job_commands.h"
#include "agent/cli/job_file.h"
#include "agent/cli/monitor.h"
#include "agent/cli/table.h"
#include "agent/cli/time_format.h"
#include "core/error.h"

namespace pot::agent {
namespace {

std::string job_path(const std::string& job_id) {
  return "/v1/job/" + url_encode(job_id);
}

// Nomad's getStatusString: "dead (stopped)" for a stopped job.
std::string job_status_text(const Json& job) {
  std::string status = text_of(job, "Status");
  return bool_of(job, "Stop") ? status + " (stopped)" : status;
}

std::string job_type_text(const Json& job) {
  std::string type = text_of(job, "Type");
  if (!field(job, "Periodic").is_null() && bool_of(field(job, "Periodic"), "Enabled")) {
    return type + "/periodic";
  }
  if (bool_of(job, "ParameterizedJob") || field(job, "ParameterizedJob").is_object()) {
    return type + "/parameterized";
  }
  return type;
}

// The one job whose ID starts with `prefix` (an exact ID wins over longer ones), as Nomad's
// JobIDByPrefix; several candidates are listed in the error.
std::string resolve_job_id(ApiClient& api, const std::string& command, const std::string& prefix) {
  Json jobs = api.get("/v1/jobs", {{"prefix", prefix}}).body;
  if (!jobs.is_array()) jobs = Json::array();
  std::vector<const Json*> matches;
  for (const Json& job : jobs) {
    const std::string id = text_of(job, "ID");
    if (id == prefix) return id;
    if (id.rfind(prefix, 0) == 0) matches.push_back(&job);
  }
  if (matches.empty())
    throw Error(command + ": no job(s) with prefix or id " + go_quote(prefix) + " found");
  if (matches.size() == 1) return text_of(*matches[0], "ID");
  Json listed = Json::array();
  for (const Json* job : matches) listed.push_back(*job);
  throw Error(command + ": prefix matched multiple jobs\n\n" + format_job_list(listed));
}

const char* kCheckIndexHelp =
    "When running the job with the check-index flag, the job will only be run if the\n"
    "job modify index given matches the server-side version. If the index has\n"
    "changed, another user has modified the job and the plan's results are\n"
    "potentially invalid.";

}  // namespace

// --- Layouts -----------------------------------------------------------------------

std::string format_job_list(const Json& jobs) {
  if (!jobs.is_array() || jobs.empty()) return "No running jobs";
  std::vector<TableRow> rows = {{"ID", "Type", "Priority", "Status", "Submit Date"}};
  for (const Json& job : jobs) {
    rows.push_back({text_of(job, "ID"), job_type_text(job), std::to_string(int_of(job, "Priority")),
                    job_status_text(job), format_time(int_of(job, "SubmitTime"))});
  }
  return format_list(rows);
}

std::string format_alloc_list(const Json& allocs, int64_t now_nanos, bool verbose) {
  if (!allocs.is_array() || allocs.empty()) return "No allocations placed";
  const std::size_t length = verbose ? kFullId : kShortId;
  std::vector<TableRow> rows;
  if (verbose) {
    rows.push_back({"ID", "Eval ID", "Node ID", "Node Name", "Task Group", "Version", "Desired",
                    "Status", "Created", "Modified"});
  } else {
    rows.push_back(
        {"ID", "Node ID", "Task Group", "Version", "Desired", "Status", "Created", "Modified"});
  }
  for (const Json& alloc : allocs) {
    TableRow row = {limit(text_of(alloc, "ID"), length)};
    if (verbose) row.push_back(limit(text_of(alloc, "EvalID"), length));
    row.push_back(limit(text_of(alloc, "NodeID"), length));
    if (verbose) row.push_back(text_of(alloc, "NodeName"));
    row.push_back(text_of(alloc, "TaskGroup"));
    row.push_back(std::to_string(int_of(alloc, "JobVersion")));
    row.push_back(text_of(alloc, "DesiredStatus"));
    row.push_back(text_of(alloc, "ClientStatus"));
    int64_t created = int_of(alloc, "CreateTime");
    int64_t modified = int_of(alloc, "ModifyTime");
    row.push_back(verbose ? format_time(created) : pretty_time_diff(created, now_nanos));
    row.push_back(verbose ? format_time(modified) : pretty_time_diff(modified, now_nanos));
    rows.push_back(std::move(row));
  }
  return format_list(rows);
}

namespace {

std::string summary_table(const Json& summary) {
  const Json& groups = field(summary, "Summary");
  std::vector<std::string> names;
  if (groups.is_object()) {
    for (const auto& [name, counts] : groups.items()) names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  std::vector<TableRow> rows = {
      {"Task Group", "Queued", "Starting", "Running", "Failed", "Complete", "Lost", "Unknown"}};
  for (const std::string& name : names) {
    const Json& counts = groups[name];
    TableRow row = {name};
    for (const char* key :
         {"Queued", "Starting", "Running", "Failed", "Complete", "Lost", "Unknown"}) {
      row.push_back(std::to_string(int_of(counts, key)));
    }
    rows.push_back(std::move(row));
  }
  return format_list(rows);
}

// Nomad's evalFailureStatus: "true" when the evaluation could not place everything.
std::string eval_failures(const Json& eval) {
  const Json& failed = field(eval, "FailedTGAllocs");
  bool has_failures = failed.is_object() && !failed.empty();
  if (text_of(eval, "Status") == "failed") return has_failures ? "true" : "N/A - In Progress";
  return has_failures ? "true" : "false";
}

}  // namespace

std::string format_job_status(const JobStatusDocuments& docs, int64_t now_nanos, bool verbose,
                              bool show_evals) {
  const Json& job = docs.job;
  const std::size_t length = verbose ? kFullId : kShortId;
  std::string datacenters;
  if (const Json& list = field(job, "Datacenters"); list.is_array()) {
    for (const Json& dc : list) {
      if (!datacenters.empty()) datacenters += ",";
      datacenters += dc.is_string() ? dc.get<std::string>() : dc.dump();
    }
  }
  const bool periodic =
      field(job, "Periodic").is_object() && bool_of(field(job, "Periodic"), "Enabled");
  const bool parameterized = field(job, "ParameterizedJob").is_object();
  std::string out = format_kv({
      {"ID", text_of(job, "ID")},
      {"Name", text_of(job, "Name")},
      {"Submit Date", format_time(int_of(job, "SubmitTime"))},
      {"Type", text_of(job, "Type")},
      {"Priority", std::to_string(int_of(job, "Priority"))},
      {"Datacenters", datacenters},
      {"Namespace", text_of(job, "Namespace")},
      {"Node Pool", text_of(job, "NodePool")},
      {"Status", job_status_text(job)},
      {"Periodic", go_bool(periodic)},
      {"Parameterized", go_bool(parameterized)},
  });

  if (docs.summary.is_object()) out += "\n\nSummary\n" + summary_table(docs.summary);

  const Json* latest_failed = nullptr;
  bool blocked = false;
  std::vector<TableRow> evals = {
      {"ID", "Priority", "Triggered By", "Status", "Placement Failures"}};
  if (docs.evaluations.is_array()) {
    for (const Json& eval : docs.evaluations) {
      evals.push_back({limit(text_of(eval, "ID"), length), std::to_string(int_of(eval, "Priority")),
                       text_of(eval, "TriggeredBy"), text_of(eval, "Status"), eval_failures(eval)});
      blocked = blocked || text_of(eval, "Status") == "blocked";
      const Json& failed = field(eval, "FailedTGAllocs");
      if (failed.is_object() && !failed.empty() &&
          (latest_failed == nullptr ||
           int_of(*latest_failed, "CreateIndex") < int_of(eval, "CreateIndex"))) {
        latest_failed = &eval;
      }
    }
  }
  if (verbose || show_evals) out += "\n\nEvaluations\n" + format_list(evals);
  if (blocked && latest_failed != nullptr) {
    out += "\n\nPlacement Failure";
    const Json& failed = field(*latest_failed, "FailedTGAllocs");
    std::vector<std::string> groups;
    for (const auto& [group, metrics] : failed.items()) groups.push_back(group);
    std::sort(groups.begin(), groups.end());
    for (std::size_t i = 0; i < groups.size(); ++i) {
      out += "\nTask Group " + go_quote(groups[i]) + ":\n" +
             format_alloc_metrics(failed[groups[i]], "  ");
      if (i + 1 != groups.size()) out += "\n";
    }
  }

  if (docs.deployment.is_object()) {
    out += "\n\nLatest Deployment\n" +
           format_kv({
               {"ID", limit(text_of(docs.deployment, "ID"), length)},
               {"Status", text_of(docs.deployment, "Status")},
               {"Description", text_of(docs.deployment, "StatusDescription")},
           });
    std::string groups = format_deployment_groups(field(docs.deployment, "TaskGroups"));
    if (!groups.empty()) out += "\n\nDeployed\n" + groups;
  }

  out += "\n\nAllocations\n" + format_alloc_list(docs.allocations, now_nanos, verbose);
  return out;
}

int plan_exit_code(const Json& plan) {
  if (text_of(field(plan, "Diff"), "Type") == "None") return 0;
  const Json& updates = field(field(plan, "Annotations"), "DesiredTGUpdates");
  if (!updates.is_object()) return 0;
  for (const auto& [group, counts] : updates.items()) {
    if (int_of(counts, "Stop") + int_of(counts, "Place") + int_of(counts, "Migrate") +
            int_of(counts, "DestructiveUpdate") + int_of(counts, "Canary") >
        0) {
      return 1;
    }
  }
  return 0;
}

std::string format_plan(const Json& job, const Json& plan, bool diff, bool verbose,
                        const std::string& run_args, const std::string& job_file) {
  std::string out;
  if (diff && field(plan, "Diff").is_object()) {
    std::string text = format_job_diff(field(plan, "Diff"), verbose);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    out += text + "\n\n";
  }
  out += "Scheduler dry-run:\n";
  const Json& failed = field(plan, "FailedTGAllocs");
  if (!failed.is_object() || failed.empty()) {
    out += "- All tasks successfully allocated.\n";
  } else {
    out += text_of(job, "Type") == "system"
               ? "- WARNING: Failed to place allocations on all nodes.\n"
               : "- WARNING: Failed to place all allocations.\n";
    std::vector<std::string> groups;
    for (const auto& [group, metrics] : failed.items()) groups.push_back(group);
    std::sort(groups.begin(), groups.end());
    for (std::size_t i = 0; i < groups.size(); ++i) {
      int64_t count = int_of(failed[groups[i]], "CoalescedFailures") + 1;
      out += "  Task Group " + go_quote(groups[i]) + " (failed to place " + std::to_string(count) +
             (count > 1 ? " allocations" : " allocation") + "):\n";
      out += format_alloc_metrics(failed[groups[i]], "    ") + "\n";
      if (i + 1 != groups.size()) out += "\n";
    }
  }
  out += "\n";
  if (std::string warnings = text_of(plan, "Warnings"); !warnings.empty()) {
    out += "Job Warnings:\n" + warnings + "\n\n";
  }
  out += "Job Modify Index: " + std::to_string(int_of(plan, "JobModifyIndex")) + "\n";
  out += "To submit the job with version verification run:\n\n";
  out += "potd job run -check-index " + std::to_string(int_of(plan, "JobModifyIndex")) + " " +
         run_args + job_file + "\n\n";
  out += kCheckIndexHelp;
  out += "\n";
  return out;
}

std::string format_job_history(const Json& versions, const Json& diffs, bool with_diffs) {
  if (!versions.is_array() || versions.empty()) return "No versions found";
  std::string out;
  for (std::size_t i = 0; i < versions.size(); ++i) {
    const Json& version = versions[i];
    std::vector<std::pair<std::string, std::string>> pairs = {
        {"Version", std::to_string(int_of(version, "Version"))},
        {"Stable", go_bool(bool_of(version, "Stable"))},
        {"Submit Date", format_time(int_of(version, "SubmitTime"))},
    };
    // Diffs[i] is version i against version i+1 (the next older one); the oldest has none.
    if (with_diffs && diffs.is_array() && i < diffs.size() && diffs[i].is_object()) {
      std::string text = format_job_diff(diffs[i], false);
      while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
      pairs.emplace_back("Diff", "\n" + text);
    }
    if (i > 0) out += "\n\n";
    out += format_kv(pairs);
  }
  return out;
}

// --- Commands ----------------------------------------------------------------------

int job_plan(const std::vector<std::string>& args) {
  const std::string command = "potd job plan";
  // Nomad's convention: 255 for an error, as 1 already means "changes".
  try {
    JobFileFlags file_flags;
    GlobalFlags global;
    bool diff = true, verbose = false;
    GoFlags parser(command);
    parser.add_bool("diff", &diff);
    parser.add_bool("verbose", &verbose);
    file_flags.add_to(parser);
    global.add_to(parser);
    std::vector<std::string> words = parser.parse(args);
    std::optional<jobspec::Json> job = load_job(command, file_flags, words);
    if (!job) return 255;

    auto api = connect_agent(command, global);
    Json plan =
        api->put(job_path(text_of(*job, "ID")) + "/plan", Json{{"Job", *job}, {"Diff", diff}});
    std::string run_args;
    for (const std::string& var : file_flags.vars) run_args += "-var=" + go_quote(var) + " ";
    for (const std::string& file : file_flags.var_files)
      run_args += "-var-file=" + go_quote(file) + " ";
    if (!global.namespace_name.empty())
      run_args += "-namespace=" + go_quote(global.namespace_name) + " ";
    std::cout << format_plan(*job, plan, diff, verbose, run_args, words[0]);
    return plan_exit_code(plan);
  } catch (const Error& error) {
    std::cout.flush();
    std::fprintf(stderr, "%s\n", error.what());
    return 255;
  }
}

int job_status(const std::vector<std::string>& args) {
  const std::string command = "potd job status";
  GlobalFlags global;
  bool json = false, verbose = false, evals = false;
  GoFlags parser(command);
  parser.add_bool("json", &json);
  parser.add_bool("verbose", &verbose);
  parser.add_bool("evals", &evals);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() > 1)
    throw Error(command + ": this command takes either no arguments or one: <job>");
  auto api = connect_agent(command, global);

  if (words.empty()) {
    Json jobs = api->get("/v1/jobs").body;
    std::cout << (json ? jobs.dump(4) : format_job_list(jobs)) << "\n";
    return 0;
  }
  const std::string id = resolve_job_id(*api, command, words[0]);
  JobStatusDocuments docs;
  docs.job = api->get(job_path(id)).body;
  if (json) {
    std::cout << docs.job.dump(4) << "\n";
    return 0;
  }
  docs.summary = api->get(job_path(id) + "/summary").body;
  docs.allocations = api->get(job_path(id) + "/allocations").body;
  docs.evaluations = api->get(job_path(id) + "/evaluations").body;
  try {
    docs.deployment = api->get(job_path(id) + "/deployment").body;
  } catch (const Error&) {
    docs.deployment = nullptr;  // a job that never had a deployment may be answered with 404
  }
  std::cout << format_job_status(docs, now_unix_nanos(), verbose, evals) << "\n";
  return 0;
}

int job_stop(const std::vector<std::string>& args) {
  const std::string command = "potd job stop";
  GlobalFlags global;
  bool purge = false, detach = false, yes = false, verbose = false;
  GoFlags parser(command);
  parser.add_bool("purge", &purge);
  parser.add_bool("detach", &detach);
  parser.add_bool("yes", &yes);
  parser.add_bool("y", &yes);
  parser.add_bool("verbose", &verbose);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 1) throw Error(command + ": this command takes one argument: <job>");
  auto api = connect_agent(command, global);
  const std::string id = resolve_job_id(*api, command, words[0]);

  // As Nomad: a prefix that is not the whole ID is confirmed first.
  if (id != words[0] && !yes) {
    std::cout << "Are you sure you want to stop job " << go_quote(id) << "? [y/N] " << std::flush;
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes" && answer != "Yes") {
      std::cout << "Cancelling job stop\n";
      return 0;
    }
  }
  QueryParams query;
  if (purge) query.emplace_back("purge", "true");
  Json response = api->del(job_path(id), query);
  const std::string eval_id = response.is_object() ? response.value("EvalID", "") : "";
  if (eval_id.empty()) return 0;
  if (detach) {
    std::cout << eval_id << "\n";
    return 0;
  }
  return monitor_evaluation(*api, eval_id, 0, verbose);
}

int job_history(const std::vector<std::string>& args) {
  const std::string command = "potd job history";
  GlobalFlags global;
  bool json = false, with_diffs = false;
  std::string version_text;
  GoFlags parser(command);
  parser.add_bool("json", &json);
  parser.add_bool("p", &with_diffs);
  parser.add_string("version", &version_text);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 1) throw Error(command + ": this command takes one argument: <job>");
  auto api = connect_agent(command, global);
  const std::string id = resolve_job_id(*api, command, words[0]);
  QueryParams query;
  if (with_diffs) query.emplace_back("diffs", "true");
  Json answer = api->get(job_path(id) + "/versions", query).body;
  Json versions = field(answer, "Versions");
  Json diffs = field(answer, "Diffs");
  if (!version_text.empty()) {
    uint64_t wanted = parse_index_flag(command, "version", version_text);
    Json chosen = Json::array();
    Json chosen_diffs = Json::array();
    for (std::size_t i = 0; versions.is_array() && i < versions.size(); ++i) {
      if (static_cast<uint64_t>(int_of(versions[i], "Version")) == wanted) {
        chosen.push_back(versions[i]);
        chosen_diffs.push_back(diffs.is_array() && i < diffs.size() ? diffs[i] : Json());
      }
    }
    if (chosen.empty()) {
      throw Error(command + ": job " + go_quote(id) + " has no version " + version_text);
    }
    versions = chosen;
    diffs = chosen_diffs;
  }
  if (json) {
    std::cout << versions.dump(4) << "\n";
    return 0;
  }
  std::cout << format_job_history(versions, diffs, with_diffs) << "\n";
  return 0;
}

int job_revert(const std::vector<std::string>& args) {
  const std::string command = "potd job revert";
  GlobalFlags global;
  bool detach = false, verbose = false;
  GoFlags parser(command);
  parser.add_bool("detach", &detach);
  parser.add_bool("verbose", &verbose);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 2)
    throw Error(command + ": this command takes two arguments: <job> <version>");
  uint64_t version = parse_index_flag(command, "version", words[1]);
  auto api = connect_agent(command, global);
  const std::string id = resolve_job_id(*api, command, words[0]);
  Json response = api->put(job_path(id) + "/revert", Json{{"JobID", id}, {"JobVersion", version}});
  const std::string eval_id = response.is_object() ? response.value("EvalID", "") : "";
  if (eval_id.empty()) return 0;
  if (detach) {
    std::cout << eval_id << "\n";
    return 0;
  }
  return monitor_evaluation(*api, eval_id, response.value("JobModifyIndex", uint64_t{0}), verbose);
}

}  // namespace pot::agent
