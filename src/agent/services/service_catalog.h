// The node's service catalog: every service instance that runs here (registered from a job's
// `service` blocks while its task runs, or from outside through the Consul-compatible agent
// API) and the checks of each, with their current status. The Consul HTTP API, the DNS
// server, the check scheduler, deployments and `potd service` all read this one catalog.
//
// It is in memory only: a restart of potd registers the services of the allocations it
// restores again, and their checks start over as Consul's do (critical until they pass).
// Every change moves one index, so blocking queries (`X-Consul-Index`) wait on it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace pot::agent {

enum class CheckStatus { kPassing, kWarning, kCritical };

// "passing", "warning", "critical": Consul's words.
const char* check_status_name(CheckStatus status);
std::optional<CheckStatus> parse_check_status(const std::string& name);

// One check, as a job's `check` block or the agent API's `Check` describes it.
struct CheckDefinition {
  std::string id;           // unique on the node: `_nomad-check-<hash>` for a job's check
  std::string name;         // "service: \"web\" check" when the job gives none
  std::string type;         // tcp, http, script, grpc, ttl
  std::string instance_id;  // the service instance it checks
  std::chrono::milliseconds interval{10'000};
  std::chrono::milliseconds timeout{10'000};  // Consul's default
  std::chrono::milliseconds ttl{0};           // ttl checks: critical when not updated in time

  // tcp, http and grpc: where to connect.
  std::string address;
  int port = 0;
  // http
  std::string protocol = "http";
  std::string method = "GET";
  std::string path = "/";
  std::map<std::string, std::vector<std::string>> headers;
  std::string body;
  // grpc: the service named in grpc.health.v1.Health/Check ("" asks for the server).
  std::string grpc_service;
  bool grpc_use_tls = false;
  // script: a command run inside the task's pot.
  std::string task;
  std::string command;
  std::vector<std::string> args;

  CheckStatus initial_status = CheckStatus::kCritical;
  // Consecutive results needed before the status moves (0 and 1 both mean at once).
  int success_before_passing = 0;
  int failures_before_critical = 0;
  // check_restart: restart the task after `limit` consecutive unhealthy results (0: never),
  // not counting results in the first `grace` after the task (re)started.
  int restart_limit = 0;
  std::chrono::milliseconds restart_grace{1'000};
  bool restart_ignore_warnings = false;
  std::string notes;
};

struct CheckState {
  CheckDefinition definition;
  CheckStatus status = CheckStatus::kCritical;
  std::string output;
  uint64_t create_index = 0;
  uint64_t modify_index = 0;
};

struct ServiceInstance {
  std::string id;    // unique on the node, e.g. `_nomad-task-<alloc>-<task>-<name>-<port label>`
  std::string name;  // what clients look up
  std::vector<std::string> tags;
  std::map<std::string, std::string> meta;
  std::string address;  // "" means the node's address
  int port = 0;
  // Where it came from. An external one (the agent API) has no allocation.
  std::string alloc_id;
  std::string task;  // "" for a group service
  std::string job_id;
  std::string group;
  std::string namespace_name = "default";
  uint64_t create_index = 0;
  uint64_t modify_index = 0;

  bool external() const { return alloc_id.empty(); }
};

// The node the catalog is on, as Consul's API and DNS name it.
struct CatalogNode {
  std::string id;
  std::string name = "potd";
  std::string address = "127.0.0.1";  // the node's address: instances without their own
  std::string datacenter = "dc1";
};

// What changed, for observers. Every check result is reported (kCheckResult), also one that
// does not change the status: check_restart counts consecutive results.
struct CatalogEvent {
  enum class Kind {
    kInstanceRegistered,
    kInstanceDeregistered,
    kCheckAdded,
    kCheckRemoved,
    kCheckResult,
  };
  Kind kind;
  std::string instance_id;
  std::string check_id;  // check events
  CheckStatus status = CheckStatus::kCritical;
};

class ServiceCatalog {
 public:
  explicit ServiceCatalog(CatalogNode node);
  ServiceCatalog(const ServiceCatalog&) = delete;
  ServiceCatalog& operator=(const ServiceCatalog&) = delete;

  const CatalogNode& node() const { return node_; }

  // Adds the instance, or replaces the one with the same id. Its checks become `checks`
  // (their instance_id set to it): a check already known keeps its status, a new one starts
  // at its initial_status, and one no longer listed goes.
  void register_instance(ServiceInstance instance, std::vector<CheckDefinition> checks);
  // Removes the instance and its checks; false when there was none.
  bool deregister_instance(const std::string& instance_id);
  // Removes every instance of the allocation (and of one task of it when `task` is given).
  void deregister_alloc(const std::string& alloc_id, const std::string& task = "");

  // A check's result. The status and output are kept; the index moves only when the status
  // changed. False when the check is unknown (it was removed meanwhile).
  bool update_check(const std::string& check_id, CheckStatus status, const std::string& output);

  std::vector<ServiceInstance> instances() const;
  std::vector<ServiceInstance> instances_named(const std::string& name) const;
  std::vector<ServiceInstance> instances_of_alloc(const std::string& alloc_id) const;
  std::optional<ServiceInstance> instance(const std::string& instance_id) const;
  std::vector<CheckState> checks() const;
  std::vector<CheckState> checks_of(const std::string& instance_id) const;
  std::optional<CheckState> check(const std::string& check_id) const;
  // The worst status of the instance's checks; passing when it has none.
  CheckStatus aggregate_status(const std::string& instance_id) const;

  // The index of the last change (1 for an empty catalog).
  uint64_t index() const;
  // Waits until the index is past `after` or the timeout ends; returns the index.
  uint64_t wait_for_index(uint64_t after, std::chrono::milliseconds timeout) const;
  // Wakes every waiter (shutdown).
  void wake_all();

  // Observers run after the change, outside the catalog's lock, one at a time and in the
  // order of the changes. They must not block: post the work elsewhere.
  using Observer = std::function<void(const CatalogEvent& event)>;
  int subscribe(Observer observer);
  void unsubscribe(int subscription);

 private:
  void notify(const std::vector<CatalogEvent>& events);
  uint64_t bump_locked();

  CatalogNode node_;
  mutable std::mutex mutex_;
  mutable std::condition_variable index_changed_;
  uint64_t index_ = 1;
  bool woken_ = false;
  std::map<std::string, ServiceInstance> instances_;
  std::map<std::string, CheckState> checks_;

  std::mutex observers_mutex_;  // held while notifying: events reach observers in order
  int next_subscription_ = 1;
  std::map<int, Observer> observers_;
};

}  // namespace pot::agent
