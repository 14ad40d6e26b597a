#include "agent/state/state_store.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "agent/state/sqlite.h"
#include "agent/state/state_schema.h"
#include "core/error.h"
#include "core/unique_fd.h"
#include "test_util.h"

namespace pot::agent {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::ErrorOf;
using ::pot::testing::HasText;
using ::pot::testing::TempDir;
using namespace std::chrono_literals;

// Documents shaped like Nomad's, with the fields the store looks at and a few it must keep.
Json job_doc(const std::string& id, uint64_t version) {
  return Json{{"Region", "global"}, {"Namespace", "default"}, {"ID", id},
              {"Name", id},         {"Type", "service"},      {"Priority", 50},
              {"Version", version}, {"Stable", false},        {"Status", "pending"},
              {"CreateIndex", 0},   {"ModifyIndex", 0},       {"JobModifyIndex", 7}};
}

Json eval_doc(const std::string& id, const std::string& job_id) {
  return Json{{"ID", id},           {"Namespace", "default"},        {"Priority", 50},
              {"Type", "service"},  {"TriggeredBy", "job-register"}, {"JobID", job_id},
              {"Status", "pending"}};
}

Json alloc_doc(const std::string& id, const std::string& job_id) {
  return Json{{"ID", id},
              {"Namespace", "default"},
              {"EvalID", "eval-1"},
              {"Name", job_id + ".web[0]"},
              {"JobID", job_id},
              {"TaskGroup", "web"},
              {"DesiredStatus", "run"},
              {"ClientStatus", "pending"}};
}

Json deployment_doc(const std::string& id, const std::string& job_id, uint64_t job_version) {
  return Json{{"ID", id},
              {"Namespace", "default"},
              {"JobID", job_id},
              {"JobVersion", job_version},
              {"Status", "running"},
              {"TaskGroups", {{"web", {{"DesiredTotal", 2}, {"PlacedAllocs", 0}}}}}};
}

std::vector<std::string> ids_of(const std::vector<Json>& documents) {
  std::vector<std::string> ids;
  for (const Json& document : documents) ids.push_back(document.at("ID").get<std::string>());
  return ids;
}

std::vector<std::string> keys_of(const Json& document) {
  std::vector<std::string> keys;
  for (const auto& item : document.items()) keys.push_back(item.key());
  return keys;
}

class StateStoreTest : public ::testing::Test {
 protected:
  fs::path db_path() const { return dir_ / "state.db"; }
  std::unique_ptr<StateStore> open() { return StateStore::open(db_path()); }

  TempDir dir_{"pot-state"};
};

TEST_F(StateStoreTest, NewDatabaseIsEmptyAtIndexZero) {
  auto store = open();
  EXPECT_EQ(store->schema_version(), StateStore::kSchemaVersion);
  EXPECT_EQ(store->latest_index(), 0U);
  EXPECT_TRUE(store->jobs().empty());
  EXPECT_TRUE(store->allocations().empty());
  EXPECT_TRUE(store->events_after(0, 100).empty());
  EXPECT_FALSE(store->job("default", "web").has_value());
}

TEST_F(StateStoreTest, SchemaListEndsAtTheDeclaredVersion) {
  ASSERT_FALSE(state_schema_migrations().empty());
  EXPECT_EQ(state_schema_migrations().back().version, StateStore::kSchemaVersion);
}

TEST_F(StateStoreTest, JobRoundTripSetsIndexesAndKeepsTheRest) {
  auto store = open();
  Json job = job_doc("web", 0);
  job["Meta"] = {{"zeta", "1"}, {"alpha", "2"}};
  uint64_t index = store->write([&](StateWriter& w) { w.put_job(job); });
  EXPECT_EQ(index, 1U);

  std::optional<Json> stored = store->job("default", "web");
  ASSERT_TRUE(stored.has_value());
  Json expected = job;
  expected["CreateIndex"] = 1;
  expected["ModifyIndex"] = 1;
  EXPECT_EQ(*stored, expected);
  EXPECT_EQ(stored->at("JobModifyIndex"), 7);  // the caller's field, untouched
  // Field order is kept (the HTTP API returns what is stored).
  EXPECT_EQ(keys_of(*stored), keys_of(expected));
  EXPECT_EQ(keys_of(stored->at("Meta")), (std::vector<std::string>{"zeta", "alpha"}));
  EXPECT_FALSE(store->job("other", "web").has_value());
}

TEST_F(StateStoreTest, IndexGrowsByOnePerWriteAndUpdatesKeepCreateIndex) {
  auto store = open();
  EXPECT_EQ(store->write([](StateWriter& w) { w.put_job(job_doc("web", 0)); }), 1U);
  EXPECT_EQ(store->write([](StateWriter& w) { w.put_meta("node_id", "n1"); }), 2U);
  uint64_t third = store->write([](StateWriter& w) {
    EXPECT_EQ(w.index(), 3U);
    w.put_job(job_doc("web", 1));  // CreateIndex 0, as a freshly parsed job has
  });
  EXPECT_EQ(third, 3U);
  EXPECT_EQ(store->latest_index(), 3U);

  Json job = *store->job("default", "web");
  EXPECT_EQ(job["CreateIndex"], 1);
  EXPECT_EQ(job["ModifyIndex"], 3);
  EXPECT_EQ(job["Version"], 1);
}

TEST_F(StateStoreTest, JobsAreListedById) {
  auto store = open();
  store->write([](StateWriter& w) {
    w.put_job(job_doc("worker", 0));
    w.put_job(job_doc("api", 0));
  });
  store->write([](StateWriter& w) { w.put_job(job_doc("cache", 0)); });
  EXPECT_EQ(ids_of(store->jobs()), (std::vector<std::string>{"api", "cache", "worker"}));
}

TEST_F(StateStoreTest, JobVersionsNewestFirstWithStableFlag) {
  auto store = open();
  for (uint64_t version = 0; version < 3; ++version)
    store->write([&](StateWriter& w) { w.put_job(job_doc("web", version)); });

  std::vector<Json> versions = store->job_versions("default", "web");
  ASSERT_EQ(versions.size(), 3U);
  EXPECT_EQ(versions[0]["Version"], 2);
  EXPECT_EQ(versions[1]["Version"], 1);
  EXPECT_EQ(versions[2]["Version"], 0);
  EXPECT_EQ(versions[2]["ModifyIndex"], 1);  // each version as it was written
  EXPECT_EQ(store->job("default", "web")->at("Version"), 2);

  // An old version: only its history entry changes.
  uint64_t index =
      store->write([](StateWriter& w) { w.set_job_version_stable("default", "web", 1, true); });
  EXPECT_EQ(store->job_version("default", "web", 1)->at("Stable"), true);
  EXPECT_EQ(store->job_version("default", "web", 1)->at("ModifyIndex"), index);
  EXPECT_EQ(store->job_version("default", "web", 2)->at("Stable"), false);
  EXPECT_EQ(store->job("default", "web")->at("Stable"), false);

  // The current version: the job shows it too.
  store->write([](StateWriter& w) { w.set_job_version_stable("default", "web", 2, true); });
  EXPECT_EQ(store->job_version("default", "web", 2)->at("Stable"), true);
  EXPECT_EQ(store->job("default", "web")->at("Stable"), true);

  // A version that is not stored: nothing, and the write still commits.
  uint64_t before = store->latest_index();
  store->write([](StateWriter& w) { w.set_job_version_stable("default", "web", 9, true); });
  EXPECT_EQ(store->latest_index(), before + 1);
  EXPECT_FALSE(store->job_version("default", "web", 9).has_value());
}

TEST_F(StateStoreTest, PurgeRemovesJobAndVersionsButNotAllocations) {
  auto store = open();
  store->write([](StateWriter& w) {
    w.put_job(job_doc("web", 0));
    w.put_job(job_doc("api", 0));
    w.put_allocation(alloc_doc("a1", "web"));
  });
  store->write([](StateWriter& w) { w.put_job(job_doc("web", 1)); });
  store->write([](StateWriter& w) { w.delete_job("default", "web"); });

  EXPECT_FALSE(store->job("default", "web").has_value());
  EXPECT_TRUE(store->job_versions("default", "web").empty());
  EXPECT_FALSE(store->job_version("default", "web", 0).has_value());
  EXPECT_TRUE(store->job("default", "api").has_value());
  EXPECT_EQ(store->job_allocations("default", "web").size(), 1U);
}

TEST_F(StateStoreTest, EvaluationsRoundTripInCreateIndexOrder) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_evaluation(eval_doc("e-z", "web")); });
  store->write([](StateWriter& w) {
    w.put_evaluation(eval_doc("e-a", "web"));
    w.put_evaluation(eval_doc("e-m", "api"));
  });
  // An update of the first keeps its place (its CreateIndex).
  uint64_t update = store->write([](StateWriter& w) {
    Json eval = eval_doc("e-z", "web");
    eval["Status"] = "complete";
    w.put_evaluation(eval);
  });

  EXPECT_EQ(ids_of(store->evaluations()), (std::vector<std::string>{"e-z", "e-a", "e-m"}));
  EXPECT_EQ(ids_of(store->job_evaluations("default", "web")),
            (std::vector<std::string>{"e-z", "e-a"}));
  Json eval = *store->evaluation("e-z");
  EXPECT_EQ(eval["Status"], "complete");
  EXPECT_EQ(eval["CreateIndex"], 1);
  EXPECT_EQ(eval["ModifyIndex"], update);
  EXPECT_EQ(eval["TriggeredBy"], "job-register");

  store->write([](StateWriter& w) { w.delete_evaluation("e-z"); });
  EXPECT_FALSE(store->evaluation("e-z").has_value());
  EXPECT_EQ(ids_of(store->evaluations()), (std::vector<std::string>{"e-a", "e-m"}));
}

TEST_F(StateStoreTest, AllocationsRoundTripInCreateIndexOrder) {
  auto store = open();
  store->write([](StateWriter& w) {
    w.put_allocation(alloc_doc("c3", "web"));
    w.put_allocation(alloc_doc("a1", "api"));
  });
  store->write([](StateWriter& w) { w.put_allocation(alloc_doc("b2", "web")); });
  uint64_t update = store->write([](StateWriter& w) {
    Json alloc = alloc_doc("c3", "web");
    alloc["ClientStatus"] = "running";
    alloc["TaskStates"] = {{"server", {{"State", "running"}, {"Restarts", 0}}}};
    w.put_allocation(alloc);
  });

  // Same CreateIndex: in the order written.
  EXPECT_EQ(ids_of(store->allocations()), (std::vector<std::string>{"c3", "a1", "b2"}));
  EXPECT_EQ(ids_of(store->job_allocations("default", "web")),
            (std::vector<std::string>{"c3", "b2"}));
  Json alloc = *store->allocation("c3");
  EXPECT_EQ(alloc["ClientStatus"], "running");
  EXPECT_EQ(alloc["TaskStates"]["server"]["State"], "running");
  EXPECT_EQ(alloc["CreateIndex"], 1);
  EXPECT_EQ(alloc["ModifyIndex"], update);

  store->write([](StateWriter& w) { w.delete_allocation("a1"); });
  EXPECT_FALSE(store->allocation("a1").has_value());
  EXPECT_EQ(store->allocations().size(), 2U);
}

TEST_F(StateStoreTest, AllocationsByPrefix) {
  auto store = open();
  store->write([](StateWriter& w) {
    for (const char* id : {"5e2a0c11", "5e2b9f00", "5f000000", "5e2a7777", "a5e2a000"})
      w.put_allocation(alloc_doc(id, "web"));
  });
  EXPECT_EQ(ids_of(store->allocations_by_prefix("5e2a", 10)),
            (std::vector<std::string>{"5e2a0c11", "5e2a7777"}));
  EXPECT_EQ(ids_of(store->allocations_by_prefix("5e2", 10)),
            (std::vector<std::string>{"5e2a0c11", "5e2a7777", "5e2b9f00"}));
  EXPECT_EQ(store->allocations_by_prefix("5e2", 2).size(), 2U);
  EXPECT_EQ(ids_of(store->allocations_by_prefix("5f000000", 10)),
            (std::vector<std::string>{"5f000000"}));
  EXPECT_TRUE(store->allocations_by_prefix("5e3", 10).empty());
  EXPECT_EQ(store->allocations_by_prefix("", 10).size(), 5U);
}

TEST_F(StateStoreTest, DeploymentsNewestFirst) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_deployment(deployment_doc("d-one", "web", 0)); });
  store->write([](StateWriter& w) { w.put_deployment(deployment_doc("d-two", "web", 1)); });
  store->write([](StateWriter& w) { w.put_deployment(deployment_doc("d-api", "api", 0)); });
  uint64_t update = store->write([](StateWriter& w) {
    Json deployment = deployment_doc("d-one", "web", 0);
    deployment["Status"] = "successful";
    w.put_deployment(deployment);
  });

  EXPECT_EQ(ids_of(store->deployments()), (std::vector<std::string>{"d-api", "d-two", "d-one"}));
  EXPECT_EQ(ids_of(store->job_deployments("default", "web")),
            (std::vector<std::string>{"d-two", "d-one"}));
  Json deployment = *store->deployment("d-one");
  EXPECT_EQ(deployment["Status"], "successful");
  EXPECT_EQ(deployment["TaskGroups"]["web"]["DesiredTotal"], 2);
  EXPECT_EQ(deployment["CreateIndex"], 1);
  EXPECT_EQ(deployment["ModifyIndex"], update);
  EXPECT_FALSE(store->deployment("d-none").has_value());
}

TEST_F(StateStoreTest, MetaKeepsTheLastValue) {
  auto store = open();
  EXPECT_FALSE(store->meta("node_id").has_value());
  store->write([](StateWriter& w) { w.put_meta("node_id", "first"); });
  store->write([](StateWriter& w) { w.put_meta("node_id", "second"); });
  EXPECT_EQ(store->meta("node_id"), "second");
}

TEST_F(StateStoreTest, EventsAfterAnIndexWithLimit) {
  auto store = open();
  for (int i = 0; i < 3; ++i) {
    store->write([&](StateWriter& w) {
      StateEvent event;
      event.topic = "Job";
      event.type = "JobRegistered";
      event.key = "job-" + std::to_string(i);
      event.index = 999;  // the store's index wins
      event.payload = {{"Job", {{"ID", event.key}}}};
      w.add_event(event);
      event.topic = "Evaluation";
      event.type = "EvaluationUpdated";
      event.namespace_name = "batch";
      w.add_event(event);
    });
  }
  std::vector<StateEvent> events = store->events_after(1, 100);
  ASSERT_EQ(events.size(), 4U);
  EXPECT_EQ(events[0].index, 2U);
  EXPECT_EQ(events[0].topic, "Job");
  EXPECT_EQ(events[0].type, "JobRegistered");
  EXPECT_EQ(events[0].key, "job-1");
  EXPECT_EQ(events[0].namespace_name, "default");
  EXPECT_EQ(events[0].payload["Job"]["ID"], "job-1");
  EXPECT_EQ(events[1].topic, "Evaluation");
  EXPECT_EQ(events[1].namespace_name, "batch");
  EXPECT_EQ(events[3].index, 3U);

  std::vector<StateEvent> limited = store->events_after(0, 3);
  ASSERT_EQ(limited.size(), 3U);
  EXPECT_EQ(limited[0].index, 1U);
  EXPECT_EQ(limited[2].index, 2U);
  EXPECT_TRUE(store->events_after(3, 100).empty());
}

TEST_F(StateStoreTest, EventsArePrunedToTheNewestTenThousand) {
  auto store = open();
  store->write([](StateWriter& w) {
    for (int i = 0; i < 10003; ++i) {
      StateEvent event;
      event.topic = "Allocation";
      event.type = "AllocationUpdated";
      event.key = "e" + std::to_string(i);
      w.add_event(event);
    }
  });
  std::vector<StateEvent> events = store->events_after(0, 20000);
  ASSERT_EQ(events.size(), 10000U);
  EXPECT_EQ(events.front().key, "e3");
  EXPECT_EQ(events.back().key, "e10002");

  store->write([](StateWriter& w) {
    StateEvent event;
    event.topic = "Job";
    event.key = "last";
    w.add_event(event);
  });
  events = store->events_after(0, 20000);
  ASSERT_EQ(events.size(), 10000U);
  EXPECT_EQ(events.front().key, "e4");
  EXPECT_EQ(events.back().key, "last");
  EXPECT_EQ(events.back().index, 2U);
}

TEST_F(StateStoreTest, ExceptionRollsBackAndKeepsTheIndex) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_job(job_doc("web", 0)); });

  EXPECT_THROW(store->write([](StateWriter& w) {
    w.put_job(job_doc("api", 0));
    w.put_allocation(alloc_doc("a1", "api"));
    w.delete_job("default", "web");
    StateEvent event;
    event.topic = "Job";
    w.add_event(event);
    w.put_meta("k", "v");
    throw std::runtime_error("scheduler gave up");
  }),
               std::runtime_error);

  EXPECT_EQ(store->latest_index(), 1U);
  EXPECT_FALSE(store->job("default", "api").has_value());
  EXPECT_FALSE(store->allocation("a1").has_value());
  EXPECT_TRUE(store->job("default", "web").has_value());
  EXPECT_TRUE(store->events_after(0, 10).empty());
  EXPECT_FALSE(store->meta("k").has_value());
  EXPECT_EQ(store->write([](StateWriter& w) { w.put_job(job_doc("api", 0)); }), 2U);
  EXPECT_EQ(store->job("default", "api")->at("CreateIndex"), 2);
}

TEST_F(StateStoreTest, DocumentWithoutIdIsRefusedAndRolledBack) {
  auto store = open();
  std::string message = ErrorOf([&] {
    store->write([](StateWriter& w) {
      w.put_job(job_doc("web", 0));
      Json alloc = alloc_doc("a1", "web");
      alloc.erase("ID");
      w.put_allocation(alloc);
    });
  });
  EXPECT_TRUE(HasText(message, "allocation document without a `ID`"));
  EXPECT_EQ(store->latest_index(), 0U);
  EXPECT_TRUE(store->jobs().empty());
}

TEST_F(StateStoreTest, ReadsInsideAWriteSeeItAndNestedWritesAreRefused) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_allocation(alloc_doc("a1", "web")); });
  store->write([&](StateWriter& w) {
    // Read-modify-write in one transaction.
    Json alloc = *store->allocation("a1");
    alloc["ClientStatus"] = "running";
    w.put_allocation(alloc);
    EXPECT_EQ(store->allocation("a1")->at("ClientStatus"), "running");
    EXPECT_EQ(store->latest_index(), 1U);  // the last *committed* write
    std::string message = ErrorOf([&] { store->write([](StateWriter&) {}); });
    EXPECT_TRUE(HasText(message, "inside a write"));
  });
  EXPECT_EQ(store->allocation("a1")->at("ClientStatus"), "running");
  EXPECT_EQ(store->latest_index(), 2U);
}

TEST_F(StateStoreTest, WaitForIndexReturnsAtOnceWhenAlreadyPast) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_meta("a", "1"); });
  store->write([](StateWriter& w) { w.put_meta("a", "2"); });
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(store->wait_for_index(1, 60s), 2U);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 30s) << "it waited for the timeout";
}

TEST_F(StateStoreTest, WaitForIndexWakesOnAWriteFromAnotherThread) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_meta("a", "1"); });
  std::thread writer([&] {
    std::this_thread::sleep_for(50ms);
    store->write([](StateWriter& w) { w.put_job(job_doc("web", 0)); });
  });
  auto start = std::chrono::steady_clock::now();
  uint64_t seen = store->wait_for_index(1, 60s);
  auto waited = std::chrono::steady_clock::now() - start;
  writer.join();
  EXPECT_EQ(seen, 2U);
  // Woken by the write, not by the end of its 60 s timeout.
  EXPECT_LT(waited, 30s);
  // It returned after the write had committed.
  EXPECT_TRUE(store->job("default", "web").has_value());
}

TEST_F(StateStoreTest, WaitForIndexTimesOut) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_meta("a", "1"); });
  EXPECT_EQ(store->wait_for_index(1, 100ms), 1U);
}

TEST_F(StateStoreTest, DataAndIndexSurviveReopen) {
  {
    auto store = open();
    store->write([](StateWriter& w) {
      w.put_job(job_doc("web", 0));
      w.put_allocation(alloc_doc("a1", "web"));
      w.put_meta("node_id", "n1");
    });
    store->write([](StateWriter& w) { w.put_job(job_doc("web", 1)); });
  }
  auto store = open();
  EXPECT_EQ(store->latest_index(), 2U);
  EXPECT_EQ(store->job("default", "web")->at("Version"), 1);
  EXPECT_EQ(store->job_versions("default", "web").size(), 2U);
  EXPECT_EQ(store->allocation("a1")->at("CreateIndex"), 1);
  EXPECT_EQ(store->meta("node_id"), "n1");
  EXPECT_EQ(store->write([](StateWriter& w) { w.put_meta("x", "y"); }), 3U);
}

TEST_F(StateStoreTest, FilesArePrivateAndInWalMode) {
  auto store = open();
  store->write([](StateWriter& w) { w.put_job(job_doc("web", 0)); });
  for (const fs::path& path : {db_path(), fs::path(db_path().string() + "-wal")}) {
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0) << path;
    EXPECT_EQ(st.st_mode & 07777, 0600U) << path;
  }
  sqlite::Connection other(db_path(), "check");
  EXPECT_EQ(other.query_text("PRAGMA journal_mode"), "wal");
}

TEST_F(StateStoreTest, OpenFailureNamesTheFile) {
  fs::path missing_dir = dir_ / "no-such-dir" / "state.db";
  std::string message = ErrorOf([&] { StateStore::open(missing_dir); });
  EXPECT_TRUE(HasText(message, "state database `" + missing_dir.string() + "`"));
  EXPECT_TRUE(HasText(message, "No such file or directory"));
  EXPECT_FALSE(fs::exists(missing_dir.parent_path()));  // the caller makes the directory

  ::pot::testing::write_text(db_path(), std::string(4096, 'x'));
  message = ErrorOf([&] { open(); });
  EXPECT_TRUE(HasText(message, "state database `" + db_path().string() + "`"));
  EXPECT_TRUE(HasText(message, "not a database"));
}

TEST_F(StateStoreTest, NewerSchemaIsRefused) {
  open();
  {
    sqlite::Connection raw(db_path(), "raw");
    raw.exec("PRAGMA user_version = 3");
  }
  std::string message = ErrorOf([&] { open(); });
  EXPECT_EQ(message, "state database `" + db_path().string() +
                         "` has schema version 3, newer than this potd's 1: upgrade potd");
}

TEST_F(StateStoreTest, MigrationToAnInjectedVersionTwoKeepsTheData) {
  {
    auto store = open();
    store->write([](StateWriter& w) {
      w.put_job(job_doc("web", 0));
      w.put_allocation(alloc_doc("a1", "web"));
    });
  }
  std::vector<SchemaMigration> migrations = state_schema_migrations();
  migrations.push_back({2,
                        {"ALTER TABLE allocations ADD COLUMN node_id TEXT",
                         "CREATE TABLE volumes (id TEXT PRIMARY KEY, json TEXT NOT NULL)",
                         "INSERT INTO volumes (id, json) VALUES ('v1', '{}')"}});
  {
    auto store = StateStore::open(db_path(), migrations);
    EXPECT_EQ(store->schema_version(), 2);
    EXPECT_EQ(store->latest_index(), 1U);
    EXPECT_EQ(store->job("default", "web")->at("ID"), "web");
    EXPECT_EQ(store->allocation("a1")->at("JobID"), "web");
    EXPECT_EQ(store->write([](StateWriter& w) { w.put_allocation(alloc_doc("a2", "web")); }), 2U);
  }
  sqlite::Connection raw(db_path(), "raw");
  EXPECT_EQ(raw.query_int64("PRAGMA user_version"), 2);
  EXPECT_EQ(raw.query_int64("SELECT count(*) FROM volumes"), 1);
  EXPECT_EQ(raw.query_int64("SELECT count(*) FROM allocations WHERE node_id IS NULL"), 2);

  // Opened again with version 1 only, the file is now too new.
  std::string message = ErrorOf([&] { open(); });
  EXPECT_TRUE(HasText(message, "has schema version 2, newer than this potd's 1"));
}

TEST_F(StateStoreTest, FailedMigrationLeavesThePreviousVersion) {
  {
    auto store = open();
    store->write([](StateWriter& w) { w.put_job(job_doc("web", 0)); });
  }
  std::vector<SchemaMigration> migrations = state_schema_migrations();
  migrations.push_back({2,
                        {"CREATE TABLE volumes (id TEXT PRIMARY KEY)",
                         "ALTER TABLE no_such_table ADD COLUMN x TEXT"}});
  std::string message = ErrorOf([&] { StateStore::open(db_path(), migrations); });
  EXPECT_TRUE(HasText(message, "migrating to schema version 2"));
  EXPECT_TRUE(HasText(message, "no_such_table"));

  auto store = open();
  EXPECT_EQ(store->schema_version(), 1);
  EXPECT_TRUE(store->job("default", "web").has_value());
  sqlite::Connection raw(db_path(), "raw");
  EXPECT_EQ(raw.query_int64("SELECT count(*) FROM sqlite_schema WHERE name = 'volumes'"), 0);
}

TEST_F(StateStoreTest, ThousandAllocationsInOneWrite) {
  auto store = open();
  Json alloc = alloc_doc("", "web");
  alloc["TaskStates"] = {
      {"server",
       {{"State", "running"},
        {"Events", Json::array({{{"Type", "Received"}, {"Time", 1700000000000000000}},
                                {{"Type", "Started"}, {"Time", 1700000001000000000}}})}}}};
  auto start = std::chrono::steady_clock::now();
  store->write([&](StateWriter& w) {
    for (int i = 0; i < 1000; ++i) {
      char id[16];
      std::snprintf(id, sizeof id, "%08d", i);
      alloc["ID"] = id;
      w.put_allocation(alloc);
    }
  });
  auto elapsed = std::chrono::steady_clock::now() - start;
  std::vector<Json> allocations = store->allocations();
  ASSERT_EQ(allocations.size(), 1000U);
  EXPECT_EQ(allocations.front()["ID"], "00000000");
  EXPECT_EQ(allocations.back()["ID"], "00000999");
  EXPECT_EQ(allocations.back()["TaskStates"]["server"]["Events"][1]["Type"], "Started");
  // Generous for a sanitized build on a busy machine; a statement per row prepared again
  // or committed alone would be far slower.
  EXPECT_LT(elapsed, 5s);
  std::printf("1000 allocations written in %lld ms\n",
              static_cast<long long>(
                  std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()));
}

// --- Durability under kill -9 ---------------------------------------------------------------

// The child: writes transactions until killed, sending each index on `ack_fd` once write()
// has returned it (that is, once the write is acknowledged).
[[noreturn]] void write_until_killed(const fs::path& path, int ack_fd) {
  try {
    auto store = StateStore::open(path);
    for (;;) {
      uint64_t index = store->write([](StateWriter& w) {
        std::string n = std::to_string(w.index());
        w.put_allocation(alloc_doc("alloc-" + n, "web"));
        w.put_job(job_doc("web", w.index()));
        StateEvent event;
        event.topic = "Allocation";
        event.key = "alloc-" + n;
        w.add_event(event);
      });
      if (::write(ack_fd, &index, sizeof index) != static_cast<ssize_t>(sizeof index)) ::_exit(3);
    }
  } catch (...) {
    ::_exit(2);
  }
}

// Reads one acknowledged index; false at the end of the pipe.
bool read_ack(int fd, uint64_t& index) {
  char* out = reinterpret_cast<char*>(&index);
  size_t got = 0;
  while (got < sizeof index) {
    ssize_t n = ::read(fd, out + got, sizeof index - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    got += static_cast<size_t>(n);
  }
  return true;
}

void check_kill_at(const fs::path& path, size_t acks_before_kill) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0) << std::strerror(errno);
  UniqueFd read_end(fds[0]);
  UniqueFd write_end(fds[1]);
  // Forked before this test starts any thread.
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0) << std::strerror(errno);
  if (pid == 0) {
    read_end.reset();
    write_until_killed(path, write_end.get());
  }
  write_end.reset();

  std::vector<uint64_t> acked;
  uint64_t index = 0;
  while (acked.size() < acks_before_kill && read_ack(read_end.get(), index)) acked.push_back(index);
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the writer stopped by itself (status " << status << ")";
  ASSERT_EQ(acked.size(), acks_before_kill);
  // Acknowledgements sent before the kill that were not read yet count as well.
  while (read_ack(read_end.get(), index)) acked.push_back(index);

  auto store = StateStore::open(path);
  ASSERT_GE(store->latest_index(), acked.back());
  for (uint64_t acked_index : acked) {
    std::string id = "alloc-" + std::to_string(acked_index);
    std::optional<Json> alloc = store->allocation(id);
    ASSERT_TRUE(alloc.has_value()) << id << " was acknowledged but is lost";
    EXPECT_EQ(alloc->at("ModifyIndex"), acked_index);
    ASSERT_TRUE(store->job_version("default", "web", acked_index).has_value()) << acked_index;
  }
  // The store goes on from where the database is.
  uint64_t next = store->write([](StateWriter& w) { w.put_meta("after", "kill"); });
  EXPECT_EQ(next, store->latest_index());
  EXPECT_GT(next, acked.back());
}

TEST_F(StateStoreTest, AcknowledgedWritesSurviveKill9) {
  // Three kill points; each run goes on with the same file, so later runs also recover a
  // database that was itself killed mid-write.
  for (size_t acks : {100U, 200U, 300U}) {
    SCOPED_TRACE("killed after " + std::to_string(acks) + " acknowledgements");
    check_kill_at(db_path(), acks);
    if (::testing::Test::HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace pot::agent
