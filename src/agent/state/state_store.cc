// The state store over one SQLite connection.
//
// Durability: the database is in WAL mode with synchronous=FULL, so COMMIT returns only
// after the write-ahead log is fsync'd; write() returns (and wakes the blocking queries)
// only after COMMIT. The index of the last write is kept in the database, in the same
// transaction as the documents, so it can never disagree with them after a crash.
//
// Concurrency: one connection, used under the store's mutex by one thread at a time. The
// thread inside write() holds the mutex while its function runs; its own reads skip the
// lock (they would deadlock on it) and see the open transaction, which is what a
// read-modify-write inside one transaction wants.
#include "agent/state/state_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <thread>
#include <utility>

#include "agent/state/sqlite.h"
#include "agent/state/state_schema.h"
#include "core/error.h"
#include "core/unique_fd.h"

namespace pot::agent {

namespace {

// The event stream keeps this many of the newest events; a subscriber further behind
// starts again from a snapshot (as with Nomad's bounded event buffer).
constexpr int64_t kEventsKept = 10000;
// How long a statement waits for a lock held by another connection (a `sqlite3` shell, a
// backup) before failing.
constexpr int kBusyTimeoutMs = 5000;

// Creates the database file, when missing, readable by its owner only: it holds job
// definitions, whose templates and environment may carry secrets. SQLite gives its -wal and
// -shm files the mode of the database file.
void create_private_file(const std::filesystem::path& path, const std::string& what) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd) {
    int err = errno;
    throw Error(what + ": " + std::strerror(err), err);
  }
}

int64_t sql_limit(std::size_t limit) {
  constexpr auto kMax = static_cast<std::size_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(limit > kMax ? kMax : limit);
}

std::string to_text(const Json& document) {
  // Invalid UTF-8 (a task's output quoted in an event) is replaced rather than refused.
  return document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The string field `field` of a document of kind `kind`, which must be there.
std::string required_string(const Json& document, const char* field, const char* kind) {
  auto found = document.find(field);
  if (found == document.end() || !found->is_string() || found->get<std::string>().empty())
    throw Error(std::string(kind) + " document without a `" + field + "`");
  return found->get<std::string>();
}

std::string namespace_of(const Json& document) {
  auto found = document.find("Namespace");
  if (found == document.end() || !found->is_string() || found->get<std::string>().empty())
    return "default";
  return found->get<std::string>();
}

// A document's CreateIndex when it carries one (Go's zero value 0 counts as none).
std::optional<uint64_t> create_index_in(const Json& document) {
  auto found = document.find("CreateIndex");
  if (found == document.end() || !found->is_number_unsigned()) return std::nullopt;
  auto value = found->get<uint64_t>();
  if (value == 0) return std::nullopt;
  return value;
}

}  // namespace

struct StateStore::Db {
  Db(const std::filesystem::path& path, const std::string& what) : connection(path, what) {}

  sqlite::Connection connection;
  int schema_version = 0;
  // The thread running a write()'s function, if any.
  std::atomic<std::thread::id> writing_thread{};

  // The store's lock for a read; none for the thread inside write(), which holds it already.
  std::unique_lock<std::mutex> lock_for_read(std::mutex& mutex) const {
    if (writing_thread.load() == std::this_thread::get_id()) return {};
    return std::unique_lock<std::mutex>(mutex);
  }

  Json parse(const std::string& text) const {
    try {
      return Json::parse(text);
    } catch (const Json::exception& e) {
      throw Error(connection.what() + ": a stored document is not JSON: " + e.what());
    }
  }

  // The documents in the first column of `sql`'s rows, in order.
  template <typename... Args>
  std::vector<Json> documents(const std::string& sql, const Args&... args) {
    sqlite::Query query = connection.query(sql);
    query.bind_all(args...);
    std::vector<Json> out;
    while (query.step()) out.push_back(parse(query->text(0)));
    return out;
  }

  template <typename... Args>
  std::optional<Json> document(const std::string& sql, const Args&... args) {
    sqlite::Query query = connection.query(sql);
    query.bind_all(args...);
    if (!query.step()) return std::nullopt;
    return parse(query->text(0));
  }

  // The first column of `sql`'s first row as an integer, if there is a row.
  template <typename... Args>
  std::optional<uint64_t> integer(const std::string& sql, const Args&... args) {
    sqlite::Query query = connection.query(sql);
    query.bind_all(args...);
    if (!query.step()) return std::nullopt;
    return query->uint64(0);
  }

  // Sets the document's ModifyIndex to `index` and its CreateIndex, when it has none, to
  // the stored one's (`stored_create_index`) or else to `index`. Returns the CreateIndex.
  static uint64_t stamp(Json& document, uint64_t index,
                        std::optional<uint64_t> stored_create_index) {
    std::optional<uint64_t> create_index = create_index_in(document);
    if (!create_index) create_index = stored_create_index.value_or(index);
    document["CreateIndex"] = *create_index;
    document["ModifyIndex"] = index;
    return *create_index;
  }

  // Upserts an evaluation, allocation or deployment: tables keyed by ID that also carry
  // the job (`table` is one of ours, never user text).
  void put_job_document(const std::string& table, const char* kind, Json& document,
                        uint64_t index) {
    if (!document.is_object()) throw Error(std::string(kind) + " document is not an object");
    std::string id = required_string(document, "ID", kind);
    std::string job_id = required_string(document, "JobID", kind);
    uint64_t create_index =
        stamp(document, index, integer("SELECT create_index FROM " + table + " WHERE id = ?1", id));
    connection
        .query("INSERT INTO " + table +
               " (id, namespace, job_id, create_index, json) VALUES (?1, ?2, ?3, ?4, ?5)"
               " ON CONFLICT (id) DO UPDATE SET namespace = excluded.namespace,"
               " job_id = excluded.job_id, create_index = excluded.create_index,"
               " json = excluded.json")
        .bind_all(id, namespace_of(document), job_id, create_index, to_text(document))
        .run();
  }

  void prune_events() {
    connection.query("DELETE FROM events WHERE seq <= (SELECT max(seq) FROM events) - ?1")
        .bind_all(kEventsKept)
        .run();
  }
};

// --- Writes -------------------------------------------------------------------------------

void StateWriter::put_job(Json job) {
  StateStore::Db& db = *store_.db_;
  if (!job.is_object()) throw Error("job document is not an object");
  std::string id = required_string(job, "ID", "job");
  std::string namespace_name = namespace_of(job);
  uint64_t version = 0;
  if (auto found = job.find("Version"); found != job.end() && !found->is_null()) {
    if (!found->is_number_unsigned()) throw Error("job " + quote_name(id) + ": bad `Version`");
    version = found->get<uint64_t>();
  }
  auto stable_field = job.find("Stable");
  bool stable =
      stable_field != job.end() && stable_field->is_boolean() && stable_field->get<bool>();
  uint64_t create_index = StateStore::Db::stamp(
      job, index_,
      db.integer("SELECT create_index FROM jobs WHERE namespace = ?1 AND id = ?2", namespace_name,
                 id));
  std::string text = to_text(job);
  db.connection
      .query(
          "INSERT INTO jobs (namespace, id, version, create_index, json)"
          " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (namespace, id) DO UPDATE SET"
          " version = excluded.version, create_index = excluded.create_index,"
          " json = excluded.json")
      .bind_all(namespace_name, id, version, create_index, text)
      .run();
  db.connection
      .query(
          "INSERT INTO job_versions (namespace, id, version, stable, json)"
          " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (namespace, id, version) DO UPDATE SET"
          " stable = excluded.stable, json = excluded.json")
      .bind_all(namespace_name, id, version, stable, text)
      .run();
}

void StateWriter::delete_job(const std::string& namespace_name, const std::string& job_id) {
  sqlite::Connection& db = store_.db_->connection;
  db.query("DELETE FROM jobs WHERE namespace = ?1 AND id = ?2")
      .bind_all(namespace_name, job_id)
      .run();
  db.query("DELETE FROM job_versions WHERE namespace = ?1 AND id = ?2")
      .bind_all(namespace_name, job_id)
      .run();
}

void StateWriter::set_job_version_stable(const std::string& namespace_name,
                                         const std::string& job_id, uint64_t version, bool stable) {
  StateStore::Db& db = *store_.db_;
  std::optional<Json> stored =
      db.document("SELECT json FROM job_versions WHERE namespace = ?1 AND id = ?2 AND version = ?3",
                  namespace_name, job_id, version);
  if (!stored) return;
  (*stored)["Stable"] = stable;
  (*stored)["ModifyIndex"] = index_;
  db.connection
      .query(
          "UPDATE job_versions SET stable = ?4, json = ?5"
          " WHERE namespace = ?1 AND id = ?2 AND version = ?3")
      .bind_all(namespace_name, job_id, version, stable, to_text(*stored))
      .run();

  // The current job shows the stability of its own version.
  std::optional<Json> current =
      db.document("SELECT json FROM jobs WHERE namespace = ?1 AND id = ?2 AND version = ?3",
                  namespace_name, job_id, version);
  if (!current) return;
  (*current)["Stable"] = stable;
  (*current)["ModifyIndex"] = index_;
  db.connection.query("UPDATE jobs SET json = ?3 WHERE namespace = ?1 AND id = ?2")
      .bind_all(namespace_name, job_id, to_text(*current))
      .run();
}

void StateWriter::put_evaluation(Json evaluation) {
  store_.db_->put_job_document("evaluations", "evaluation", evaluation, index_);
}

void StateWriter::put_allocation(Json allocation) {
  store_.db_->put_job_document("allocations", "allocation", allocation, index_);
}

void StateWriter::put_deployment(Json deployment) {
  store_.db_->put_job_document("deployments", "deployment", deployment, index_);
}

void StateWriter::delete_allocation(const std::string& alloc_id) {
  store_.db_->connection.query("DELETE FROM allocations WHERE id = ?1").bind_all(alloc_id).run();
}

void StateWriter::delete_evaluation(const std::string& eval_id) {
  store_.db_->connection.query("DELETE FROM evaluations WHERE id = ?1").bind_all(eval_id).run();
}

void StateWriter::add_event(StateEvent event) {
  event.index = index_;
  if (event.namespace_name.empty()) event.namespace_name = "default";
  store_.db_->connection
      .query(
          "INSERT INTO events (idx, topic, type, key, namespace, payload)"
          " VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
      .bind_all(event.index, event.topic, event.type, event.key, event.namespace_name,
                to_text(event.payload))
      .run();
}

void StateWriter::put_meta(const std::string& key, const std::string& value) {
  store_.db_->connection
      .query(
          "INSERT INTO meta (key, value) VALUES (?1, ?2)"
          " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
      .bind_all(key, value)
      .run();
}

// --- The store ----------------------------------------------------------------------------

std::unique_ptr<StateStore> StateStore::open(const std::filesystem::path& path) {
  return open(path, state_schema_migrations());
}

std::unique_ptr<StateStore> StateStore::open(const std::filesystem::path& path,
                                             const std::vector<SchemaMigration>& migrations) {
  std::string what = "state database " + quote_name(path.string());
  create_private_file(path, what);
  auto db = std::make_unique<Db>(path, what);
  sqlite::Connection& connection = db->connection;

  connection.exec("PRAGMA busy_timeout = " + std::to_string(kBusyTimeoutMs));
  // WAL is kept in the file; asking again is cheap and also converts an older file.
  std::string journal_mode = connection.query_text("PRAGMA journal_mode = WAL");
  if (journal_mode != "wal")
    throw Error(what + ": cannot use write-ahead logging (journal mode stays " +
                quote_name(journal_mode) + ")");
  // FULL: a commit is on disk before it returns (NORMAL would lose the last commits in WAL
  // mode on a power cut). These two are per connection.
  connection.exec("PRAGMA synchronous = FULL");
  connection.exec("PRAGMA foreign_keys = OFF");

  db->schema_version = migrate_schema(connection, path, migrations);
  uint64_t latest = db->integer("SELECT latest FROM state_index WHERE id = 0").value_or(0);

  std::unique_ptr<StateStore> store(new StateStore(std::move(db)));
  store->latest_index_ = latest;
  return store;
}

StateStore::StateStore(std::unique_ptr<Db> db) : db_(std::move(db)) {}

StateStore::~StateStore() = default;

int StateStore::schema_version() const {
  return db_->schema_version;
}

uint64_t StateStore::write(const std::function<void(StateWriter&)>& fn) {
  if (db_->writing_thread.load() == std::this_thread::get_id())
    throw Error(db_->connection.what() + ": write() called inside a write");
  uint64_t index = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sqlite::Connection& db = db_->connection;
    index = latest_index_ + 1;
    // IMMEDIATE: take the write lock now, so a busy database fails here and not halfway.
    db.query("BEGIN IMMEDIATE").run();
    db_->writing_thread = std::this_thread::get_id();
    try {
      StateWriter writer(*this, index);
      fn(writer);
      db.query("UPDATE state_index SET latest = ?1 WHERE id = 0").bind_all(index).run();
      db_->prune_events();
      db.query("COMMIT").run();
    } catch (...) {
      db_->writing_thread = std::thread::id();
      db.rollback_if_open();
      throw;
    }
    db_->writing_thread = std::thread::id();
    latest_index_ = index;
  }
  index_advanced_.notify_all();
  return index;
}

uint64_t StateStore::latest_index() const {
  auto lock = db_->lock_for_read(mutex_);
  return latest_index_;
}

uint64_t StateStore::wait_for_index(uint64_t min_index, std::chrono::milliseconds timeout) const {
  // The writing thread cannot wait for its own write.
  if (db_->writing_thread.load() == std::this_thread::get_id()) return latest_index_;
  std::unique_lock<std::mutex> lock(mutex_);
  index_advanced_.wait_for(lock, timeout, [&] { return latest_index_ > min_index; });
  return latest_index_;
}

// --- Reads --------------------------------------------------------------------------------

std::optional<Json> StateStore::job(const std::string& namespace_name,
                                    const std::string& job_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->document("SELECT json FROM jobs WHERE namespace = ?1 AND id = ?2", namespace_name,
                       job_id);
}

std::vector<Json> StateStore::jobs() const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents("SELECT json FROM jobs ORDER BY id, namespace");
}

std::vector<Json> StateStore::job_versions(const std::string& namespace_name,
                                           const std::string& job_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents(
      "SELECT json FROM job_versions WHERE namespace = ?1 AND id = ?2 ORDER BY version DESC",
      namespace_name, job_id);
}

std::optional<Json> StateStore::job_version(const std::string& namespace_name,
                                            const std::string& job_id, uint64_t version) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->document(
      "SELECT json FROM job_versions WHERE namespace = ?1 AND id = ?2 AND version = ?3",
      namespace_name, job_id, version);
}

std::optional<Json> StateStore::evaluation(const std::string& eval_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->document("SELECT json FROM evaluations WHERE id = ?1", eval_id);
}

std::vector<Json> StateStore::evaluations() const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents("SELECT json FROM evaluations ORDER BY create_index, rowid");
}

std::vector<Json> StateStore::job_evaluations(const std::string& namespace_name,
                                              const std::string& job_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents(
      "SELECT json FROM evaluations WHERE namespace = ?1 AND job_id = ?2"
      " ORDER BY create_index, rowid",
      namespace_name, job_id);
}

std::optional<Json> StateStore::allocation(const std::string& alloc_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->document("SELECT json FROM allocations WHERE id = ?1", alloc_id);
}

std::vector<Json> StateStore::allocations() const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents("SELECT json FROM allocations ORDER BY create_index, rowid");
}

std::vector<Json> StateStore::job_allocations(const std::string& namespace_name,
                                              const std::string& job_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents(
      "SELECT json FROM allocations WHERE namespace = ?1 AND job_id = ?2"
      " ORDER BY create_index, rowid",
      namespace_name, job_id);
}

std::optional<Json> StateStore::deployment(const std::string& deployment_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->document("SELECT json FROM deployments WHERE id = ?1", deployment_id);
}

std::vector<Json> StateStore::deployments() const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents("SELECT json FROM deployments ORDER BY create_index DESC, rowid DESC");
}

std::vector<Json> StateStore::job_deployments(const std::string& namespace_name,
                                              const std::string& job_id) const {
  auto lock = db_->lock_for_read(mutex_);
  return db_->documents(
      "SELECT json FROM deployments WHERE namespace = ?1 AND job_id = ?2"
      " ORDER BY create_index DESC, rowid DESC",
      namespace_name, job_id);
}

std::vector<Json> StateStore::allocations_by_prefix(const std::string& prefix,
                                                    std::size_t limit) const {
  auto lock = db_->lock_for_read(mutex_);
  // `id >= prefix` lets SQLite start the scan at the prefix in the primary key's order.
  return db_->documents(
      "SELECT json FROM allocations WHERE id >= ?1 AND substr(id, 1, length(?1)) = ?1"
      " ORDER BY id LIMIT ?2",
      prefix, sql_limit(limit));
}

std::vector<StateEvent> StateStore::events_after(uint64_t after_index, std::size_t limit) const {
  auto lock = db_->lock_for_read(mutex_);
  sqlite::Query query = db_->connection.query(
      "SELECT idx, topic, type, key, namespace, payload FROM events WHERE idx > ?1"
      " ORDER BY seq LIMIT ?2");
  query.bind_all(after_index, sql_limit(limit));
  std::vector<StateEvent> events;
  while (query.step()) {
    StateEvent event;
    event.index = query->uint64(0);
    event.topic = query->text(1);
    event.type = query->text(2);
    event.key = query->text(3);
    event.namespace_name = query->text(4);
    event.payload = db_->parse(query->text(5));
    events.push_back(std::move(event));
  }
  return events;
}

std::optional<std::string> StateStore::meta(const std::string& key) const {
  auto lock = db_->lock_for_read(mutex_);
  sqlite::Query query = db_->connection.query("SELECT value FROM meta WHERE key = ?1");
  query.bind_all(key);
  if (!query.step()) return std::nullopt;
  return query->text(0);
}

}  // namespace pot::agent
