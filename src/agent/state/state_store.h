// potd's state: jobs and their versions, evaluations, allocations (with their task states
// and events) and the event stream, in one SQLite database (WAL) under POT_FS_ROOT.
//
// Every document is stored as Nomad's API JSON (Go field names), so the HTTP API returns
// what it reads. Every write is one transaction that takes the next value of one growing
// index (Nomad's Raft index in miniature); the documents it writes carry that index
// (`ModifyIndex`, and `CreateIndex` when new). A write returns only after the commit is on
// disk: `kill -9` of potd at any moment loses no acknowledged write.
//
// Blocking queries wait on the index: `wait_for_index(5, 300s)` returns once a write with an
// index above 5 committed, or at the deadline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

// One event of the stream (`/v1/event/stream`): Nomad's {Topic, Type, Key, Namespace,
// Index, Payload}. Topics: Job, Evaluation, Allocation, Deployment, Node.
struct StateEvent {
  std::string topic;
  std::string type;  // JobRegistered, JobDeregistered, EvaluationUpdated, AllocationUpdated...
  std::string key;   // the document's ID
  std::string namespace_name = "default";
  uint64_t index = 0;
  Json payload;  // {"Job": {...}} / {"Allocation": {...}} / {"Evaluation": {...}}
};

class StateStore;

// One step of the database schema: `statements` run in one transaction that also sets
// `PRAGMA user_version` to `version`. A store's migrations are ordered by version.
struct SchemaMigration {
  int version = 0;
  std::vector<std::string> statements;
};

// The writes of one transaction. Documents are upserted whole; the store sets their
// `ModifyIndex` to the transaction's index, and their `CreateIndex` when absent or 0 (Go's
// zero value, as a freshly parsed job has) to the stored document's, or else to the
// transaction's index. Other fields (JobModifyIndex, AllocModifyIndex) are the caller's.
class StateWriter {
 public:
  uint64_t index() const { return index_; }

  // The job's current version (Nomad keys jobs by namespace and ID). Also stored as
  // version `Version` in the job's history.
  void put_job(Json job);
  // Removes the job and its versions (purge). Its evaluations and allocations stay until
  // garbage-collected.
  void delete_job(const std::string& namespace_name, const std::string& job_id);
  // Marks a stored version stable (`Stable: true`), for auto_revert; also the current job
  // when it is that version. Nothing when the version is not stored (as Nomad).
  void set_job_version_stable(const std::string& namespace_name, const std::string& job_id,
                              uint64_t version, bool stable);
  void put_evaluation(Json evaluation);
  void put_allocation(Json allocation);
  // A deployment (Nomad's: ID, Namespace, JobID, JobVersion, Status running|successful|
  // failed|cancelled, StatusDescription, TaskGroups {group: {DesiredTotal, PlacedAllocs,
  // HealthyAllocs, UnhealthyAllocs, RequireProgressBy, AutoRevert, ...}}).
  void put_deployment(Json deployment);
  void delete_allocation(const std::string& alloc_id);
  void delete_evaluation(const std::string& eval_id);
  // Appended to the event stream with this transaction's index.
  void add_event(StateEvent event);
  // A small key-value table for potd's own facts (node id, token hash, ...).
  void put_meta(const std::string& key, const std::string& value);

 private:
  friend class StateStore;
  StateWriter(StateStore& store, uint64_t index) : store_(store), index_(index) {}
  StateStore& store_;
  uint64_t index_;
};

class StateStore {
 public:
  // Opens (creating, then migrating to the current schema) `path`. Throws pot::Error naming
  // the file and the reason; a database written by a newer potd (a schema version above
  // ours) is refused by name.
  static std::unique_ptr<StateStore> open(const std::filesystem::path& path);
  // The same with another list of migrations (tests of migrating); its last version takes
  // the place of kSchemaVersion.
  static std::unique_ptr<StateStore> open(const std::filesystem::path& path,
                                          const std::vector<SchemaMigration>& migrations);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  static constexpr int kSchemaVersion = 1;
  int schema_version() const;

  // Runs `fn` in one write transaction with the next index, commits (durably), wakes the
  // blocking queries, and returns the index. An exception from `fn` rolls everything back
  // and is rethrown; the index is not consumed. Reads made by `fn` (same thread) see the
  // transaction's writes so far; a write() inside `fn` throws.
  uint64_t write(const std::function<void(StateWriter&)>& fn);

  // The index of the last committed write (0 for a new database).
  uint64_t latest_index() const;
  // Blocks until latest_index() > min_index or `timeout` passes; returns latest_index().
  uint64_t wait_for_index(uint64_t min_index, std::chrono::milliseconds timeout) const;

  // Reads. Each returns documents as stored; lists are ordered by ID (jobs) or by
  // CreateIndex (evaluations, allocations).
  std::optional<Json> job(const std::string& namespace_name, const std::string& job_id) const;
  std::vector<Json> jobs() const;
  // Every stored version of a job, newest first.
  std::vector<Json> job_versions(const std::string& namespace_name,
                                 const std::string& job_id) const;
  std::optional<Json> job_version(const std::string& namespace_name, const std::string& job_id,
                                  uint64_t version) const;
  std::optional<Json> evaluation(const std::string& eval_id) const;
  std::vector<Json> evaluations() const;
  std::vector<Json> job_evaluations(const std::string& namespace_name,
                                    const std::string& job_id) const;
  std::optional<Json> allocation(const std::string& alloc_id) const;
  std::vector<Json> allocations() const;
  std::vector<Json> job_allocations(const std::string& namespace_name,
                                    const std::string& job_id) const;
  std::optional<Json> deployment(const std::string& deployment_id) const;
  std::vector<Json> deployments() const;
  // A job's deployments, newest first.
  std::vector<Json> job_deployments(const std::string& namespace_name,
                                    const std::string& job_id) const;
  // Allocations whose ID starts with `prefix` (the CLI's short IDs), at most `limit`.
  std::vector<Json> allocations_by_prefix(const std::string& prefix, std::size_t limit) const;
  // Events with an index above `after_index`, oldest first, at most `limit`.
  std::vector<StateEvent> events_after(uint64_t after_index, std::size_t limit) const;
  std::optional<std::string> meta(const std::string& key) const;

 private:
  friend class StateWriter;
  struct Db;
  explicit StateStore(std::unique_ptr<Db> db);
  std::unique_ptr<Db> db_;
  mutable std::mutex mutex_;  // one connection, one user at a time
  mutable std::condition_variable index_advanced_;
  uint64_t latest_index_ = 0;
};

}  // namespace pot::agent
