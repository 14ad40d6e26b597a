// The Consul-compatible HTTP API over a real service catalog and a real server on 127.0.0.1
// (port 0), asked with cpp-httplib's client and with Debian's python3-consul, a Consul
// client nobody here wrote.
#include "agent/consul/consul_http_server.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <httplib.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "agent/consul/consul_json.h"
#include "helpers/require.h"
#include "test_util.h"
#include "tool_run.h"

namespace pot::agent {
namespace {

using ::pot::testing::HasText;
using Json = nlohmann::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "consul-test-token";

CatalogNode test_node() {
  CatalogNode node;
  node.id = "6a1f0c3e-0d5b-4c3e-9d7e-2b6f1a0c9e11";
  node.name = "testnode";
  node.address = "127.0.0.1";
  node.datacenter = "dc1";
  return node;
}

CheckDefinition ttl_check(const std::string& id, CheckStatus initial = CheckStatus::kCritical) {
  CheckDefinition check;
  check.id = id;
  check.name = "check " + id;
  check.type = "ttl";
  check.ttl = 30s;
  check.initial_status = initial;
  return check;
}

class ConsulHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { start_server(kToken); }

  void start_server(const std::string& token) {
    ConsulHttpOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.threads = 4;
    options.token = token;
    server_ = std::make_unique<ConsulHttpServer>(catalog_, options);
    server_->start();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
    client_->set_read_timeout(30, 0);
  }

  // An instance of a job's task, as the allocation runner registers it.
  void register_job_instance(const std::string& id, const std::string& name,
                             std::vector<std::string> tags, CheckStatus status) {
    ServiceInstance instance;
    instance.id = id;
    instance.name = name;
    instance.tags = std::move(tags);
    instance.address = "10.1.2.3";
    instance.port = 8080;
    instance.alloc_id = "alloc-" + id;
    instance.job_id = "web";
    instance.task = "server";
    catalog_.register_instance(instance, {ttl_check("check-" + id, status)});
  }

  httplib::Result get(const std::string& path) { return client_->Get(path); }
  httplib::Result put(const std::string& path, const std::string& body = "",
                      const std::string& token = kToken) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("X-Consul-Token", token);
    return client_->Put(path, headers, body, "application/json");
  }

  static Json json_of(const httplib::Result& result) {
    EXPECT_TRUE(result) << "no answer";
    if (!result) return Json();
    EXPECT_EQ(result->status, 200) << result->body;
    EXPECT_EQ(result->get_header_value("Content-Type"), "application/json");
    return Json::parse(result->body);
  }

  static uint64_t index_of(const httplib::Result& result) {
    return std::stoull(result->get_header_value("X-Consul-Index"));
  }

  ServiceCatalog catalog_{test_node()};
  std::unique_ptr<ConsulHttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(ConsulHttpTest, CatalogServicesListsEveryNameWithItsTags) {
  register_job_instance("web-1", "web", {"blue", "v1"}, CheckStatus::kPassing);
  register_job_instance("web-2", "web", {"green", "v1"}, CheckStatus::kPassing);
  register_job_instance("db-1", "db", {}, CheckStatus::kPassing);

  auto result = get("/v1/catalog/services");
  const Json services = json_of(result);
  EXPECT_EQ(services, Json::parse(R"({"db": [], "web": ["blue", "green", "v1"]})"));
  EXPECT_EQ(index_of(result), catalog_.index());
  EXPECT_EQ(result->get_header_value("X-Consul-KnownLeader"), "true");
  EXPECT_EQ(result->get_header_value("X-Consul-LastContact"), "0");
}

TEST_F(ConsulHttpTest, CatalogServiceGivesConsulsEntryAndFiltersByTag) {
  register_job_instance("web-1", "web", {"blue"}, CheckStatus::kPassing);
  register_job_instance("web-2", "web", {"green"}, CheckStatus::kCritical);

  const Json all = json_of(get("/v1/catalog/service/web"));
  ASSERT_EQ(all.size(), 2u);
  const Json& entry = all[0];
  EXPECT_EQ(entry["ID"], test_node().id);
  EXPECT_EQ(entry["Node"], "testnode");
  EXPECT_EQ(entry["Address"], "127.0.0.1");
  EXPECT_EQ(entry["Datacenter"], "dc1");
  EXPECT_EQ(entry["ServiceID"], "web-1");
  EXPECT_EQ(entry["ServiceName"], "web");
  EXPECT_EQ(entry["ServiceAddress"], "10.1.2.3");
  EXPECT_EQ(entry["ServicePort"], 8080);
  EXPECT_EQ(entry["ServiceTags"], Json::array({"blue"}));
  EXPECT_TRUE(entry["ServiceMeta"].is_object());

  const Json green = json_of(get("/v1/catalog/service/web?tag=green"));
  ASSERT_EQ(green.size(), 1u);
  EXPECT_EQ(green[0]["ServiceID"], "web-2");
  EXPECT_EQ(json_of(get("/v1/catalog/service/nothing")), Json::array());
}

TEST_F(ConsulHttpTest, CatalogNodesAndNode) {
  register_job_instance("web-1", "web", {}, CheckStatus::kPassing);
  const Json nodes = json_of(get("/v1/catalog/nodes"));
  ASSERT_EQ(nodes.size(), 1u);
  EXPECT_EQ(nodes[0]["Node"], "testnode");
  EXPECT_EQ(nodes[0]["Address"], "127.0.0.1");

  const Json node = json_of(get("/v1/catalog/node/testnode"));
  EXPECT_EQ(node["Node"]["ID"], test_node().id);
  EXPECT_EQ(node["Services"]["web-1"]["Service"], "web");
  EXPECT_TRUE(json_of(get("/v1/catalog/node/elsewhere")).is_null());
}

TEST_F(ConsulHttpTest, HealthServiceGivesNodeServiceChecksAndPassingFilters) {
  register_job_instance("web-1", "web", {"blue"}, CheckStatus::kPassing);
  register_job_instance("web-2", "web", {"green"}, CheckStatus::kCritical);
  register_job_instance("web-3", "web", {"green"}, CheckStatus::kWarning);

  const Json all = json_of(get("/v1/health/service/web"));
  ASSERT_EQ(all.size(), 3u);
  const Json& entry = all[0];
  EXPECT_EQ(entry["Node"]["Node"], "testnode");
  EXPECT_EQ(entry["Node"]["Datacenter"], "dc1");
  EXPECT_EQ(entry["Service"]["ID"], "web-1");
  EXPECT_EQ(entry["Service"]["Service"], "web");
  EXPECT_EQ(entry["Service"]["Port"], 8080);
  EXPECT_EQ(entry["Service"]["Address"], "10.1.2.3");
  EXPECT_EQ(entry["Service"]["Tags"], Json::array({"blue"}));
  ASSERT_EQ(entry["Checks"].size(), 2u);  // the instance's check, then the node's
  const Json& check = entry["Checks"][0];
  EXPECT_EQ(check["CheckID"], "check-web-1");
  EXPECT_EQ(check["Status"], "passing");
  EXPECT_EQ(check["ServiceID"], "web-1");
  EXPECT_EQ(check["ServiceName"], "web");
  EXPECT_EQ(check["ServiceTags"], Json::array({"blue"}));
  EXPECT_EQ(check["Type"], "ttl");
  EXPECT_EQ(check["Node"], "testnode");
  EXPECT_EQ(entry["Checks"][1]["CheckID"], "serfHealth");

  for (const char* passing : {"?passing", "?passing=1", "?passing=true"}) {
    const Json healthy = json_of(get(std::string("/v1/health/service/web") + passing));
    ASSERT_EQ(healthy.size(), 1u) << passing;
    EXPECT_EQ(healthy[0]["Service"]["ID"], "web-1");
  }
  EXPECT_EQ(json_of(get("/v1/health/service/web?passing=false")).size(), 3u);
  EXPECT_EQ(json_of(get("/v1/health/service/web?tag=green")).size(), 2u);
  EXPECT_EQ(json_of(get("/v1/health/service/web?tag=green&passing")).size(), 0u);
}

TEST_F(ConsulHttpTest, HealthStateAndChecksOfService) {
  register_job_instance("web-1", "web", {}, CheckStatus::kPassing);
  register_job_instance("web-2", "web", {}, CheckStatus::kCritical);
  register_job_instance("db-1", "db", {}, CheckStatus::kWarning);

  auto ids = [](const Json& checks) {
    std::vector<std::string> out;
    for (const auto& check : checks) out.push_back(check["CheckID"]);
    return out;
  };
  EXPECT_EQ(ids(json_of(get("/v1/health/state/critical"))),
            std::vector<std::string>{"check-web-2"});
  EXPECT_EQ(ids(json_of(get("/v1/health/state/warning"))), std::vector<std::string>{"check-db-1"});
  EXPECT_EQ(ids(json_of(get("/v1/health/state/passing"))),
            (std::vector<std::string>{"check-web-1", "serfHealth"}));
  EXPECT_EQ(json_of(get("/v1/health/state/any")).size(), 4u);
  auto bad = get("/v1/health/state/sideways");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);

  EXPECT_EQ(ids(json_of(get("/v1/health/checks/web"))),
            (std::vector<std::string>{"check-web-1", "check-web-2"}));
  EXPECT_EQ(json_of(get("/v1/health/node/testnode")).size(), 4u);
}

TEST_F(ConsulHttpTest, AgentServicesChecksSelfAndLeader) {
  register_job_instance("web-1", "web", {"blue"}, CheckStatus::kPassing);

  const Json services = json_of(get("/v1/agent/services"));
  ASSERT_TRUE(services.contains("web-1"));
  EXPECT_EQ(services["web-1"]["ID"], "web-1");
  EXPECT_EQ(services["web-1"]["Service"], "web");
  EXPECT_EQ(services["web-1"]["Port"], 8080);
  EXPECT_EQ(services["web-1"]["Datacenter"], "dc1");
  EXPECT_EQ(json_of(get("/v1/agent/service/web-1"))["Service"], "web");
  auto missing = get("/v1/agent/service/nope");
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);

  const Json checks = json_of(get("/v1/agent/checks"));
  ASSERT_TRUE(checks.contains("check-web-1"));
  EXPECT_EQ(checks["check-web-1"]["Status"], "passing");
  EXPECT_EQ(checks["check-web-1"]["ServiceName"], "web");

  const Json self = json_of(get("/v1/agent/self"));
  EXPECT_EQ(self["Config"]["Datacenter"], "dc1");
  EXPECT_EQ(self["Config"]["NodeName"], "testnode");
  EXPECT_EQ(self["Config"]["NodeID"], test_node().id);
  EXPECT_EQ(self["Member"]["Name"], "testnode");

  EXPECT_EQ(json_of(get("/v1/status/leader")), "127.0.0.1:8300");
}

TEST_F(ConsulHttpTest, UnknownRoutesWrongMethodsAndOtherDatacenters) {
  auto unknown = get("/v1/kv/anything");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto wrong = client_->Delete("/v1/agent/services");
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 405);
  auto register_get = get("/v1/agent/service/register");
  ASSERT_TRUE(register_get);
  EXPECT_EQ(register_get->status, 405);
  auto other_dc = get("/v1/catalog/services?dc=dc2");
  ASSERT_TRUE(other_dc);
  EXPECT_EQ(other_dc->status, 500);
  EXPECT_EQ(other_dc->body, "No path to datacenter");
  EXPECT_EQ(json_of(get("/v1/catalog/services?dc=dc1")), Json::object());
}

TEST_F(ConsulHttpTest, WritesNeedTheToken) {
  const std::string body = R"({"Name": "api", "Port": 9000})";
  for (const std::string& token : {std::string(), std::string("wrong-token")}) {
    auto refused = put("/v1/agent/service/register", body, token);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 403) << token;
    EXPECT_EQ(refused->body, "Permission denied");
  }
  EXPECT_FALSE(catalog_.instance("api"));

  auto by_header = put("/v1/agent/service/register", body);
  ASSERT_TRUE(by_header);
  EXPECT_EQ(by_header->status, 200) << by_header->body;
  EXPECT_TRUE(catalog_.instance("api"));

  httplib::Headers bearer{{"Authorization", std::string("Bearer ") + kToken}};
  auto by_bearer = client_->Put("/v1/agent/service/deregister/api", bearer, "", "text/plain");
  ASSERT_TRUE(by_bearer);
  EXPECT_EQ(by_bearer->status, 200) << by_bearer->body;
  EXPECT_FALSE(catalog_.instance("api"));

  auto by_query =
      put(std::string("/v1/agent/service/register?token=") + kToken, body, /*token=*/"");
  ASSERT_TRUE(by_query);
  EXPECT_EQ(by_query->status, 200) << by_query->body;
  EXPECT_TRUE(catalog_.instance("api"));

  // Reads need none.
  EXPECT_TRUE(json_of(get("/v1/agent/services")).contains("api"));
}

TEST_F(ConsulHttpTest, WithoutAConfiguredTokenWritesAreOpen) {
  server_.reset();
  start_server("");
  auto result = put("/v1/agent/service/register", R"({"Name": "api"})", /*token=*/"");
  ASSERT_TRUE(result);
  EXPECT_EQ(result->status, 200) << result->body;
}

TEST_F(ConsulHttpTest, RegisterReadsServiceAndChecksThenDeregisterRemovesThem) {
  const std::string body = R"({
    "Name": "api", "ID": "api-1", "Tags": ["v2"], "Address": "127.0.0.1", "Port": 9000,
    "Meta": {"version": "2"},
    "Check": {"TTL": "15s", "Status": "passing", "Notes": "heartbeat"},
    "Checks": [
      {"Name": "port", "TCP": "127.0.0.1:9000", "Interval": "5s", "Timeout": "1s"},
      {"CheckID": "api-http", "HTTP": "http://127.0.0.1:9000/health?full=1",
       "Method": "HEAD", "Header": {"X-Probe": ["1"]}, "Interval": "1m30s",
       "SuccessBeforePassing": 2, "FailuresBeforeCritical": 3,
       "DeregisterCriticalServiceAfter": "10m"}
    ]})";
  auto result = put("/v1/agent/service/register", body);
  ASSERT_TRUE(result);
  ASSERT_EQ(result->status, 200) << result->body;

  const Json service = json_of(get("/v1/agent/service/api-1"));
  EXPECT_EQ(service["Service"], "api");
  EXPECT_EQ(service["Tags"], Json::array({"v2"}));
  EXPECT_EQ(service["Meta"], Json({{"version", "2"}}));
  EXPECT_EQ(service["Port"], 9000);

  const Json checks = json_of(get("/v1/agent/checks"));
  ASSERT_EQ(checks.size(), 3u) << checks.dump();
  // Consul's default IDs and names: "service:ID:N" among several checks.
  const Json& ttl = checks["service:api-1:1"];
  EXPECT_EQ(ttl["Type"], "ttl");
  EXPECT_EQ(ttl["Status"], "passing");  // the given initial status
  EXPECT_EQ(ttl["Notes"], "heartbeat");
  EXPECT_EQ(ttl["Name"], "Service 'api' check");
  const Json& tcp = checks["service:api-1:2"];
  EXPECT_EQ(tcp["Type"], "tcp");
  EXPECT_EQ(tcp["Name"], "port");
  EXPECT_EQ(tcp["Status"], "critical");  // critical until it passes
  EXPECT_EQ(tcp["Interval"], "5s");
  EXPECT_EQ(tcp["Timeout"], "1s");
  EXPECT_EQ(tcp["Definition"]["TCP"], "127.0.0.1:9000");
  const Json& http = checks["api-http"];
  EXPECT_EQ(http["Type"], "http");
  EXPECT_EQ(http["Interval"], "1m30s");
  EXPECT_EQ(http["Timeout"], "10s");
  EXPECT_EQ(http["Definition"]["HTTP"], "http://127.0.0.1:9000/health?full=1");

  std::optional<CheckState> definition = catalog_.check("api-http");
  ASSERT_TRUE(definition);
  EXPECT_EQ(definition->definition.method, "HEAD");
  EXPECT_EQ(definition->definition.path, "/health?full=1");
  EXPECT_EQ(definition->definition.success_before_passing, 2);
  EXPECT_EQ(definition->definition.failures_before_critical, 3);
  EXPECT_EQ(definition->definition.headers.at("X-Probe"), std::vector<std::string>{"1"});

  auto gone = put("/v1/agent/service/deregister/api-1");
  ASSERT_TRUE(gone);
  EXPECT_EQ(gone->status, 200) << gone->body;
  EXPECT_EQ(json_of(get("/v1/agent/services")), Json::object());
  EXPECT_EQ(json_of(get("/v1/agent/checks")), Json::object());

  auto unknown = put("/v1/agent/service/deregister/api-1");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_TRUE(HasText(unknown->body, "api-1"));
}

TEST_F(ConsulHttpTest, CheckRegisterAndDeregisterOnAnExternalService) {
  ASSERT_EQ(put("/v1/agent/service/register", R"({"Name": "api"})")->status, 200);
  auto added =
      put("/v1/agent/check/register", R"({"Name": "beat", "ServiceID": "api", "TTL": "10s"})");
  ASSERT_TRUE(added);
  ASSERT_EQ(added->status, 200) << added->body;
  std::optional<CheckState> check = catalog_.check("beat");
  ASSERT_TRUE(check);
  EXPECT_EQ(check->definition.instance_id, "api");

  auto no_service =
      put("/v1/agent/check/register", R"({"Name": "beat2", "ServiceID": "nope", "TTL": "10s"})");
  ASSERT_TRUE(no_service);
  EXPECT_EQ(no_service->status, 400);

  auto removed = put("/v1/agent/check/deregister/beat");
  ASSERT_TRUE(removed);
  EXPECT_EQ(removed->status, 200) << removed->body;
  EXPECT_FALSE(catalog_.check("beat"));
  EXPECT_TRUE(catalog_.instance("api"));
}

TEST_F(ConsulHttpTest, AJobsInstancesAreNotChangedThroughTheApi) {
  register_job_instance("web-1", "web", {}, CheckStatus::kPassing);

  auto deregister = put("/v1/agent/service/deregister/web-1");
  ASSERT_TRUE(deregister);
  EXPECT_EQ(deregister->status, 403);
  EXPECT_TRUE(HasText(deregister->body, "job \"web\""));
  EXPECT_TRUE(catalog_.instance("web-1"));

  auto over = put("/v1/agent/service/register", R"({"Name": "web", "ID": "web-1"})");
  ASSERT_TRUE(over);
  EXPECT_EQ(over->status, 403);
  EXPECT_FALSE(catalog_.instance("web-1")->external());

  auto steal = put("/v1/agent/service/register",
                   R"({"Name": "x", "Check": {"CheckID": "check-web-1", "TTL": "5s"}})");
  ASSERT_TRUE(steal);
  EXPECT_EQ(steal->status, 400);
  EXPECT_TRUE(HasText(steal->body, "check-web-1"));
  EXPECT_EQ(catalog_.check("check-web-1")->definition.instance_id, "web-1");
}

TEST_F(ConsulHttpTest, TtlUpdatesMoveTheStatus) {
  ASSERT_EQ(put("/v1/agent/service/register",
                R"({"Name": "api", "Checks": [{"CheckID": "beat", "TTL": "30s"},
                    {"CheckID": "port", "TCP": "127.0.0.1:1", "Interval": "10s"}]})")
                ->status,
            200);
  auto status = [&] { return catalog_.check("beat")->status; };
  EXPECT_EQ(status(), CheckStatus::kCritical);

  ASSERT_EQ(put("/v1/agent/check/pass/beat?note=fine")->status, 200);
  EXPECT_EQ(status(), CheckStatus::kPassing);
  EXPECT_EQ(catalog_.check("beat")->output, "fine");
  EXPECT_EQ(json_of(get("/v1/health/service/api?passing")).size(), 0u);  // the tcp check

  ASSERT_EQ(put("/v1/agent/check/warn/beat")->status, 200);
  EXPECT_EQ(status(), CheckStatus::kWarning);
  ASSERT_EQ(put("/v1/agent/check/fail/beat?note=down")->status, 200);
  EXPECT_EQ(status(), CheckStatus::kCritical);
  EXPECT_EQ(json_of(get("/v1/agent/checks"))["beat"]["Output"], "down");

  auto update = put("/v1/agent/check/update/beat", R"({"Status": "passing", "Output": "ok"})");
  ASSERT_TRUE(update);
  EXPECT_EQ(update->status, 200) << update->body;
  EXPECT_EQ(status(), CheckStatus::kPassing);
  EXPECT_EQ(catalog_.check("beat")->output, "ok");

  auto bad_status = put("/v1/agent/check/update/beat", R"({"Status": "fine"})");
  ASSERT_TRUE(bad_status);
  EXPECT_EQ(bad_status->status, 400);
  EXPECT_TRUE(HasText(bad_status->body, "Status"));

  auto not_ttl = put("/v1/agent/check/pass/port");
  ASSERT_TRUE(not_ttl);
  EXPECT_EQ(not_ttl->status, 400);
  EXPECT_TRUE(HasText(not_ttl->body, "does not have associated TTL"));
  EXPECT_EQ(catalog_.check("port")->status, CheckStatus::kCritical);

  auto unknown = put("/v1/agent/check/pass/nope");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);

  // Consul before 1.0 took GET for these, and older clients still send it.
  httplib::Headers token{{"X-Consul-Token", kToken}};
  auto by_get = client_->Get("/v1/agent/check/warn/beat", token);
  ASSERT_TRUE(by_get);
  EXPECT_EQ(by_get->status, 200);
  EXPECT_EQ(status(), CheckStatus::kWarning);
  auto get_without_token = get("/v1/agent/check/pass/beat");
  ASSERT_TRUE(get_without_token);
  EXPECT_EQ(get_without_token->status, 403);
}

struct BadBody {
  const char* body;
  const char* message_part;
};

TEST_F(ConsulHttpTest, BadBodiesAreRefusedNamingTheField) {
  const BadBody cases[] = {
      {"", "empty"},
      {"{", "decode"},
      {"[]", "JSON object"},
      {R"({"Port": 80})", "Missing service name"},
      {R"({"Name": 5})", "Name: expected a string"},
      {R"({"Name": "a", "Port": 70000})", "Port: expected an integer from 0 to 65535"},
      {R"({"Name": "a", "Tags": "x"})", "Tags: expected a list of strings"},
      {R"({"Name": "a", "Meta": {"k": 1}})", "Meta: expected an object of strings"},
      {R"({"Name": "a", "Check": {"TTL": "soon"}})", "Check.TTL: time: invalid duration"},
      {R"({"Name": "a", "Check": {"Notes": "x"}})", "Check.TTL: one of TTL, TCP, HTTP or GRPC"},
      {R"({"Name": "a", "Checks": [{"TTL": "1s"}, {"TCP": "host", "Interval": "1s"}]})",
       "Checks[1].TCP: expected host:port"},
      {R"({"Name": "a", "Check": {"HTTP": "ftp://x/", "Interval": "1s"}})",
       "Check.HTTP: the scheme must be http or https"},
      {R"({"Name": "a", "Check": {"TCP": "h:1"}})", "Check.Interval: required"},
      {R"({"Name": "a", "Check": {"TTL": "1s", "Status": "fine"}})", "Check.Status"},
      {R"({"Name": "a", "Check": {"Args": ["/bin/true"], "Interval": "1s"}})",
       "script checks are only run from job files"},
      {R"({"Name": "a", "Check": {"TTL": "1s", "TCP": "h:1"}})", "a check has one kind"},
      {R"({"Name": "a", "name": "b"})", "given twice"},
      {R"({"Name": "a", "Checks": [{"CheckID": "c", "TTL": "1s"}, {"ID": "c", "TTL": "1s"}]})",
       "given to two checks"},
  };
  for (const BadBody& bad : cases) {
    auto result = put("/v1/agent/service/register", bad.body);
    ASSERT_TRUE(result) << bad.body;
    EXPECT_EQ(result->status, 400) << bad.body;
    EXPECT_TRUE(HasText(result->body, bad.message_part)) << bad.body;
    EXPECT_EQ(result->body.find('\n'), std::string::npos) << result->body;
  }
  EXPECT_TRUE(catalog_.instances().empty());
}

TEST_F(ConsulHttpTest, BlockingQueryReturnsWhenTheCatalogChanges) {
  auto first = get("/v1/health/service/web");
  const uint64_t index = index_of(first);

  const auto started = std::chrono::steady_clock::now();
  auto waiting = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(30, 0);
    return client.Get(("/v1/health/service/web?index=" + std::to_string(index) + "&wait=20s"));
  });
  register_job_instance("web-1", "web", {}, CheckStatus::kPassing);
  auto answer = waiting.get();
  ASSERT_TRUE(answer);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 10s);
  EXPECT_GT(index_of(answer), index);
  EXPECT_EQ(json_of(answer).size(), 1u);
}

TEST_F(ConsulHttpTest, BlockingQueryTimesOutWithTheSameIndex) {
  register_job_instance("web-1", "web", {}, CheckStatus::kPassing);
  const uint64_t index = index_of(get("/v1/catalog/services"));
  const auto started = std::chrono::steady_clock::now();
  auto answer = get("/v1/catalog/services?index=" + std::to_string(index) + "&wait=400ms");
  ASSERT_TRUE(answer);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 400ms);
  EXPECT_EQ(index_of(answer), index);
  auto bad_wait = get("/v1/catalog/services?index=1&wait=forever");
  ASSERT_TRUE(bad_wait);
  EXPECT_EQ(bad_wait->status, 400);
}

TEST_F(ConsulHttpTest, StoppingEndsBlockingQueries) {
  const uint64_t index = catalog_.index();
  auto waiting = std::async(std::launch::async, [&] {
    httplib::Client client("127.0.0.1", server_->port());
    client.set_read_timeout(60, 0);
    return client.Get(("/v1/catalog/services?index=" + std::to_string(index) + "&wait=5m"));
  });
  // The query blocks (nothing changes)...
  ASSERT_EQ(waiting.wait_for(300ms), std::future_status::timeout);
  const auto started = std::chrono::steady_clock::now();
  server_->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - started, 5s);
  waiting.get();  // answered or cut: either way it no longer waits
}

TEST(ConsulJson, GoDurations) {
  using consul::go_duration;
  EXPECT_EQ(go_duration(0ms), "0s");
  EXPECT_EQ(go_duration(500ms), "500ms");
  EXPECT_EQ(go_duration(10s), "10s");
  EXPECT_EQ(go_duration(90s), "1m30s");
  EXPECT_EQ(go_duration(1500ms), "1.5s");
  EXPECT_EQ(go_duration(3600s), "1h0m0s");
  EXPECT_EQ(go_duration(2h + 5s), "2h0m5s");
}

TEST(ConsulJson, RegistrationFieldsInAnyCaseAndDefaults) {
  // python-consul writes lower-case names; Consul's decoder takes any case and snake_case.
  const consul::ServiceRegistration registration = consul::parse_service_registration(
      R"({"name": "web", "port": 80, "check": {"ttl": "10s", "deregister_critical_service_after": "1m"}})");
  EXPECT_EQ(registration.instance.id, "web");
  EXPECT_EQ(registration.instance.port, 80);
  EXPECT_TRUE(registration.instance.external());
  ASSERT_EQ(registration.checks.size(), 1u);
  EXPECT_EQ(registration.checks[0].id, "service:web");  // one check: no number
  EXPECT_EQ(registration.checks[0].ttl, 10s);
  EXPECT_EQ(registration.checks[0].instance_id, "web");
  EXPECT_EQ(registration.checks[0].initial_status, CheckStatus::kCritical);
}

TEST(ConsulJson, HttpAndGrpcTargets) {
  const auto registration = consul::parse_service_registration(R"({"Name": "s", "Checks": [
      {"HTTP": "https://[::1]/x", "Interval": "200ms"},
      {"GRPC": "127.0.0.1:50051/health.v1", "GRPCUseTLS": true, "Interval": "5s"}]})");
  ASSERT_EQ(registration.checks.size(), 2u);
  const CheckDefinition& http = registration.checks[0];
  EXPECT_EQ(http.protocol, "https");
  EXPECT_EQ(http.address, "::1");
  EXPECT_EQ(http.port, 443);
  EXPECT_EQ(http.path, "/x");
  EXPECT_EQ(http.interval, 1s);  // Consul's minimum
  const CheckDefinition& grpc = registration.checks[1];
  EXPECT_EQ(grpc.type, "grpc");
  EXPECT_EQ(grpc.port, 50051);
  EXPECT_EQ(grpc.grpc_service, "health.v1");
  EXPECT_TRUE(grpc.grpc_use_tls);
}

// Debian's python3-consul, run by Debian's python (the module is installed for it, not for
// other pythons on the PATH).
constexpr const char* kDebianPython = "/usr/bin/python3";

TEST_F(ConsulHttpTest, PythonConsulClientWorksUnchanged) {
  POT_REQUIRE(::access(kDebianPython, X_OK) == 0, "needs Debian's python3 (/usr/bin/python3)");
  ::pot::testing::TempDir dir("pot-consul");
  const auto in = dir / "in";
  ::pot::testing::write_text(in, "");
  const auto probe = ::pot::testing::run_tool(kDebianPython, {"-c", "import consul"}, in,
                                              dir / "probe.out", dir / "probe.err");
  POT_REQUIRE(probe.exit_code == 0,
              "needs Debian's python3-consul (apt-get install python3-consul)");

  const auto run = ::pot::testing::run_tool(
      kDebianPython, {CONSUL_PYTHON_CHECK, std::to_string(server_->port()), kToken}, in,
      dir / "out", dir / "err");
  EXPECT_EQ(run.exit_code, 0) << run.err << run.out;
  EXPECT_EQ(run.out, "ok\n") << run.err;
}

}  // namespace
}  // namespace pot::agent
