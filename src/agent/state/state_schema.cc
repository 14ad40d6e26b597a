#include "agent/state/state_schema.h"

#include <string>

#include "core/error.h"

namespace pot::agent {

namespace {

// Version 1. Documents are kept whole as JSON; the columns beside them are what the reads
// select and order by. `create_index` repeats the document's CreateIndex so that an update
// without one keeps the first (and lists sort without parsing).
const SchemaMigration kVersion1{
    1,
    {
        // The index of the last committed write: one row.
        "CREATE TABLE state_index (id INTEGER PRIMARY KEY CHECK (id = 0),"
        " latest INTEGER NOT NULL)",
        "INSERT INTO state_index (id, latest) VALUES (0, 0)",
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE jobs (namespace TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,"
        " create_index INTEGER NOT NULL, json TEXT NOT NULL, PRIMARY KEY (namespace, id))",
        "CREATE TABLE job_versions (namespace TEXT NOT NULL, id TEXT NOT NULL,"
        " version INTEGER NOT NULL, stable INTEGER NOT NULL, json TEXT NOT NULL,"
        " PRIMARY KEY (namespace, id, version))",
        "CREATE TABLE evaluations (id TEXT PRIMARY KEY, namespace TEXT NOT NULL,"
        " job_id TEXT NOT NULL, create_index INTEGER NOT NULL, json TEXT NOT NULL)",
        "CREATE INDEX evaluations_by_job ON evaluations (namespace, job_id)",
        "CREATE TABLE allocations (id TEXT PRIMARY KEY, namespace TEXT NOT NULL,"
        " job_id TEXT NOT NULL, create_index INTEGER NOT NULL, json TEXT NOT NULL)",
        "CREATE INDEX allocations_by_job ON allocations (namespace, job_id)",
        "CREATE TABLE deployments (id TEXT PRIMARY KEY, namespace TEXT NOT NULL,"
        " job_id TEXT NOT NULL, create_index INTEGER NOT NULL, json TEXT NOT NULL)",
        "CREATE INDEX deployments_by_job ON deployments (namespace, job_id)",
        // One write may add several events with the same index; `seq` keeps their order and
        // AUTOINCREMENT keeps it growing even when old events are pruned.
        "CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, idx INTEGER NOT NULL,"
        " topic TEXT NOT NULL, type TEXT NOT NULL, key TEXT NOT NULL,"
        " namespace TEXT NOT NULL, payload TEXT NOT NULL)",
        "CREATE INDEX events_by_index ON events (idx)",
    },
};

void check_ordered(const std::vector<SchemaMigration>& migrations) {
  int previous = 0;
  for (const SchemaMigration& migration : migrations) {
    if (migration.version <= previous)
      throw Error("state schema: migration " + std::to_string(migration.version) +
                  " is out of order (after " + std::to_string(previous) + ")");
    previous = migration.version;
  }
}

void apply(sqlite::Connection& db, const SchemaMigration& migration) {
  db.exec("BEGIN IMMEDIATE");
  try {
    for (const std::string& statement : migration.statements) db.exec(statement);
    // A pragma takes no bound parameters; the version is our own integer.
    db.exec("PRAGMA user_version = " + std::to_string(migration.version));
    db.exec("COMMIT");
  } catch (...) {
    db.rollback_if_open();
    throw;
  }
}

}  // namespace

const std::vector<SchemaMigration>& state_schema_migrations() {
  static const std::vector<SchemaMigration> migrations{kVersion1};
  return migrations;
}

int migrate_schema(sqlite::Connection& db, const std::filesystem::path& path,
                   const std::vector<SchemaMigration>& migrations) {
  check_ordered(migrations);
  int newest = migrations.empty() ? 0 : migrations.back().version;
  auto version = static_cast<int>(db.query_int64("PRAGMA user_version"));
  if (version > newest)
    throw Error("state database " + quote_name(path.string()) + " has schema version " +
                std::to_string(version) + ", newer than this potd's " + std::to_string(newest) +
                ": upgrade potd");
  for (const SchemaMigration& migration : migrations) {
    if (migration.version <= version) continue;
    with_context("migrating to schema version " + std::to_string(migration.version),
                 [&] { apply(db, migration); });
    version = migration.version;
  }
  return version;
}

}  // namespace pot::agent
