#include "agent/state/sqlite.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

#include "core/error.h"
#include "test_util.h"

namespace pot::agent::sqlite {
namespace {

using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::TempDir;

class StateStoreSqliteTest : public ::testing::Test {
 protected:
  StateStoreSqliteTest() {
    ::pot::testing::write_text(dir_ / "test.db", "");  // Connection opens existing files only
    db_ = std::make_unique<Connection>(dir_ / "test.db", "test database `t`");
    db_->exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)");
    db_->exec("INSERT INTO t (id, name) VALUES (1, 'one'), (2, 'two'), (3, NULL)");
  }

  TempDir dir_{"pot-sqlite"};
  std::unique_ptr<Connection> db_;
};

TEST_F(StateStoreSqliteTest, CachedStatementStartsOverWhenLentAgain) {
  const std::string sql = "SELECT id, name FROM t WHERE id >= ?1 ORDER BY id";
  {
    Query first = db_->query(sql);
    first.bind_all(int64_t{1});
    ASSERT_TRUE(first.step());
    EXPECT_EQ(first->text(1), "one");
    // Dropped half-way through the rows.
  }
  Query again = db_->query(sql);
  // One loan at a time: a second Query would step the first one's rows.
  EXPECT_TRUE(HasText(ErrorOf([&] { db_->query(sql); }), "is already in use"));
  again.bind_all(int64_t{2});
  ASSERT_TRUE(again.step());
  EXPECT_EQ(again->int64(0), 2);
  ASSERT_TRUE(again.step());
  EXPECT_TRUE(again->is_null(1));
  EXPECT_EQ(again->text(1), "");
  EXPECT_FALSE(again.step());
}

TEST_F(StateStoreSqliteTest, BindsTextIntegersAndBooleansByType) {
  Query query = db_->query("SELECT typeof(?1), typeof(?2), ?2, typeof(?3), ?3, ?4");
  query.bind_all("a literal", uint64_t{42}, true, std::string("text"));
  ASSERT_TRUE(query.step());
  EXPECT_EQ(query->text(0), "text");
  EXPECT_EQ(query->text(1), "integer");
  EXPECT_EQ(query->uint64(2), 42U);
  EXPECT_EQ(query->text(3), "integer");
  EXPECT_EQ(query->int64(4), 1);
  EXPECT_EQ(query->text(5), "text");
}

TEST_F(StateStoreSqliteTest, ErrorsNameTheDatabaseAndSqlitesReason) {
  std::string message = ErrorOf([&] { db_->exec("SELECT * FROM missing"); });
  EXPECT_TRUE(HasText(message, "test database `t`: no such table: missing"));
  message = ErrorOf([&] { db_->query("INSERT INTO t (id) VALUES (1)").run(); });
  EXPECT_TRUE(HasText(message, "test database `t`: UNIQUE constraint failed: t.id"));
  message =
      ErrorOf([&] { db_->query("SELECT ?1").bind_all(std::numeric_limits<uint64_t>::max()); });
  EXPECT_TRUE(HasText(message, "too large"));
}

TEST_F(StateStoreSqliteTest, RollbackIfOpenUndoesAndIsHarmlessWithoutATransaction) {
  db_->rollback_if_open();  // nothing open: no error
  db_->exec("BEGIN");
  db_->exec("DELETE FROM t");
  db_->rollback_if_open();
  EXPECT_EQ(db_->query_int64("SELECT count(*) FROM t"), 3);
}

}  // namespace
}  // namespace pot::agent::sqlite
