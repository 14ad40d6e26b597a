// A potd agent process over real pots in the test's own root, with the busybox httpd
// image served by `pot registry serve`, driven through its HTTP API as a script written
// for Nomad would drive it. Shared by the agent's and the services' suites.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>

#include <httplib.h>

#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "harness.h"
#include "net_harness.h"

namespace potit {

using Json = nlohmann::ordered_json;
constexpr const char* kPotdImageTag = "1.0";

class PotdFixture : public PotTest {
 public:
  static void TearDownTestSuite() {
    registry_server().reset();
    image_url().clear();
    PotTest::TearDownTestSuite();
  }

 protected:
  void SetUp() override {
    PotTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    shared_client_network();
    if (image_url().empty()) make_image();
    data_dir_ = root().tmp() / unique_name("potd");
  }

  void TearDown() override {
    // Whatever a test left running: jobs purged through the agent, then the agent stopped.
    if (agent_) {
      for (const auto& job : get("/v1/jobs"))
        request("DELETE", "/v1/job/" + job["ID"].get<std::string>() + "?purge=true");
      wait_until([&] { return live_pots().empty(); }, 30000, 100);
      stop_agent();
    }
    PotTest::TearDown();
  }

  std::vector<std::string> root_env() const override {
    return {"POT_NETWORK=10.126.0.0/16", "POT_GATEWAY=10.126.0.1",
            std::string("POT_EXTIF=") + ClientNetwork::kHostInterface};
  }

  static std::string& image_url() {
    static std::string url;
    return url;
  }
  static std::unique_ptr<Background>& registry_server() {
    static std::unique_ptr<Background> server;
    return server;
  }
  static std::string& image_pot() {
    static std::string name;
    return name;
  }

  // busybox httpd serving /www/index.html, exported and served by `pot registry serve`.
  void make_image() {
    ServedImage image = serve_httpd_image(root(), unique_name("potdimg"), kPotdImageTag);
    registry_server() = std::move(image.server);
    image_url() = image.url;
    image_pot() = image.pot;
  }

  // The agent on port 0 for each of its listeners (Nomad API, Consul API, DNS); the ports it
  // took are read from its banner.
  void start_agent(const std::vector<std::string>& extra_args = {}) {
    static int run = 0;
    ++run;
    std::vector<std::string> argv = {
        POTD_BINARY, "agent",     "-http-port",       "0",     "-consul-port", "0", "-dns-port",
        "0",         "-data-dir", data_dir_.string(), "-node", "potd-test"};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    agent_ = std::make_unique<Background>(argv, root().env(),
                                          root().tmp() / ("potd" + std::to_string(run) + ".out"),
                                          root().tmp() / ("potd" + std::to_string(run) + ".err"));
    std::smatch match;
    std::regex address(R"(HTTP address: 127\.0\.0\.1:([0-9]+))");
    std::string out;
    bool up = wait_until(
        [&] {
          out = agent_->out();
          return std::regex_search(out, match, address) || !agent_->running();
        },
        20000, 20);
    if (!up || !std::regex_search(out, match, address))
      throw StepFailed("potd agent did not start:\n" + out + agent_->err());
    port_ = std::stoi(match[1].str());
    if (std::regex_search(out, match, std::regex(R"(Consul API: +127\.0\.0\.1:([0-9]+))")))
      consul_port_ = std::stoi(match[1].str());
    if (std::regex_search(out, match, std::regex(R"(DNS: +127\.0\.0\.1:([0-9]+))")))
      dns_port_ = std::stoi(match[1].str());
    token_ = trim(read_text(data_dir_ / "agent.token"));
  }

  void stop_agent(int sig = SIGTERM) {
    if (!agent_) return;
    agent_->kill(sig);
    agent_->wait(20000);
    agent_.reset();
  }

  struct Response {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;
  };

  Response request(const std::string& method, const std::string& path, const Json& body = Json(),
                   bool with_token = true) {
    httplib::Client client("127.0.0.1", port_);
    client.set_read_timeout(60, 0);
    httplib::Headers headers;
    if (with_token) headers.emplace("X-Nomad-Token", token_);
    std::string text = body.is_null() ? "" : body.dump();
    httplib::Result result = method == "GET"   ? client.Get(path, headers)
                             : method == "PUT" ? client.Put(path, headers, text, "application/json")
                             : method == "POST"
                                 ? client.Post(path, headers, text, "application/json")
                                 : client.Delete(path, headers);
    Response out;
    if (!result) return out;
    out.status = result->status;
    out.body = result->body;
    for (const auto& [key, value] : result->headers) out.headers[key] = value;
    return out;
  }

  Json get(const std::string& path) {
    Response r = request("GET", path);
    if (r.status != 200)
      throw StepFailed("GET " + path + ": " + std::to_string(r.status) + " " + r.body);
    return Json::parse(r.body);
  }

  // The job file's text, parsed by the agent (`/v1/jobs/parse`), then registered.
  Json run_job(const std::string& hcl) {
    Json parse = Json::object({{"JobHCL", hcl}, {"Canonicalize", true}});
    Response parsed = request("POST", "/v1/jobs/parse", parse);
    if (parsed.status != 200) throw StepFailed("parse: " + parsed.body);
    Response registered =
        request("PUT", "/v1/jobs", Json::object({{"Job", Json::parse(parsed.body)}}));
    if (registered.status != 200) throw StepFailed("register: " + registered.body);
    return Json::parse(registered.body);
  }

  std::string web_job(const std::string& id, int count, const std::string& extra_group = "",
                      const std::string& env = "") {
    return "job \"" + id + "\" {\n  datacenters = [\"dc1\"]\n  group \"web\" {\n    count = " +
           std::to_string(count) + "\n" + extra_group +
           "    network {\n      port \"http\" {}\n    }\n"
           "    task \"server\" {\n      driver = \"pot\"\n      config {\n        image = \"" +
           image_url() + "\"\n        pot = \"" + image_pot() + "\"\n        tag = \"" +
           kPotdImageTag +
           "\"\n        command = \"httpd -f -p 80 -h /www\"\n        port_map = { http = \"80\" "
           "}\n"
           "      }\n" +
           env +
           "      resources {\n        cpu = 20\n        memory = 32\n      }\n    }\n  }\n}\n";
  }

  std::vector<Json> allocs(const std::string& job) {
    std::vector<Json> out;
    for (const auto& a : get("/v1/job/" + job + "/allocations")) out.push_back(a);
    return out;
  }
  std::vector<Json> allocs_with(const std::string& job, const std::string& client_status) {
    std::vector<Json> out;
    for (const auto& a : allocs(job))
      if (a.value("ClientStatus", "") == client_status) out.push_back(a);
    return out;
  }
  bool wait_running(const std::string& job, std::size_t count, int timeout_ms = 60000) {
    return wait_until([&] { return allocs_with(job, "running").size() == count; }, timeout_ms, 100);
  }

  int host_port(const Json& alloc_stub) {
    Json alloc = get("/v1/allocation/" + alloc_stub["ID"].get<std::string>());
    for (const auto& port : alloc["AllocatedResources"]["Shared"]["Ports"])
      if (port["Label"] == "http") return port["Value"];
    return 0;
  }

  // The pots of the root that are not the image: the tasks'.
  std::set<std::string> live_pots() {
    std::set<std::string> out;
    for (const auto& name : dir_entries(root().fs_root() / "jails"))
      if (name[0] != '.' && name.find(std::string("_") + kPotdImageTag) == std::string::npos)
        out.insert(name);
    return out;
  }

  fs::path data_dir_;
  std::unique_ptr<Background> agent_;
  int port_ = 0;
  int consul_port_ = 0;
  int dns_port_ = 0;
  std::string token_;
};

}  // namespace potit
