// Small RAII owners of SQLite's handles (a connection and its prepared statements) with the
// bind/step/column calls the state store needs, and errors as pot::Error.
//
// A connection keeps one prepared statement per SQL text: preparing costs more than running
// the small statements of the state store, and a write of a thousand allocations runs the
// same few statements a thousand times. A cached statement is lent out as a `Query`, which
// resets it when dropped, so no statement stays half-stepped (a half-stepped statement
// holds a read transaction open).
//
// Errors read `<what>: <sqlite's message>`, where `what` names the database for the user
// (e.g. "state database `/var/pot/potd/state.db`").
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace pot::agent::sqlite {

class Connection;

// A prepared statement, finalized on destruction.
class Statement {
 public:
  Statement(Connection& connection, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are numbered from 1, as in SQL (`?1`).
  void bind(int position, std::string_view text);
  // (Without this, a string literal would bind as a bool.)
  void bind(int position, const char* text) { bind(position, std::string_view(text)); }
  void bind(int position, const std::string& text) { bind(position, std::string_view(text)); }
  void bind(int position, int64_t value);
  void bind(int position, uint64_t value);  // must fit in int64 (SQLite's integers)
  void bind(int position, int value) { bind(position, static_cast<int64_t>(value)); }
  void bind(int position, bool value) { bind(position, static_cast<int64_t>(value ? 1 : 0)); }
  void bind_null(int position);

  // One step: true when a row is ready to read, false when the statement is done.
  bool step();
  // Back to the start with no bindings (done by Query when it is dropped).
  void reset();

  // Columns are numbered from 0. Text of a NULL column is "".
  std::string text(int column) const;
  int64_t int64(int column) const;
  uint64_t uint64(int column) const;
  bool is_null(int column) const;

 private:
  friend class Query;
  friend class Connection;
  Connection& connection_;
  sqlite3_stmt* stmt_ = nullptr;
  bool lent_ = false;  // to a Query
};

// A cached statement on loan: bind, step, read; reset when the Query goes out of scope.
// A statement is lent to one Query at a time (Connection::query refuses a second loan, which
// would step the first one's rows from under it).
class Query {
 public:
  explicit Query(Statement& statement) : statement_(&statement) { statement_->lent_ = true; }
  ~Query() {
    if (statement_ == nullptr) return;
    statement_->reset();
    statement_->lent_ = false;
  }
  Query(Query&& other) noexcept : statement_(std::exchange(other.statement_, nullptr)) {}
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Binds the arguments to ?1, ?2, ... in order.
  template <typename... Args>
  Query& bind_all(const Args&... args) {
    int position = 0;
    (statement_->bind(++position, args), ...);
    return *this;
  }
  bool step() { return statement_->step(); }
  // Steps to completion (for statements that return no rows).
  void run() {
    while (statement_->step()) {
    }
  }
  Statement& operator*() const { return *statement_; }
  Statement* operator->() const { return statement_; }

 private:
  Statement* statement_;
};

class Connection {
 public:
  // Opens an existing file read-write (the caller creates it, with the mode it wants).
  // `what` names the database in every error message.
  Connection(const std::filesystem::path& path, std::string what);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements that return nothing worth reading (schema, pragmas).
  void exec(std::string_view sql);
  // The prepared statement for `sql`, prepared on first use and kept. Throws when that
  // statement is already lent to a Query still alive.
  Query query(const std::string& sql);
  // The integer a single-row statement returns (`PRAGMA user_version`).
  int64_t query_int64(const std::string& sql);
  // The text of the first column of a single-row statement (`PRAGMA journal_mode`).
  std::string query_text(const std::string& sql);

  // Ends the open transaction, if any, undoing it. Never throws: it runs while another
  // error travels (and SQLite may already have rolled back by itself, e.g. on a full disk).
  void rollback_if_open() noexcept;

  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t changes() const;

  sqlite3* handle() const { return db_; }
  const std::string& what() const { return what_; }
  // Throws `<what>: <sqlite's current error message>` (for result code `code`).
  [[noreturn]] void throw_error(int code) const;

 private:
  sqlite3* db_ = nullptr;
  std::string what_;
  std::unordered_map<std::string, std::unique_ptr<Statement>> statements_;
};

}  // namespace pot::agent::sqlite
