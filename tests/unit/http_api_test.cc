// The HTTP API over a real state store and a real server on 127.0.0.1 (port 0), asked with
// cpp-httplib's client as a Nomad client would ask it.
#include "agent/api/http_server.h"

#include <gtest/gtest.h>

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "agent/state/state_store.h"
#include "jobspec/jobspec.h"
#include "test_util.h"

namespace pot::agent {
namespace {

namespace fs = std::filesystem;
using ::pot::testing::HasText;
using ::pot::testing::TempDir;
using namespace std::chrono_literals;

constexpr const char* kToken = "secret-token-for-tests";
constexpr const char* kAllocId = "0b5c7c1e-6a8e-4d7f-9c39-2f1d5c3a8e01";

const char* kJobHcl = R"(
job "web" {
  datacenters = ["dc1"]
  group "app" {
    count = 2
    task "server" {
      driver = "pot"
      config {
        image = "http://127.0.0.1:1/images"
        pot   = "nginx"
        tag   = "1.0"
      }
    }
  }
}
)";

// The test's stand-in for the agent (server/agent.h): its writes store the documents the
// way the agent does (a registered job gets a version, an evaluation and events), without
// scheduling or running anything.
class TestAgent : public AgentApi {
 public:
  explicit TestAgent(const fs::path& dir) : dir_(dir), state_(StateStore::open(dir / "state.db")) {
    node_.id = "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b";
    node_.cpu_mhz = 4000;
    node_.memory_mb = 8192;
  }

  StateStore& state() override { return *state_; }
  const NodeInfo& node() override { return node_; }
  uint64_t node_create_index() override { return 1; }
  uint64_t node_modify_index() override { return 1; }
  std::string token() override { return token_; }
  ServiceCatalog& services() override { return catalog_; }

  RegisterResult register_job(const Json& submitted, const RegisterOptions&) override {
    RegisterResult result;
    result.eval_id = "eval-" + std::to_string(++evals_);
    Json job = submitted;
    const std::string id = job["ID"].get<std::string>();
    // Read before the write: the store's reads wait for its one connection.
    std::optional<Json> current = state_->job("default", id);
    result.index = state_->write([&](StateWriter& writer) {
      job["Version"] = current ? (*current)["Version"].get<uint64_t>() + 1 : 0;
      job["Status"] = "pending";
      job["JobModifyIndex"] = writer.index();
      writer.put_job(job);
      writer.put_evaluation(Json{{"ID", result.eval_id},
                                 {"Namespace", "default"},
                                 {"JobID", job["ID"]},
                                 {"Type", job["Type"]},
                                 {"TriggeredBy", "job-register"},
                                 {"Status", "pending"}});
      writer.add_event(StateEvent{"Job", "JobRegistered", id, "default", 0, Json{{"Job", job}}});
    });
    result.eval_create_index = result.index;
    result.job_modify_index = result.index;
    return result;
  }
  Json plan_job(const Json& job, bool diff) override {
    return Json{{"JobModifyIndex", 0}, {"Diff", diff ? Json{{"ID", job["ID"]}} : Json(nullptr)}};
  }
  DeregisterResult deregister_job(const std::string& ns, const std::string& id,
                                  bool purge) override {
    if (!state_->job(ns, id)) throw ApiError(404, "job not found");
    DeregisterResult result;
    result.index = state_->write([&](StateWriter& writer) {
      if (purge) writer.delete_job(ns, id);
    });
    return result;
  }
  RegisterResult revert_job(const std::string&, const std::string&, uint64_t,
                            std::optional<uint64_t>) override {
    return {};
  }
  RegisterResult scale_job(const std::string&, const std::string&, const std::string& group,
                           int64_t count, const std::string&) override {
    scaled_group = group;
    scaled_count = count;
    return {};
  }
  Json stop_alloc(const std::string& id) override {
    return Json{{"EvalID", "stop-" + id}, {"Index", 9}};
  }
  void restart_alloc(const std::string& id, const std::string& task, bool) override {
    restarted = id + "/" + task;
  }
  void signal_alloc(const std::string&, const std::string&, const std::string&) override {}
  Json alloc_stats(const std::string&) override { return Json{{"ResourceUsage", Json::object()}}; }
  Json alloc_exec(const std::string&, const std::string&,
                  const std::vector<std::string>&) override {
    return Json::object();
  }
  fs::path alloc_dir(const std::string& id) override {
    if (!state_->allocation(id)) throw ApiError(404, "alloc not found");
    return dir_ / "allocs" / id;
  }
  Metrics metrics() override {
    Metrics counts;
    counts.jobs = state_->jobs().size();
    counts.allocs_running = 3;
    counts.task_restarts = 7;
    return counts;
  }
  Json agent_self() override {
    return Json{{"config", {{"Region", "global"}}}, {"stats", Json::object()}};
  }

  std::string token_ = kToken;
  std::string scaled_group;
  int64_t scaled_count = -1;
  std::string restarted;

 private:
  fs::path dir_;
  std::unique_ptr<StateStore> state_;
  NodeInfo node_;
  ServiceCatalog catalog_{CatalogNode{}};
  int evals_ = 0;
};

Json alloc_doc(const std::string& id, const std::string& client_status) {
  return Json{{"ID", id},
              {"Namespace", "default"},
              {"EvalID", "eval-1"},
              {"Name", "web.app[0]"},
              {"NodeID", "5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b"},
              {"JobID", "web"},
              {"JobVersion", 0},
              {"TaskGroup", "app"},
              {"DesiredStatus", "run"},
              {"ClientStatus", client_status},
              {"TaskStates", {{"server", {{"State", "running"}, {"Restarts", 0}}}}}};
}

class HttpApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    agent_ = std::make_unique<TestAgent>(dir_.path());
    server_ = std::make_unique<HttpServer>(*agent_, HttpServerOptions{"127.0.0.1", 0, 8});
    server_->start();
  }
  void TearDown() override { server_->stop(); }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(20, 0);
    return c;
  }
  static httplib::Headers with_token(const std::string& token = kToken) {
    return {{"X-Nomad-Token", token}};
  }
  static Json job() { return jobspec::parse_job(kJobHcl, "web.nomad", {}); }

  void register_web() {
    auto res =
        client().Put("/v1/jobs", with_token(), Json{{"Job", job()}}.dump(), "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200) << res->body;
  }
  void put_alloc(const Json& alloc) {
    agent_->state().write([&](StateWriter& writer) { writer.put_allocation(alloc); });
  }
  fs::path logs_dir() const { return dir_.path() / "allocs" / kAllocId / "alloc" / "logs"; }
  void write_log(const std::string& name, const std::string& text, bool append = false) {
    fs::create_directories(logs_dir());
    std::ofstream out(logs_dir() / name, append ? std::ios::app : std::ios::trunc);
    out << text;
  }

  TempDir dir_{"pot-http-api"};
  std::unique_ptr<TestAgent> agent_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpApiTest, JobsListReadAndSummaryHaveNomadShapes) {
  register_web();
  put_alloc(alloc_doc(kAllocId, "running"));

  auto list = client().Get("/v1/jobs");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->status, 200);
  EXPECT_EQ(list->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(list->get_header_value("X-Nomad-Index"),
            std::to_string(agent_->state().latest_index()));
  EXPECT_EQ(list->get_header_value("X-Nomad-KnownLeader"), "true");
  const Json stubs = Json::parse(list->body);
  ASSERT_EQ(stubs.size(), 1u);
  EXPECT_EQ(stubs[0]["ID"], "web");
  EXPECT_EQ(stubs[0]["Type"], "service");
  EXPECT_EQ(stubs[0]["Status"], "pending");
  EXPECT_EQ(stubs[0]["Periodic"], false);
  EXPECT_EQ(stubs[0]["JobSummary"]["JobID"], "web");
  EXPECT_EQ(stubs[0]["JobSummary"]["Summary"]["app"]["Running"], 1);
  EXPECT_EQ(stubs[0]["JobSummary"]["Summary"]["app"]["Starting"], 0);
  EXPECT_FALSE(stubs[0].contains("TaskGroups"));  // a stub, not the job

  EXPECT_EQ(Json::parse(client().Get("/v1/jobs?prefix=we")->body).size(), 1u);
  EXPECT_EQ(Json::parse(client().Get("/v1/jobs?prefix=db")->body).size(), 0u);

  const Json read = Json::parse(client().Get("/v1/job/web")->body);
  EXPECT_EQ(read["TaskGroups"][0]["Name"], "app");
  EXPECT_EQ(read["TaskGroups"][0]["Count"], 2);

  const Json summary = Json::parse(client().Get("/v1/job/web/summary")->body);
  EXPECT_EQ(summary["Summary"]["app"]["Running"], 1);

  const Json allocs = Json::parse(client().Get("/v1/job/web/allocations")->body);
  ASSERT_EQ(allocs.size(), 1u);
  EXPECT_EQ(allocs[0]["ID"], kAllocId);
  EXPECT_EQ(allocs[0]["JobType"], "service");
  EXPECT_EQ(allocs[0]["ClientStatus"], "running");
  EXPECT_EQ(allocs[0]["TaskStates"]["server"]["State"], "running");

  const Json evals = Json::parse(client().Get("/v1/job/web/evaluations")->body);
  ASSERT_EQ(evals.size(), 1u);
  EXPECT_EQ(evals[0]["TriggeredBy"], "job-register");

  const Json versions = Json::parse(client().Get("/v1/job/web/versions")->body);
  EXPECT_EQ(versions["Versions"].size(), 1u);
  EXPECT_TRUE(versions["Diffs"].is_null());

  const Json scale = Json::parse(client().Get("/v1/job/web/scale")->body);
  EXPECT_EQ(scale["TaskGroups"]["app"]["Desired"], 2);
  EXPECT_EQ(scale["TaskGroups"]["app"]["Running"], 1);
  EXPECT_TRUE(Json::parse(client().Get("/v1/job/web/deployment")->body).is_null());
}

TEST_F(HttpApiTest, RegisterAnswersEvalAndIndexAndChecksTheIdInThePath) {
  auto res =
      client().Post("/v1/job/web", with_token(), Json{{"Job", job()}}.dump(), "application/json");
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  const Json reply = Json::parse(res->body);
  EXPECT_EQ(reply["EvalID"], "eval-1");
  EXPECT_GT(reply["JobModifyIndex"].get<uint64_t>(), 0u);
  EXPECT_EQ(res->get_header_value("X-Nomad-Index"), std::to_string(reply["Index"].get<uint64_t>()));

  auto other =
      client().Post("/v1/job/db", with_token(), Json{{"Job", job()}}.dump(), "application/json");
  EXPECT_EQ(other->status, 400);
  EXPECT_EQ(other->body, "Job ID does not match name");

  auto missing =
      client().Put("/v1/jobs", with_token(), R"({"EnforceIndex": true})", "application/json");
  EXPECT_EQ(missing->status, 400);
  EXPECT_EQ(missing->body, "Job must be specified");
}

TEST_F(HttpApiTest, UnknownIdsAndPathsAre404AndWrongMethods405) {
  auto job = client().Get("/v1/job/nope");
  EXPECT_EQ(job->status, 404);
  EXPECT_EQ(job->body, "job not found");
  EXPECT_EQ(job->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(client().Get("/v1/allocation/nope")->body, "alloc not found");
  EXPECT_EQ(client().Get("/v1/evaluation/nope")->body, "eval not found");
  EXPECT_EQ(client().Get("/v1/deployment/nope")->body, "deployment not found");
  EXPECT_EQ(client().Get("/v1/node/nope")->status, 404);
  EXPECT_EQ(client().Get("/v1/nothing/here")->status, 404);
  EXPECT_EQ(client().Get("/v1/jobs/")->status, 404);
  auto wrong = client().Delete("/v1/jobs", with_token());
  EXPECT_EQ(wrong->status, 405);
  EXPECT_EQ(wrong->body, "Invalid method");
  EXPECT_EQ(client().Delete("/v1/job/nope", with_token())->status, 404);
}

TEST_F(HttpApiTest, WritesNeedTheTokenReadsParseAndValidateDoNot) {
  const std::string body = Json{{"Job", job()}}.dump();
  auto none = client().Put("/v1/jobs", body, "application/json");
  EXPECT_EQ(none->status, 403);
  EXPECT_EQ(none->body, "Permission denied");
  EXPECT_EQ(client().Put("/v1/jobs", with_token("wrong"), body, "application/json")->status, 403);
  EXPECT_EQ(client()
                .Put("/v1/jobs", with_token(kToken + std::string("x")), body, "application/json")
                ->status,
            403);
  EXPECT_TRUE(agent_->state().jobs().empty());
  EXPECT_EQ(client()
                .Post("/v1/allocation/" + std::string(kAllocId) + "/stop", "", "application/json")
                ->status,
            403);
  EXPECT_EQ(client().Delete("/v1/job/web")->status, 403);

  EXPECT_EQ(client().Put("/v1/jobs", with_token(), body, "application/json")->status, 200);
  EXPECT_EQ(agent_->state().jobs().size(), 1u);
  EXPECT_EQ(client().Get("/v1/jobs")->status, 200);
  EXPECT_EQ(
      client().Post("/v1/jobs/parse", Json{{"JobHCL", kJobHcl}}.dump(), "application/json")->status,
      200);
  EXPECT_EQ(client().Post("/v1/validate/job", body, "application/json")->status, 200);

  agent_->token_.clear();  // no token configured: no check
  EXPECT_EQ(client().Delete("/v1/job/web?purge=true")->status, 200);
  EXPECT_TRUE(agent_->state().jobs().empty());
}

TEST_F(HttpApiTest, ParseGivesTheCanonicalJobAndNamesErrors) {
  auto res =
      client().Post("/v1/jobs/parse", Json{{"JobHCL", kJobHcl}, {"Canonicalize", true}}.dump(),
                    "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  const Json parsed = Json::parse(res->body);
  EXPECT_EQ(parsed, job());

  const std::string with_variable = R"(
variable "count" { type = number }
job "web" {
  group "app" {
    count = var.count
    task "server" {
      driver = "pot"
    }
  }
}
)";
  auto vars = client().Post("/v1/jobs/parse",
                            Json{{"JobHCL", with_variable}, {"Variables", "count = 3\n"}}.dump(),
                            "application/json");
  ASSERT_EQ(vars->status, 200) << vars->body;
  EXPECT_EQ(Json::parse(vars->body)["TaskGroups"][0]["Count"], 3);

  auto empty = client().Post("/v1/jobs/parse", R"({"JobHCL": ""})", "application/json");
  EXPECT_EQ(empty->status, 400);
  EXPECT_EQ(empty->body, "Job spec is empty");
  auto broken =
      client().Post("/v1/jobs/parse", Json{{"JobHCL", "job \"x\" {"}}.dump(), "application/json");
  EXPECT_EQ(broken->status, 400);
  EXPECT_TRUE(HasText(broken->body, "Failed to parse job: input.hcl:"));
}

TEST_F(HttpApiTest, ValidateListsTheProblems) {
  Json bad = job();
  bad["TaskGroups"][0]["Count"] = -1;
  auto res = client().Post("/v1/validate/job", Json{{"Job", bad}}.dump(), "application/json");
  ASSERT_EQ(res->status, 200) << res->body;
  const Json reply = Json::parse(res->body);
  EXPECT_EQ(reply["DriverConfigValidated"], false);
  ASSERT_FALSE(reply["ValidationErrors"].empty());
  EXPECT_TRUE(HasText(reply["Error"].get<std::string>(), "error"));

  const Json good = Json::parse(
      client().Post("/v1/validate/job", Json{{"Job", job()}}.dump(), "application/json")->body);
  EXPECT_TRUE(good["ValidationErrors"].empty());
  EXPECT_EQ(good["Error"], "");
}

TEST_F(HttpApiTest, HostileBodiesAre400Or413NeverACrash) {
  auto put = [&](const std::string& body) {
    return client().Put("/v1/jobs", with_token(), body, "application/json");
  };
  auto deep = put(std::string(100000, '[') + std::string(100000, ']'));
  ASSERT_TRUE(deep);
  EXPECT_EQ(deep->status, 400);
  EXPECT_TRUE(HasText(deep->body, "nested"));
  auto garbage = put("{\"Job\": {\"ID\": ");
  EXPECT_EQ(garbage->status, 400);
  EXPECT_TRUE(HasText(garbage->body, "Invalid JSON in the request body"));
  auto wrong_type = put(R"({"Job": {"ID": "web", "TaskGroups": "many"}})");
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_TRUE(HasText(wrong_type->body, "TaskGroups"));
  auto bad_flag = put(Json{{"Job", job()}, {"EnforceIndex", "yes"}}.dump());
  EXPECT_EQ(bad_flag->status, 400);
  EXPECT_TRUE(HasText(bad_flag->body, "EnforceIndex"));
  EXPECT_EQ(put("")->status, 400);
  EXPECT_EQ(put("[]")->status, 400);
  EXPECT_EQ(put(std::string(17 << 20, ' '))->status, 413);
  EXPECT_EQ(client().Get("/v1/jobs?index=abc")->body, "Invalid index");
  EXPECT_EQ(client().Get("/v1/jobs?index=1&wait=soon")->body, "Invalid wait time");
  EXPECT_EQ(client().Delete("/v1/job/web?purge=maybe", with_token())->status, 400);
  // The server still answers.
  EXPECT_EQ(client().Get("/v1/agent/health")->status, 200);
}

TEST_F(HttpApiTest, BlockingQueryWakesOnAWriteFromAnotherThread) {
  register_web();
  const uint64_t index = agent_->state().latest_index();
  std::thread writer([&] {
    std::this_thread::sleep_for(300ms);
    put_alloc(alloc_doc(kAllocId, "pending"));
  });
  const auto started = std::chrono::steady_clock::now();
  auto res = client().Get("/v1/job/web/allocations?index=" + std::to_string(index) + "&wait=10s");
  const auto took = std::chrono::steady_clock::now() - started;
  writer.join();
  ASSERT_TRUE(res);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(res->get_header_value("X-Nomad-Index"), std::to_string(index + 1));
  EXPECT_EQ(Json::parse(res->body).size(), 1u);
}

TEST_F(HttpApiTest, BlockingQueryAnswersWhenTheWaitEnds) {
  register_web();
  const uint64_t index = agent_->state().latest_index();
  const auto started = std::chrono::steady_clock::now();
  auto res = client().Get("/v1/jobs?index=" + std::to_string(index) + "&wait=400ms");
  const auto took = std::chrono::steady_clock::now() - started;
  ASSERT_TRUE(res);
  EXPECT_GE(took, 350ms);
  EXPECT_LT(took, 3s);
  EXPECT_EQ(res->get_header_value("X-Nomad-Index"), std::to_string(index));
  // An index already passed answers at once.
  const auto again = std::chrono::steady_clock::now();
  EXPECT_EQ(client().Get("/v1/jobs?index=" + std::to_string(index - 1))->status, 200);
  EXPECT_LT(std::chrono::steady_clock::now() - again, 1s);
}

// Reads a streaming answer on a thread until `done` says it has what it wanted.
class StreamReader {
 public:
  StreamReader(int port, std::string path, std::function<bool(const std::string&)> done)
      : thread_([this, port, path = std::move(path), done = std::move(done)] {
          httplib::Client c("127.0.0.1", port);
          c.set_read_timeout(20, 0);
          auto res = c.Get(
              path, httplib::Headers{},
              [&](const httplib::Response& r) {
                status_ = r.status;
                return true;
              },
              [&](const char* data, size_t size) {
                std::lock_guard lock(mutex_);
                text_.append(data, size);
                return !done(text_);
              });
          ended_ = true;
        }) {}
  ~StreamReader() { thread_.join(); }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }
  bool wait_until(const std::function<bool(const std::string&)>& ready,
                  std::chrono::seconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      if (ready(text()) || ended_) return ready(text());
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  bool ended() const { return ended_; }
  int status() const { return status_; }

 private:
  std::mutex mutex_;
  std::string text_;
  std::atomic<bool> ended_{false};
  std::atomic<int> status_{0};
  std::thread thread_;
};

TEST_F(HttpApiTest, EventStreamDeliversAnEventWrittenAfterItOpened) {
  const uint64_t index = agent_->state().latest_index();
  auto has_job_event = [](const std::string& text) {
    return text.find("JobRegistered") != std::string::npos;
  };
  StreamReader reader(server_->port(),
                      "/v1/event/stream?topic=Job:web&index=" + std::to_string(index + 1),
                      has_job_event);
  std::this_thread::sleep_for(300ms);
  // An event of another topic is not sent.
  agent_->state().write([](StateWriter& writer) {
    writer.add_event(
        StateEvent{"Allocation", "AllocationUpdated", "a1", "default", 0, Json::object()});
  });
  register_web();
  ASSERT_TRUE(reader.wait_until(has_job_event)) << reader.text();
  EXPECT_EQ(reader.status(), 200);
  const std::string text = reader.text();
  const Json line = Json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(line["Index"], agent_->state().latest_index());
  ASSERT_EQ(line["Events"].size(), 1u);
  EXPECT_EQ(line["Events"][0]["Topic"], "Job");
  EXPECT_EQ(line["Events"][0]["Type"], "JobRegistered");
  EXPECT_EQ(line["Events"][0]["Key"], "web");
  EXPECT_EQ(line["Events"][0]["Payload"]["Job"]["ID"], "web");
  EXPECT_EQ(text.find("AllocationUpdated"), std::string::npos);
}

TEST_F(HttpApiTest, LogsPlainAndFramedWithOffsetAndOrigin) {
  put_alloc(alloc_doc(kAllocId, "running"));
  write_log("server.stdout.0", "first file\n");
  write_log("server.stdout.1", "second file\n");
  write_log("server.stderr.0", "errors\n");
  const std::string base = "/v1/client/fs/logs/" + std::string(kAllocId) + "?task=server";

  auto plain = client().Get(base + "&type=stdout&plain=true");
  ASSERT_EQ(plain->status, 200) << plain->body;
  EXPECT_EQ(plain->body, "first file\nsecond file\n");
  EXPECT_EQ(client().Get(base + "&type=stderr&plain=true")->body, "errors\n");
  EXPECT_EQ(client().Get(base + "&type=stdout&plain=true&offset=6")->body, "file\nsecond file\n");
  EXPECT_EQ(client().Get(base + "&type=stdout&plain=true&origin=end&offset=5")->body, "file\n");
  // Back across the rotation into the older file.
  EXPECT_EQ(client().Get(base + "&type=stdout&plain=true&origin=end&offset=17")->body,
            "file\nsecond file\n");

  auto framed = client().Get(base + "&type=stdout&origin=end&offset=5");
  ASSERT_EQ(framed->status, 200);
  EXPECT_EQ(framed->get_header_value("Content-Type"), "application/json");
  const Json frame = Json::parse(framed->body.substr(0, framed->body.find('\n')));
  EXPECT_EQ(frame["File"], "alloc/logs/server.stdout.1");
  EXPECT_EQ(frame["Data"], "ZmlsZQo=");  // "file\n"
  EXPECT_EQ(frame["Offset"], 12);

  EXPECT_EQ(client().Get(base + "&type=stdout&origin=middle")->status, 400);
  EXPECT_EQ(client().Get(base + "&type=stdin")->status, 400);
  auto no_task = client().Get("/v1/client/fs/logs/" + std::string(kAllocId) + "?type=stdout");
  EXPECT_EQ(no_task->status, 400);
  EXPECT_EQ(no_task->body, "must provide task name");
  auto unknown_task =
      client().Get("/v1/client/fs/logs/" + std::string(kAllocId) + "?task=db&type=stdout");
  EXPECT_EQ(unknown_task->status, 404);
  auto traversal =
      client().Get("/v1/client/fs/logs/" + std::string(kAllocId) + "?task=../../x&type=stdout");
  EXPECT_EQ(traversal->status, 404);
  EXPECT_EQ(client().Get("/v1/client/fs/logs/nope?task=server&type=stdout")->body,
            "alloc not found");
}

TEST_F(HttpApiTest, LogsFollowSendsAppendedDataAndEndsWithTheAllocation) {
  put_alloc(alloc_doc(kAllocId, "running"));
  write_log("server.stdout.0", "hello\n");
  auto has_world = [](const std::string& text) { return text.find("world") != std::string::npos; };
  StreamReader reader(server_->port(),
                      "/v1/client/fs/logs/" + std::string(kAllocId) +
                          "?task=server&type=stdout&plain=true&follow=true",
                      [](const std::string&) { return false; });
  ASSERT_TRUE(reader.wait_until([](const std::string& t) { return t == "hello\n"; }));
  write_log("server.stdout.0", "world\n", true);
  ASSERT_TRUE(reader.wait_until(has_world)) << reader.text();
  // The monitor rotates: the next file is followed.
  write_log("server.stdout.1", "rotated\n");
  ASSERT_TRUE(reader.wait_until([](const std::string& t) { return t.ends_with("rotated\n"); }))
      << reader.text();
  EXPECT_EQ(reader.text(), "hello\nworld\nrotated\n");
  EXPECT_FALSE(reader.ended());
  put_alloc(alloc_doc(kAllocId, "complete"));
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!reader.ended() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  EXPECT_TRUE(reader.ended());
}

TEST_F(HttpApiTest, AbandonedLogFollowsFreeTheirWorkerThreads) {
  put_alloc(alloc_doc(kAllocId, "running"));
  write_log("server.stdout.0", "hello\n");
  // More abandoned follows than the server has threads (8): a quiet plain-text follow has
  // nothing to write, so only noticing the closed connection frees its thread.
  for (int i = 0; i < 10; ++i) {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(5, 0);
    std::string got;
    c.Get("/v1/client/fs/logs/" + std::string(kAllocId) +
              "?task=server&type=stdout&plain=true&follow=true",
          [&](const char* data, size_t size) {
            got.append(data, size);
            return false;  // leave after the first data
          });
    ASSERT_EQ(got, "hello\n");
  }
  httplib::Client c("127.0.0.1", server_->port());
  c.set_read_timeout(3, 0);
  auto health = c.Get("/v1/agent/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
}

TEST_F(HttpApiTest, NodesListAndRead) {
  const Json nodes = Json::parse(client().Get("/v1/nodes")->body);
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0]["ID"], agent_->node().id);
  EXPECT_TRUE(Json::parse(client().Get("/v1/nodes?prefix=ffff")->body).empty());
  const Json node = Json::parse(client().Get("/v1/node/" + agent_->node().id)->body);
  EXPECT_EQ(node["ID"], agent_->node().id);
  EXPECT_EQ(node["Datacenter"], "dc1");
}

TEST_F(HttpApiTest, AllocationEmbedsTheJobVersionItRuns) {
  register_web();
  register_web();                             // version 1
  put_alloc(alloc_doc(kAllocId, "running"));  // runs version 0
  const Json alloc = Json::parse(client().Get("/v1/allocation/" + std::string(kAllocId))->body);
  EXPECT_EQ(alloc["ID"], kAllocId);
  EXPECT_EQ(alloc["Job"]["Version"], 0);
  EXPECT_EQ(alloc["Job"]["ID"], "web");

  const Json list = Json::parse(client().Get("/v1/allocations?prefix=0b5c")->body);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["JobVersion"], 0);
  EXPECT_FALSE(list[0].contains("Job"));
  EXPECT_TRUE(Json::parse(client().Get("/v1/allocations?prefix=ff")->body).empty());

  auto stop = client().Post("/v1/allocation/" + std::string(kAllocId) + "/stop", with_token(), "",
                            "application/json");
  ASSERT_EQ(stop->status, 200);
  EXPECT_EQ(Json::parse(stop->body)["EvalID"], std::string("stop-") + kAllocId);
  auto restart = client().Put("/v1/client/allocation/" + std::string(kAllocId) + "/restart",
                              with_token(), R"({"TaskName": "server"})", "application/json");
  ASSERT_EQ(restart->status, 200);
  EXPECT_EQ(agent_->restarted, std::string(kAllocId) + "/server");
}

TEST_F(HttpApiTest, ScaleNeedsAGroupAndACount) {
  register_web();
  auto scaled = client().Post("/v1/job/web/scale", with_token(),
                              R"({"Count": 5, "Target": {"Group": "app"}})", "application/json");
  ASSERT_EQ(scaled->status, 200) << scaled->body;
  EXPECT_EQ(agent_->scaled_group, "app");
  EXPECT_EQ(agent_->scaled_count, 5);
  EXPECT_EQ(client()
                .Post("/v1/job/web/scale", with_token(), R"({"Count": 5})", "application/json")
                ->status,
            400);
  EXPECT_EQ(client()
                .Post("/v1/job/web/scale", with_token(), R"({"Target": {"Group": "app"}})",
                      "application/json")
                ->status,
            400);
}

TEST_F(HttpApiTest, MetricsInPrometheusTextAndJson) {
  register_web();
  put_alloc(alloc_doc(kAllocId, "running"));
  auto text = client().Get("/v1/metrics?format=prometheus");
  ASSERT_EQ(text->status, 200);
  const std::string body = text->body;
  EXPECT_TRUE(HasText(body, "# TYPE nomad_client_allocations_running gauge\n"));
  EXPECT_TRUE(HasText(
      body,
      "nomad_client_allocations_running{node_id=\"5f0c1a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\"} 3\n"));
  EXPECT_TRUE(HasText(body, "potd_task_restarts_total 7\n"));
  EXPECT_TRUE(HasText(body, "potd_jobs 1\n"));
  EXPECT_TRUE(HasText(body,
                      "nomad_nomad_job_summary_running{exported_job=\"web\",namespace=\"default\","
                      "task_group=\"app\"} 1\n"));
  // One TYPE line per name.
  std::size_t types = 0;
  for (std::size_t at = 0;
       (at = body.find("# TYPE nomad_nomad_job_summary_running ", at)) != std::string::npos; ++at)
    ++types;
  EXPECT_EQ(types, 1u);

  const Json json = Json::parse(client().Get("/v1/metrics")->body);
  bool found = false;
  for (const Json& gauge : json["Gauges"]) {
    if (gauge["Name"] == "nomad.client.allocations.running") found = gauge["Value"] == 3;
  }
  EXPECT_TRUE(found);
}

TEST_F(HttpApiTest, StatusAgentAndRegions) {
  EXPECT_EQ(Json::parse(client().Get("/v1/status/leader")->body), "127.0.0.1:4647");
  EXPECT_EQ(Json::parse(client().Get("/v1/status/peers")->body), Json::array({"127.0.0.1:4647"}));
  EXPECT_EQ(Json::parse(client().Get("/v1/regions")->body), Json::array({"global"}));
  EXPECT_EQ(Json::parse(client().Get("/v1/agent/health")->body)["server"]["ok"], true);
  const Json self = Json::parse(client().Get("/v1/agent/self")->body);
  EXPECT_EQ(self["config"]["Region"], "global");
  EXPECT_EQ(self["member"]["Status"], "alive");
}

// --- Services (Nomad's native service discovery over the catalog) -----------------------

ServiceInstance task_instance(const std::string& alloc_id, const std::string& name,
                              std::vector<std::string> tags, const std::string& ns = "default") {
  ServiceInstance instance;
  instance.id = "_nomad-task-" + alloc_id + "-server-" + name + "-http";
  instance.name = name;
  instance.tags = std::move(tags);
  instance.port = 25123;
  instance.alloc_id = alloc_id;
  instance.task = "server";
  instance.job_id = "web";
  instance.group = "app";
  instance.namespace_name = ns;
  return instance;
}

CheckDefinition check_of(const std::string& id, const std::string& name, const std::string& type) {
  CheckDefinition check;
  check.id = id;
  check.name = name;
  check.type = type;
  return check;
}

TEST_F(HttpApiTest, ServicesListNamesAndTheirTagsPerNamespace) {
  ServiceCatalog& catalog = agent_->services();
  catalog.register_instance(task_instance("a1", "web", {"b", "a"}), {});
  catalog.register_instance(task_instance("a2", "web", {"c", "b"}), {});
  catalog.register_instance(task_instance("a1", "api", {}), {});
  catalog.register_instance(task_instance("a3", "db", {"primary"}, "prod"), {});

  auto res = client().Get("/v1/services");
  ASSERT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Nomad-Index"), std::to_string(catalog.index()));
  EXPECT_EQ(Json::parse(res->body), Json::parse(R"([{"Namespace": "default", "Services": [
      {"ServiceName": "api", "Tags": []},
      {"ServiceName": "web", "Tags": ["a", "b", "c"]}]}])"));

  EXPECT_EQ(Json::parse(client().Get("/v1/services?namespace=prod")->body),
            Json::parse(R"([{"Namespace": "prod", "Services": [
                {"ServiceName": "db", "Tags": ["primary"]}]}])"));
  const Json all = Json::parse(client().Get("/v1/services?namespace=*")->body);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0]["Namespace"], "default");
  EXPECT_EQ(all[1]["Namespace"], "prod");
  EXPECT_EQ(Json::parse(client().Get("/v1/services?namespace=other")->body), Json::array());
}

TEST_F(HttpApiTest, ServiceReadGivesNomadsRegistrationsWithPotdsHealth) {
  ServiceCatalog& catalog = agent_->services();
  ServiceInstance own_address = task_instance(kAllocId, "web", {"v1"});
  own_address.address = "10.1.2.3";
  catalog.register_instance(
      own_address, {check_of("c-http", "alive", "http"), check_of("c-tcp", "port", "tcp")});
  catalog.update_check("c-http", CheckStatus::kPassing, "HTTP GET /: 200 OK");
  catalog.update_check("c-tcp", CheckStatus::kWarning, "slow\nsecond line");
  ServiceInstance other = task_instance("b2", "web", {});
  other.id += "-other";
  catalog.register_instance(other, {});
  catalog.register_instance(task_instance("c3", "web", {}, "prod"), {});

  auto res = client().Get("/v1/service/web");
  ASSERT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("X-Nomad-Index"), std::to_string(catalog.index()));
  const Json list = Json::parse(res->body);
  ASSERT_EQ(list.size(), 2u);  // the prod one is in another namespace
  const Json& web = list[0]["AllocID"] == kAllocId ? list[0] : list[1];
  const Json& plain = list[0]["AllocID"] == kAllocId ? list[1] : list[0];
  EXPECT_EQ(web["ID"], own_address.id);
  EXPECT_EQ(web["ServiceName"], "web");
  EXPECT_EQ(web["Namespace"], "default");
  EXPECT_EQ(web["NodeID"], agent_->node().id);
  EXPECT_EQ(web["Datacenter"], "dc1");
  EXPECT_EQ(web["JobID"], "web");
  EXPECT_EQ(web["Tags"], Json::array({"v1"}));
  EXPECT_EQ(web["Address"], "10.1.2.3");
  EXPECT_EQ(web["Port"], 25123);
  EXPECT_GT(web["CreateIndex"].get<uint64_t>(), 0u);
  EXPECT_GE(web["ModifyIndex"].get<uint64_t>(), web["CreateIndex"].get<uint64_t>());
  // potd's own: the worst of its checks, and the checks.
  EXPECT_EQ(web["Status"], "warning");
  ASSERT_EQ(web["Checks"].size(), 2u);
  EXPECT_EQ(web["Checks"][0], Json::parse(R"({"ID": "c-http", "Name": "alive", "Type": "http",
      "Status": "passing", "Output": "HTTP GET /: 200 OK"})"));
  EXPECT_EQ(web["Checks"][1]["Status"], "warning");
  // Without an address of its own, the node's; without checks, passing.
  EXPECT_EQ(plain["Address"], catalog.node().address);
  EXPECT_EQ(plain["Status"], "passing");
  EXPECT_EQ(plain["Checks"], Json::array());

  EXPECT_EQ(Json::parse(client().Get("/v1/service/web?namespace=prod")->body).size(), 1u);
  EXPECT_EQ(Json::parse(client().Get("/v1/service/web?namespace=*")->body).size(), 3u);
  auto unknown = client().Get("/v1/service/nothing");
  EXPECT_EQ(unknown->status, 200);
  EXPECT_EQ(Json::parse(unknown->body), Json::array());
}

TEST_F(HttpApiTest, ServiceBlockingQueryWakesOnACatalogChangeOnly) {
  ServiceCatalog& catalog = agent_->services();
  catalog.register_instance(task_instance(kAllocId, "web", {}), {check_of("c1", "alive", "tcp")});
  const uint64_t index = catalog.index();
  // A write to the state store is not a change of the catalog: the wait runs out.
  std::thread state_writer([&] {
    std::this_thread::sleep_for(100ms);
    register_web();
  });
  auto started = std::chrono::steady_clock::now();
  auto quiet = client().Get("/v1/service/web?index=" + std::to_string(index) + "&wait=500ms");
  state_writer.join();
  ASSERT_TRUE(quiet);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 450ms);
  EXPECT_EQ(quiet->get_header_value("X-Nomad-Index"), std::to_string(index));

  std::thread check_result([&] {
    std::this_thread::sleep_for(300ms);
    catalog.update_check("c1", CheckStatus::kPassing, "TCP connect: Success");
  });
  started = std::chrono::steady_clock::now();
  auto woken = client().Get("/v1/service/web?index=" + std::to_string(index) + "&wait=10s");
  const auto took = std::chrono::steady_clock::now() - started;
  check_result.join();
  ASSERT_TRUE(woken);
  EXPECT_GE(took, 250ms);
  EXPECT_LT(took, 5s);
  EXPECT_EQ(woken->get_header_value("X-Nomad-Index"), std::to_string(index + 1));
  EXPECT_EQ(Json::parse(woken->body)[0]["Checks"][0]["Status"], "passing");

  // The list waits on the same index.
  std::thread registration([&] {
    std::this_thread::sleep_for(300ms);
    catalog.register_instance(task_instance(kAllocId, "api", {}), {});
  });
  auto listed = client().Get("/v1/services?index=" + std::to_string(index + 1) + "&wait=10s");
  registration.join();
  ASSERT_TRUE(listed);
  EXPECT_EQ(Json::parse(listed->body)[0]["Services"].size(), 2u);
}

TEST_F(HttpApiTest, ServiceDeleteNeedsTheTokenAndRemovesOneInstance) {
  ServiceCatalog& catalog = agent_->services();
  const ServiceInstance web = task_instance(kAllocId, "web", {});
  catalog.register_instance(web, {check_of("c1", "alive", "tcp")});
  catalog.register_instance(task_instance("b2", "api", {}), {});
  const std::string path = "/v1/service/web/" + web.id;

  EXPECT_EQ(client().Delete(path)->status, 403);
  EXPECT_EQ(client().Delete(path, with_token("wrong"))->status, 403);
  EXPECT_TRUE(catalog.instance(web.id).has_value());
  // The name must be the instance's, and the namespace too.
  EXPECT_EQ(client().Delete("/v1/service/api/" + web.id, with_token())->status, 404);
  EXPECT_EQ(client().Delete(path + "?namespace=prod", with_token())->status, 404);
  EXPECT_EQ(client().Get(path)->status, 405);

  auto deleted = client().Delete(path, with_token());
  ASSERT_EQ(deleted->status, 200) << deleted->body;
  EXPECT_EQ(deleted->get_header_value("X-Nomad-Index"), std::to_string(catalog.index()));
  EXPECT_FALSE(catalog.instance(web.id).has_value());
  EXPECT_FALSE(catalog.check("c1").has_value());
  EXPECT_TRUE(catalog.instance(task_instance("b2", "api", {}).id).has_value());
  auto again = client().Delete(path, with_token());
  EXPECT_EQ(again->status, 404);
  EXPECT_EQ(again->body, "service registration not found");
}

TEST_F(HttpApiTest, AllocationChecksHaveNomadsClientShape) {
  put_alloc(alloc_doc(kAllocId, "running"));
  ServiceCatalog& catalog = agent_->services();
  catalog.register_instance(
      task_instance(kAllocId, "web", {}),
      {check_of("c-http", "alive", "http"), check_of("c-script", "script", "script")});
  ServiceInstance group = task_instance(kAllocId, "front", {});
  group.id = std::string("_nomad-task-") + kAllocId + "-group-app-front-http";
  group.task.clear();
  catalog.register_instance(group, {check_of("c-tcp", "port", "tcp")});
  catalog.register_instance(task_instance("other-alloc", "web", {}),
                            {check_of("c-other", "alive", "http")});
  catalog.update_check("c-http", CheckStatus::kPassing,
                       "HTTP GET http://127.0.0.1:25123/health: 200 OK Output: ok");
  catalog.update_check("c-script", CheckStatus::kCritical, "exit status 2");

  auto res = client().Get("/v1/client/allocation/" + std::string(kAllocId) + "/checks");
  ASSERT_EQ(res->status, 200) << res->body;
  const Json checks = Json::parse(res->body);
  ASSERT_EQ(checks.size(), 3u) << checks.dump();
  const Json& http = checks["c-http"];
  EXPECT_EQ(http["ID"], "c-http");
  EXPECT_EQ(http["Check"], "alive");
  EXPECT_EQ(http["Group"], "app");
  EXPECT_EQ(http["Task"], "server");
  EXPECT_EQ(http["Service"], "web");
  EXPECT_EQ(http["Status"], "success");
  EXPECT_EQ(http["Mode"], "healthiness");
  EXPECT_EQ(http["StatusCode"], 200);
  EXPECT_EQ(http["Output"], "HTTP GET http://127.0.0.1:25123/health: 200 OK Output: ok");
  EXPECT_EQ(http["Type"], "http");
  EXPECT_GT(http["Timestamp"].get<int64_t>(), 1'600'000'000);
  EXPECT_EQ(checks["c-script"]["Status"], "failure");
  EXPECT_EQ(checks["c-script"]["StatusCode"], 0);
  // No result yet: pending. A group service's check has no task.
  EXPECT_EQ(checks["c-tcp"]["Status"], "pending");
  EXPECT_EQ(checks["c-tcp"]["Task"], "");
  EXPECT_EQ(checks["c-tcp"]["Service"], "front");

  EXPECT_EQ(client().Get("/v1/client/allocation/nope/checks")->status, 404);
}

TEST_F(HttpApiTest, APortInUseIsRefusedByName) {
  HttpServer second(*agent_, HttpServerOptions{"127.0.0.1", server_->port(), 2});
  const std::string message = pot::testing::ErrorOf([&] { second.start(); });
  EXPECT_TRUE(HasText(message, "127.0.0.1:" + std::to_string(server_->port())));
  EXPECT_TRUE(HasText(message, "Address already in use"));
}

TEST_F(HttpApiTest, StopEndsOpenStreamsPromptly) {
  StreamReader events(server_->port(), "/v1/event/stream",
                      [](const std::string&) { return false; });
  std::this_thread::sleep_for(200ms);
  const auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

}  // namespace
}  // namespace pot::agent
