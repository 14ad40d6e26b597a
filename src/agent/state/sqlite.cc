#include "agent/state/sqlite.h"

#include <limits>

#include "core/error.h"

namespace pot::agent::sqlite {

Statement::Statement(Connection& connection, std::string_view sql) : connection_(connection) {
  int rc = sqlite3_prepare_v3(connection_.handle(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) connection_.throw_error(rc);
}

Statement::~Statement() {
  sqlite3_finalize(stmt_);
}

void Statement::bind(int position, std::string_view text) {
  int rc =
      sqlite3_bind_text64(stmt_, position, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK) connection_.throw_error(rc);
}

void Statement::bind(int position, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, position, value);
  if (rc != SQLITE_OK) connection_.throw_error(rc);
}

void Statement::bind(int position, uint64_t value) {
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    throw Error(connection_.what() + ": integer " + std::to_string(value) +
                " is too large to store");
  bind(position, static_cast<int64_t>(value));
}

void Statement::bind_null(int position) {
  int rc = sqlite3_bind_null(stmt_, position);
  if (rc != SQLITE_OK) connection_.throw_error(rc);
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  connection_.throw_error(rc);
}

void Statement::reset() {
  // sqlite3_reset repeats the error of the last step, which was already reported.
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string Statement::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  if (data == nullptr) return {};
  auto size = static_cast<size_t>(sqlite3_column_bytes(stmt_, column));
  return std::string(reinterpret_cast<const char*>(data), size);
}

int64_t Statement::int64(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

uint64_t Statement::uint64(int column) const {
  int64_t value = int64(column);
  return value < 0 ? 0 : static_cast<uint64_t>(value);
}

bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Connection::Connection(const std::filesystem::path& path, std::string what)
    : what_(std::move(what)) {
  int rc =
      sqlite3_open_v2(path.c_str(), &db_,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
  if (rc != SQLITE_OK) {
    // The handle exists even on failure (unless out of memory) and carries the message.
    std::string message = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw Error(what_ + ": " + message);
  }
}

Connection::~Connection() {
  statements_.clear();  // every statement is finalized before the connection closes
  sqlite3_close(db_);
}

void Connection::exec(std::string_view sql) {
  std::string text(sql);
  char* message = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string reason = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw Error(what_ + ": " + reason);
  }
}

Query Connection::query(const std::string& sql) {
  auto found = statements_.find(sql);
  if (found == statements_.end())
    found = statements_.emplace(sql, std::make_unique<Statement>(*this, sql)).first;
  if (found->second->lent_) throw Error(what_ + ": statement `" + sql + "` is already in use");
  return Query(*found->second);
}

int64_t Connection::query_int64(const std::string& sql) {
  Query q = query(sql);
  if (!q.step()) throw Error(what_ + ": `" + sql + "` returned no row");
  return q->int64(0);
}

std::string Connection::query_text(const std::string& sql) {
  Query q = query(sql);
  if (!q.step()) throw Error(what_ + ": `" + sql + "` returned no row");
  return q->text(0);
}

void Connection::rollback_if_open() noexcept {
  if (sqlite3_get_autocommit(db_) == 0) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}

void Connection::throw_error(int code) const {
  const char* message = sqlite3_errmsg(db_);
  // The connection's message belongs to the last call; fall back on the code's text when a
  // later call (e.g. a reset) replaced it.
  if (message == nullptr || sqlite3_extended_errcode(db_) != code) message = sqlite3_errstr(code);
  throw Error(what_ + ": " + message);
}

}  // namespace pot::agent::sqlite
