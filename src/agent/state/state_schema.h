// The state database's schema: its versions as an ordered list of migrations, and the step
// that brings a database up to the newest one.
//
// The version lives in SQLite's `PRAGMA user_version` (0 for a new file). Opening runs, in
// order, every migration above the file's version, each in its own transaction that also
// sets the new version, so a crash leaves the file at one version or the next, never
// between. A file whose version is above the newest we know was written by a newer potd and
// is refused: we cannot know what its tables mean.
#pragma once

#include <filesystem>
#include <vector>

#include "agent/state/sqlite.h"
#include "agent/state/state_store.h"

namespace pot::agent {

// potd's migrations; the last one's version is StateStore::kSchemaVersion.
const std::vector<SchemaMigration>& state_schema_migrations();

// Runs the migrations `db` (the file `path`) lacks and returns its version afterwards.
// Throws pot::Error when the file is newer than the last migration.
int migrate_schema(sqlite::Connection& db, const std::filesystem::path& path,
                   const std::vector<SchemaMigration>& migrations);

}  // namespace pot::agent
