// What a job's `service` blocks put in the catalog: built from a real job file (parsed as
// Nomad's /v1/jobs/parse would) and the allocation the scheduler made for it.
#include "agent/client/service_registration.h"

#include <gtest/gtest.h>

#include "jobspec/jobspec.h"

namespace pot::agent {
namespace {

using Json = nlohmann::ordered_json;
using std::chrono::milliseconds;

constexpr const char* kJobFile = R"hcl(
job "shop" {
  datacenters = ["dc1"]
  group "front" {
    network {
      port "http" { to = 8080 }
      port "admin" {}
    }
    shutdown_delay = "3s"
    service {
      name = "front-admin"
      port = "admin"
      check {
        type     = "script"
        task     = "web"
        command  = "/bin/check"
        args     = ["-q", "${NOMAD_ALLOC_INDEX}"]
        interval = "20s"
        timeout  = "3s"
      }
    }
    task "web" {
      driver = "pot"
      config {
        image = "http://127.0.0.1:1/pots"
        pot   = "web"
        tag   = "1"
      }
      shutdown_delay = "5s"
      service {
        name = "web-${NOMAD_JOB_NAME}"
        port = "http"
        tags = ["v1", "dc-${NOMAD_DC}"]
        meta { version = "1" }
        check_restart {
          limit = 3
          grace = "30s"
        }
        check {
          type     = "tcp"
          interval = "5s"
          timeout  = "2s"
        }
        check {
          name     = "page"
          type     = "http"
          path     = "/health"
          method   = "POST"
          header { X-Probe = ["yes"] }
          interval = "10s"
          timeout  = "1s"
          initial_status = "warning"
          success_before_passing = 2
          failures_before_critical = 3
          check_restart { limit = 1 }
        }
      }
      service {
        port         = "http"
        address_mode = "driver"
        check {
          type         = "tcp"
          interval     = "5s"
          timeout      = "2s"
          address_mode = "driver"
        }
      }
    }
    task "sidecar" {
      driver = "pot"
      config {
        image = "http://127.0.0.1:1/pots"
        pot   = "side"
        tag   = "1"
      }
    }
  }
}
)hcl";

constexpr const char* kAllocation = R"json({
  "ID": "8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d",
  "Namespace": "default",
  "Name": "shop.front[0]",
  "JobID": "shop",
  "TaskGroup": "front",
  "AllocatedResources": {
    "Tasks": {},
    "Shared": {
      "Ports": [
        {"Label": "http", "Value": 23456, "To": 8080, "HostIP": "127.0.0.1"},
        {"Label": "admin", "Value": 20001, "To": 0, "HostIP": "127.0.0.1"}
      ]
    }
  }
})json";

struct Fixture {
  Json job = jobspec::parse_job(kJobFile, "shop.nomad", {});
  Json alloc = Json::parse(kAllocation);
  NodeInfo node;
  Json& group() { return job["TaskGroups"][0]; }
  Json& task(size_t i) { return group()["Tasks"][i]; }
  ServiceContext context(const std::string& pot_address = "10.192.0.7") {
    node.datacenter = "dc1";
    return ServiceContext{alloc, job, group(), node, "192.0.2.10", pot_address};
  }
};

TEST(ServiceRegistrationTest, TaskServicesNamesPortsAndAddresses) {
  Fixture f;
  auto regs = task_service_registrations(f.context(), f.task(0));
  ASSERT_EQ(regs.size(), 2u);
  const ServiceInstance& web = regs[0].instance;
  EXPECT_EQ(web.name, "web-shop") << "interpolated with the task's environment";
  EXPECT_EQ(web.id, "_nomad-task-8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d-web-web-shop-http");
  EXPECT_EQ(web.address, "192.0.2.10") << "host mode: the node's address";
  EXPECT_EQ(web.port, 23456) << "the allocated host port of the label";
  EXPECT_EQ(web.tags, (std::vector<std::string>{"v1", "dc-dc1"}));
  EXPECT_EQ(web.meta.at("version"), "1");
  EXPECT_EQ(web.alloc_id, "8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d");
  EXPECT_EQ(web.task, "web");
  EXPECT_EQ(web.job_id, "shop");
  EXPECT_EQ(web.group, "front");

  const ServiceInstance& driver_mode = regs[1].instance;
  EXPECT_EQ(driver_mode.name, "shop-front-web") << "Nomad's default name";
  EXPECT_EQ(driver_mode.address, "10.192.0.7") << "driver mode: the pot's own address";
  EXPECT_EQ(driver_mode.port, 8080) << "driver mode: the port inside the pot";
  ASSERT_EQ(regs[1].checks.size(), 1u);
  EXPECT_EQ(regs[1].checks[0].address, "10.192.0.7");
  EXPECT_EQ(regs[1].checks[0].port, 8080);
}

TEST(ServiceRegistrationTest, ChecksWithNomadsDefaults) {
  Fixture f;
  auto regs = task_service_registrations(f.context(), f.task(0));
  ASSERT_EQ(regs[0].checks.size(), 2u);
  const CheckDefinition& tcp = regs[0].checks[0];
  EXPECT_EQ(tcp.type, "tcp");
  EXPECT_EQ(tcp.name, "service: \"web-shop\" check");
  EXPECT_EQ(tcp.interval, milliseconds(5000));
  EXPECT_EQ(tcp.timeout, milliseconds(2000));
  EXPECT_EQ(tcp.address, "192.0.2.10");
  EXPECT_EQ(tcp.port, 23456);
  EXPECT_EQ(tcp.initial_status, CheckStatus::kCritical) << "a new check is critical";
  EXPECT_EQ(tcp.restart_limit, 3) << "the service's check_restart";
  EXPECT_EQ(tcp.restart_grace, milliseconds(30'000));
  EXPECT_EQ(tcp.task, "web");
  EXPECT_EQ(tcp.id.rfind("_nomad-check-", 0), 0u);

  const CheckDefinition& http = regs[0].checks[1];
  EXPECT_EQ(http.name, "page");
  EXPECT_EQ(http.path, "/health");
  EXPECT_EQ(http.method, "POST");
  EXPECT_EQ(http.headers.at("X-Probe"), (std::vector<std::string>{"yes"}));
  EXPECT_EQ(http.initial_status, CheckStatus::kWarning);
  EXPECT_EQ(http.success_before_passing, 2);
  EXPECT_EQ(http.failures_before_critical, 3);
  EXPECT_EQ(http.restart_limit, 1) << "the check's own check_restart wins";
  EXPECT_EQ(http.restart_grace, milliseconds(30'000))
      << "merged with the service's block, as Nomad does";
  EXPECT_NE(http.id, tcp.id);
}

TEST(ServiceRegistrationTest, IdsAreStableAcrossRegistrations) {
  Fixture f;
  auto first = task_service_registrations(f.context(), f.task(0));
  auto again = task_service_registrations(f.context(), f.task(0));
  EXPECT_EQ(first[0].instance.id, again[0].instance.id);
  EXPECT_EQ(first[0].checks[0].id, again[0].checks[0].id);
  f.alloc["ID"] = "00000000-5e6f-4a7b-9c0d-1e2f3a4b5c6d";
  auto other = task_service_registrations(f.context(), f.task(0));
  EXPECT_NE(first[0].checks[0].id, other[0].checks[0].id) << "another allocation's check";
}

TEST(ServiceRegistrationTest, GroupServicesAndScriptChecks) {
  Fixture f;
  auto regs = group_service_registrations(f.context());
  ASSERT_EQ(regs.size(), 1u);
  EXPECT_EQ(regs[0].instance.id,
            "_nomad-task-8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d-group-front-front-admin-admin");
  EXPECT_EQ(regs[0].instance.task, "");
  EXPECT_EQ(regs[0].instance.port, 20001);
  ASSERT_EQ(regs[0].checks.size(), 1u);
  const CheckDefinition& script = regs[0].checks[0];
  EXPECT_EQ(script.type, "script");
  EXPECT_EQ(script.task, "web") << "a group's script check runs in the task it names";
  EXPECT_EQ(script.command, "/bin/check");
  EXPECT_EQ(script.args, (std::vector<std::string>{"-q", "0"}));
  EXPECT_EQ(script.interval, milliseconds(20'000));

  EXPECT_TRUE(task_service_registrations(f.context(), f.task(1)).empty());
}

TEST(ServiceRegistrationTest, ChecksAndShutdownDelayOfTheGroup) {
  Fixture f;
  EXPECT_TRUE(group_has_checks(f.group()));
  EXPECT_EQ(shutdown_delay(f.group()), milliseconds(5000)) << "the longest of group and tasks";
  f.group()["Services"] = nullptr;
  f.task(0)["Services"] = nullptr;
  EXPECT_FALSE(group_has_checks(f.group()));
}

}  // namespace
}  // namespace pot::agent
