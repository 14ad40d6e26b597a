// potd's services end to end: a job's `service` blocks with real checks against real pots,
// seen the way their users see them: through Consul's HTTP API, through DNS with `dig`, and
// from inside another pot whose resolver is potd.
#include "potd_fixture.h"

namespace potit {
namespace {

constexpr const char* kGateway = "10.126.0.1";

class PotdServicesTest : public PotdFixture {
 protected:
  // Pots with the group network's `dns { servers = [gateway] }` ask potd there.
  std::vector<std::string> root_env() const override {
    std::vector<std::string> env = PotdFixture::root_env();
    env.push_back(std::string("POT_DNS_IP=") + kGateway);
    return env;
  }

  Json consul(const std::string& path) {
    httplib::Client client("127.0.0.1", consul_port_);
    client.set_read_timeout(30, 0);
    auto result = client.Get(path);
    if (!result || result->status != 200)
      throw StepFailed(
          "consul GET " + path + ": " +
          (result ? std::to_string(result->status) + " " + result->body : "no answer"));
    return Json::parse(result->body);
  }

  // `dig @127.0.0.1 -p PORT +short TYPE NAME`, one line per record.
  std::vector<std::string> dig(const std::string& type, const std::string& name,
                               const std::string& extra = "+short") {
    RunResult result = run_process({"dig", "@127.0.0.1", "-p", std::to_string(dns_port_), extra,
                                    "+time=2", "+tries=1", type, name},
                                   {base_environment(), 20, ""});
    std::vector<std::string> lines;
    std::istringstream in(result.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
    return lines;
  }

  // The web job with `service_text` inside its task.
  std::string service_job(const std::string& id, const std::string& service_text,
                          const std::string& group_extra = "") {
    return web_job(id, 1, group_extra, service_text);
  }

  std::string task_event_types(const std::string& job) {
    std::string types;
    for (const auto& stub : allocs(job)) {
      Json alloc = get("/v1/allocation/" + stub["ID"].get<std::string>());
      for (const auto& event : alloc["TaskStates"]["server"]["Events"])
        types += event.value("Type", "") + " (" + event.value("DisplayMessage", "") + ")\n";
    }
    return types;
  }
};

constexpr const char* kCheckedService = R"(
      service {
        name = "web-svc"
        port = "http"
        tags = ["v1"]
        check {
          type     = "tcp"
          interval = "1s"
          timeout  = "1s"
        }
        check {
          name     = "index"
          type     = "http"
          path     = "/index.html"
          interval = "1s"
          timeout  = "1s"
        }
        check {
          name     = "inside"
          type     = "script"
          command  = "/bin/sh"
          args     = ["-c", "test -f /www/index.html"]
          interval = "1s"
          timeout  = "5s"
        }
      }
)";

TEST_F(PotdServicesTest, ChecksPassAndTheServiceIsFoundThroughConsulAndDns) {
  start_agent();
  run_job(service_job("svc", kCheckedService,
                      "    update {\n      min_healthy_time = \"1s\"\n"
                      "      healthy_deadline = \"1m\"\n    }\n"));
  ASSERT_TRUE(wait_running("svc", 1)) << agent_->err();
  int port = host_port(allocs_with("svc", "running")[0]);

  // All three checks pass: tcp and http from the host, the script inside the pot.
  Json healthy;
  ASSERT_TRUE(wait_until(
      [&] { return (healthy = consul("/v1/health/service/web-svc?passing")).size() == 1; }, 30000,
      200))
      << consul("/v1/agent/checks").dump(2);
  EXPECT_EQ(healthy[0]["Service"]["Port"], port);
  EXPECT_EQ(healthy[0]["Service"]["Tags"], Json::array({"v1"}));
  // The service's three, and the node's serfHealth as Consul lists it.
  ASSERT_EQ(healthy[0]["Checks"].size(), 4u) << healthy.dump(2);
  int service_checks = 0;
  for (const auto& check : healthy[0]["Checks"]) {
    EXPECT_EQ(check["Status"], "passing") << check;
    if (check.value("ServiceName", "") == "web-svc") ++service_checks;
  }
  EXPECT_EQ(service_checks, 3);

  // The deployment waited for the checks (health_check "checks", Nomad's default).
  EXPECT_TRUE(
      wait_until([&] { return get("/v1/job/svc/deployment").value("Status", "") == "successful"; },
                 30000, 200))
      << get("/v1/job/svc/deployment").dump(2);

  // DNS: SRV gives the port, A the address; the page is fetched through what DNS said.
  std::vector<std::string> srv = dig("SRV", "_web-svc._tcp.service.consul");
  ASSERT_EQ(srv.size(), 1u);
  EXPECT_EQ(srv[0], "1 1 " + std::to_string(port) + " potd-test.node.dc1.consul.");
  EXPECT_EQ(dig("A", "web-svc.service.consul"), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(dig("A", "v1.web-svc.service.consul"), std::vector<std::string>{"127.0.0.1"});
  int srv_port = std::stoi(srv[0].substr(4, srv[0].find(' ', 4) - 4));
  EXPECT_EQ(http_get("127.0.0.1", srv_port, 2000), "page from the image\n");

  // Nomad's view of the same service.
  Json registrations = get("/v1/service/web-svc");
  ASSERT_EQ(registrations.size(), 1u) << registrations.dump(2);
  EXPECT_EQ(registrations[0]["Port"], port);

  // Stopped: the service leaves the catalog and DNS.
  ASSERT_EQ(request("DELETE", "/v1/job/svc").status, 200);
  EXPECT_TRUE(
      wait_until([&] { return consul("/v1/catalog/service/web-svc").empty(); }, 30000, 100));
  RunResult status = run_process({"dig", "@127.0.0.1", "-p", std::to_string(dns_port_), "+time=2",
                                  "+tries=1", "A", "web-svc.service.consul"},
                                 {base_environment(), 20, ""});
  EXPECT_NE(status.out.find("status: NXDOMAIN"), std::string::npos) << status.out;
}

TEST_F(PotdServicesTest, AFailingCheckRestartsTheTaskThroughItsRestartPolicy) {
  start_agent();
  const std::string service = R"(
      service {
        name = "broken"
        port = "http"
        check {
          type     = "http"
          path     = "/missing"
          interval = "1s"
          timeout  = "1s"
          check_restart {
            limit = 2
            grace = "1s"
          }
        }
      }
)";
  run_job(service_job("broken", service,
                      "    restart {\n      attempts = 1\n      interval = \"30m\"\n"
                      "      delay = \"1s\"\n      mode = \"fail\"\n    }\n"));
  // 404: critical; twice in a row restarts the task, once; the next time the policy is out
  // of attempts and the allocation fails.
  EXPECT_TRUE(wait_until([&] { return allocs_with("broken", "failed").size() == 1; }, 90000, 200))
      << task_event_types("broken");
  std::string events = task_event_types("broken");
  EXPECT_NE(events.find("Restart Signaled (healthcheck: check \"service: \"broken\" check\" "
                        "unhealthy)"),
            std::string::npos)
      << events;
  Json alloc = get("/v1/allocation/" + allocs("broken")[0]["ID"].get<std::string>());
  EXPECT_EQ(alloc["TaskStates"]["server"]["Restarts"], 1) << events;
  EXPECT_TRUE(wait_until([&] { return live_pots().empty(); }, 20000, 100));
  EXPECT_TRUE(consul("/v1/catalog/service/broken").empty());
}

TEST_F(PotdServicesTest, ShutdownDelayTakesTheServiceOutBeforeTheTaskIsKilled) {
  start_agent();
  const std::string service = R"(
      shutdown_delay = "4s"
      service {
        name = "draining"
        port = "http"
        check {
          type     = "tcp"
          interval = "1s"
          timeout  = "1s"
        }
      }
)";
  run_job(service_job("drain", service));
  ASSERT_TRUE(wait_running("drain", 1)) << agent_->err();
  int port = host_port(allocs_with("drain", "running")[0]);
  ASSERT_TRUE(
      wait_until([&] { return consul("/v1/catalog/service/draining").size() == 1; }, 20000, 100));
  ASSERT_EQ(request("DELETE", "/v1/job/drain").status, 200);
  ASSERT_TRUE(
      wait_until([&] { return consul("/v1/catalog/service/draining").empty(); }, 10000, 50));
  // Out of the catalog, and still serving the clients that had it.
  EXPECT_EQ(http_get("127.0.0.1", port, 1000), "page from the image\n");
  EXPECT_EQ(live_pots().size(), 1u);
  EXPECT_TRUE(wait_until([&] { return live_pots().empty(); }, 30000, 100));
}

TEST_F(PotdServicesTest, APotResolvesServicesThroughPotdOnItsGateway) {
  // Services advertised on the pots' gateway, so the address DNS gives works inside pots.
  start_agent({"-advertise", kGateway});
  run_job(service_job("svc", kCheckedService));
  ASSERT_TRUE(wait_running("svc", 1)) << agent_->err();
  int port = host_port(allocs_with("svc", "running")[0]);
  ASSERT_TRUE(wait_until([&] { return consul("/v1/health/service/web-svc?passing").size() == 1; },
                         30000, 200));

  // A batch task in another pot, resolving through potd: a .consul name and the page it
  // leads to.
  std::string client_job =
      "job \"client\" {\n  datacenters = [\"dc1\"]\n  type = \"batch\"\n"
      "  group \"c\" {\n    network {\n      dns {\n        servers = [\"" +
      std::string(kGateway) +
      "\"]\n      }\n    }\n"
      "    task \"ask\" {\n      driver = \"pot\"\n      config {\n        image = \"" +
      image_url() + "\"\n        pot = \"" + image_pot() + "\"\n        tag = \"" + kPotdImageTag +
      "\"\n        command = \"/bin/sh\"\n        args = [\"-c\", \"nslookup "
      "web-svc.service.consul; wget -q -O- http://web-svc.service.consul:" +
      std::to_string(port) +
      "/\"]\n      }\n      resources {\n        cpu = 20\n        memory = 32\n      }\n"
      "    }\n  }\n}\n";
  run_job(client_job);
  ASSERT_TRUE(wait_until(
      [&] {
        return !allocs_with("client", "complete").empty() ||
               !allocs_with("client", "failed").empty();
      },
      60000, 200));
  std::string alloc_id = allocs("client")[0]["ID"].get<std::string>();
  std::string out = read_text(data_dir_ / "allocs" / alloc_id / "alloc" / "logs" / "ask.stdout.0");
  EXPECT_NE(out.find(kGateway), std::string::npos) << out;
  EXPECT_NE(out.find("page from the image"), std::string::npos) << out;
  EXPECT_EQ(allocs_with("client", "complete").size(), 1u) << out;
}

}  // namespace
}  // namespace potit
