// A small stand-in for potd's server around the pure scheduler: it keeps the job, its
// versions and the allocations, asks plan() and stores the plan the way the agent would,
// so that a test reads as a user's story (run, scale, update, fail, wait).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "agent/scheduler/scheduler.h"
#include "jobspec/jobspec.h"

namespace scheduler_test {

using pot::agent::Json;
using pot::agent::NodeInfo;
using pot::agent::Plan;

constexpr int64_t kSecond = 1000000000;

inline NodeInfo test_node() {
  NodeInfo node;
  node.id = "node-1";
  node.name = "potd";
  node.cpu_mhz = 4000;
  node.memory_mb = 8192;
  node.attributes = {{"kernel.name", "linux"},
                     {"kernel.version", "6.1.0"},
                     {"cpu.arch", "amd64"},
                     {"driver.pot", "1"},
                     {"unique.network.ip-address", "10.1.2.3"}};
  node.meta = {{"rack", "r1"}};
  return node;
}

struct World {
  NodeInfo node = test_node();
  Json job;  // the current version
  std::map<uint64_t, Json> versions;
  std::vector<Json> allocs;  // every allocation, of every job
  std::function<bool(int)> port_in_use = [](int) { return false; };
  int64_t now_ns = 1000000 * kSecond;
  int ids = 0;

  // Registers `hcl` as the job's next version.
  const Json& submit(const std::string& hcl) {
    Json parsed = jobspec::parse_job(hcl, "t.nomad", {});
    return submit_json(std::move(parsed));
  }

  const Json& submit_json(Json parsed) {
    const uint64_t version = versions.empty() ? 0 : versions.rbegin()->first + 1;
    parsed["Version"] = version;
    parsed["Status"] = "pending";
    parsed["SubmitTime"] = now_ns;
    versions[version] = parsed;
    job = parsed;
    return job;
  }

  pot::agent::PlanRequest request() {
    pot::agent::PlanRequest request;
    request.job = job;
    request.job_id = job.is_object() ? job.value("ID", "") : purged_id;
    for (const auto& alloc : allocs) {
      if (alloc.value("JobID", "") == request.job_id) request.job_allocations.push_back(alloc);
      if (!pot::agent::alloc_terminal(alloc)) request.node_allocations.push_back(alloc);
    }
    request.job_versions = versions;
    request.node = node;
    request.port_in_use = port_in_use;
    request.eval_id = "eval-1";
    request.now_ns = now_ns;
    request.new_id = [this] { return "alloc-" + std::to_string(++ids); };
    return request;
  }

  Plan plan() { return pot::agent::plan(request()); }

  // Stores `plan` as the agent does; placed allocations start as `client_status`.
  void apply(const Plan& plan, const std::string& client_status = "running") {
    for (const auto& stop : plan.stop) {
      Json& alloc = by_id(stop.alloc_id);
      alloc["DesiredStatus"] = "stop";
      alloc["DesiredDescription"] = stop.description;
      if (alloc["ClientStatus"] == "running" || alloc["ClientStatus"] == "pending") {
        alloc["ClientStatus"] = "complete";
      }
    }
    for (const auto& [failed, next] : plan.next_allocation) by_id(failed)["NextAllocation"] = next;
    for (const auto& updated : plan.update_in_place) by_id(updated["ID"]) = updated;
    for (Json alloc : plan.place) {
      alloc["ClientStatus"] = client_status;
      allocs.push_back(std::move(alloc));
    }
  }

  Plan plan_and_apply(const std::string& client_status = "running") {
    Plan result = plan();
    apply(result, client_status);
    return result;
  }

  Json& by_id(const std::string& id) {
    for (auto& alloc : allocs) {
      if (alloc["ID"] == id) return alloc;
    }
    ADD_FAILURE() << "no allocation " << id;
    static Json none;
    return none;
  }

  // The allocations that run (not terminal), by name.
  std::vector<std::string> live_names() const {
    std::vector<std::string> names;
    for (const auto& alloc : allocs) {
      if (!pot::agent::alloc_terminal(alloc)) names.push_back(alloc["Name"]);
    }
    std::sort(names.begin(), names.end());
    return names;
  }

  // Marks a running allocation failed at `now_ns`.
  void fail(const std::string& id) {
    Json& alloc = by_id(id);
    alloc["ClientStatus"] = "failed";
    alloc["ModifyTime"] = now_ns;
    alloc["TaskStates"] = {{"web", {{"State", "dead"}, {"Failed", true}, {"FinishedAt", now_ns}}}};
  }

  std::string purged_id;
};

inline std::vector<std::string> names_of(const std::vector<Json>& allocs) {
  std::vector<std::string> names;
  for (const auto& alloc : allocs) names.push_back(alloc["Name"]);
  std::sort(names.begin(), names.end());
  return names;
}

inline std::vector<std::string> stopped_ids(const Plan& plan) {
  std::vector<std::string> ids;
  for (const auto& stop : plan.stop) ids.push_back(stop.alloc_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

// A service job "web" with one group "web" of `count` and one pot task "web".
inline std::string web_job(int count, const std::string& task_extra = "",
                           const std::string& group_extra = "", const std::string& job_extra = "") {
  return "job \"web\" {\n" + job_extra +
         "\n  group \"web\" {\n    count = " + std::to_string(count) + "\n" + group_extra +
         "\n    task \"web\" {\n      driver = \"pot\"\n      config {\n        image = \"x\"\n"
         "        pot = \"web\"\n        tag = \"1\"\n      }\n" +
         task_extra + "\n    }\n  }\n}\n";
}

}  // namespace scheduler_test
