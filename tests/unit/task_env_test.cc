// The NOMAD_* environment of a task, built from a real job file (parsed as Nomad's
// /v1/jobs/parse would) and the allocation the scheduler made for it, and the task's `env`
// block interpolated from it.
#include "agent/client/task_env.h"

#include <gtest/gtest.h>

#include "jobspec/jobspec.h"

namespace pot::agent {
namespace {

using Json = nlohmann::ordered_json;
using Env = std::map<std::string, std::string>;

constexpr const char* kJobFile = R"hcl(
job "web" {
  datacenters = ["dc1"]
  meta {
    owner = "ops"
    tier  = "job"
  }
  group "frontend" {
    count = 2
    meta {
      tier = "group"
    }
    network {
      port "http" {
        to = 8080
      }
      port "admin" {
        static = 9000
      }
    }
    task "server" {
      driver = "pot"
      config {
        image = "http://127.0.0.1:1/pots"
        pot   = "nginx"
        tag   = "1.0"
      }
      meta = {
        tier       = "task"
        "build-id" = "42"
      }
      env {
        LISTEN  = "${NOMAD_IP_http}:${NOMAD_PORT_http}"
        KERNEL  = "${attr.kernel.name}"
        NODE    = "${node.unique.id} in ${node.datacenter}"
        OWNER   = "${NOMAD_META_owner}"
        UNKNOWN = "${foo.bar}"
        PLAIN   = "no references"
      }
      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
      }
    }
  }
}
)hcl";

constexpr const char* kAllocation = R"json({
  "ID": "8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d",
  "Name": "web.frontend[1]",
  "Namespace": "default",
  "JobID": "web",
  "TaskGroup": "frontend",
  "AllocatedResources": {
    "Tasks": {
      "server": {
        "Cpu": {"CpuShares": 500},
        "Memory": {"MemoryMB": 256, "MemoryMaxMB": 512},
        "Networks": null
      }
    },
    "Shared": {
      "Ports": [
        {"Label": "http", "Value": 23456, "To": 8080, "HostIP": "127.0.0.1"},
        {"Label": "admin", "Value": 9000, "To": 0, "HostIP": "127.0.0.1"}
      ],
      "Networks": null
    }
  }
})json";

NodeInfo test_node() {
  NodeInfo node;
  node.id = "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f";
  node.datacenter = "dc1";
  node.attributes = {{"kernel.name", "linux"}, {"cpu.arch", "amd64"}};
  node.meta = {{"rack", "r1"}};
  return node;
}

struct Fixture {
  Json job = jobspec::parse_job(kJobFile, "web.nomad", {});
  Json alloc = Json::parse(kAllocation);
  Json& task() { return job["TaskGroups"][0]["Tasks"][0]; }
  Env env() { return task_environment(alloc, job, "frontend", task(), test_node()); }
};

std::string at(const Env& env, const std::string& name) {
  auto it = env.find(name);
  return it != env.end() ? it->second : "<unset>";
}

TEST(TaskEnvTest, NamesIdsAndPlaces) {
  Fixture f;
  Env env = f.env();
  EXPECT_EQ(at(env, "NOMAD_ALLOC_ID"), "8d3c1a2b-5e6f-4a7b-9c0d-1e2f3a4b5c6d");
  EXPECT_EQ(at(env, "NOMAD_SHORT_ALLOC_ID"), "8d3c1a2b");
  EXPECT_EQ(at(env, "NOMAD_ALLOC_NAME"), "web.frontend[1]");
  EXPECT_EQ(at(env, "NOMAD_ALLOC_INDEX"), "1");
  EXPECT_EQ(at(env, "NOMAD_JOB_ID"), "web");
  EXPECT_EQ(at(env, "NOMAD_JOB_NAME"), "web");
  EXPECT_EQ(env.count("NOMAD_JOB_PARENT_ID"), 0u);
  EXPECT_EQ(at(env, "NOMAD_GROUP_NAME"), "frontend");
  EXPECT_EQ(at(env, "NOMAD_TASK_NAME"), "server");
  EXPECT_EQ(at(env, "NOMAD_ALLOC_DIR"), "/alloc");
  EXPECT_EQ(at(env, "NOMAD_TASK_DIR"), "/local");
  EXPECT_EQ(at(env, "NOMAD_SECRETS_DIR"), "/secrets");
  EXPECT_EQ(at(env, "NOMAD_DC"), "dc1");
  EXPECT_EQ(at(env, "NOMAD_REGION"), "global");
  EXPECT_EQ(at(env, "NOMAD_NAMESPACE"), "default");
}

TEST(TaskEnvTest, ParentIdOfADispatchedOrPeriodicChild) {
  Fixture f;
  f.job["ParentID"] = "web-batch";
  f.job["ID"] = "web-batch/periodic-1700000000";
  f.alloc.erase("JobID");
  Env env = f.env();
  EXPECT_EQ(at(env, "NOMAD_JOB_PARENT_ID"), "web-batch");
  EXPECT_EQ(at(env, "NOMAD_JOB_ID"), "web-batch/periodic-1700000000");
}

TEST(TaskEnvTest, LimitsFromTheAllocationElseTheTask) {
  Fixture f;
  Env env = f.env();
  EXPECT_EQ(at(env, "NOMAD_MEMORY_LIMIT"), "256");
  EXPECT_EQ(at(env, "NOMAD_MEMORY_MAX_LIMIT"), "512");
  EXPECT_EQ(at(env, "NOMAD_CPU_LIMIT"), "500");

  f.alloc["AllocatedResources"]["Tasks"]["server"]["Memory"]["MemoryMaxMB"] = 0;
  f.alloc["AllocatedResources"]["Tasks"]["server"]["Cpu"]["CpuShares"] = 250;
  env = f.env();
  EXPECT_EQ(env.count("NOMAD_MEMORY_MAX_LIMIT"), 0u) << "only when set";
  EXPECT_EQ(at(env, "NOMAD_CPU_LIMIT"), "250");

  f.alloc.erase("AllocatedResources");
  env = f.env();
  EXPECT_EQ(at(env, "NOMAD_MEMORY_LIMIT"), "256") << "the task's own resources";
  EXPECT_EQ(at(env, "NOMAD_MEMORY_MAX_LIMIT"), "512");
}

TEST(TaskEnvTest, GroupPortsByLabel) {
  Fixture f;
  Env env = f.env();
  EXPECT_EQ(at(env, "NOMAD_PORT_http"), "8080") << "the mapped port, inside";
  EXPECT_EQ(at(env, "NOMAD_ALLOC_PORT_http"), "8080");
  EXPECT_EQ(at(env, "NOMAD_HOST_PORT_http"), "23456");
  EXPECT_EQ(at(env, "NOMAD_IP_http"), "127.0.0.1");
  EXPECT_EQ(at(env, "NOMAD_HOST_IP_http"), "127.0.0.1");
  EXPECT_EQ(at(env, "NOMAD_ADDR_http"), "127.0.0.1:23456");
  EXPECT_EQ(at(env, "NOMAD_HOST_ADDR_http"), "127.0.0.1:23456");
  EXPECT_EQ(at(env, "NOMAD_PORT_admin"), "9000") << "not mapped: the host's";
  EXPECT_EQ(at(env, "NOMAD_HOST_PORT_admin"), "9000");
}

TEST(TaskEnvTest, LegacyTaskNetworkPorts) {
  Fixture f;
  f.alloc["AllocatedResources"]["Shared"]["Ports"] = nullptr;
  f.alloc["AllocatedResources"]["Tasks"]["server"]["Networks"] = Json::parse(R"([{
      "IP": "fd00::5",
      "ReservedPorts": [{"Label": "ssh", "Value": 2222, "To": 22}],
      "DynamicPorts": [{"Label": "db", "Value": 25000, "To": 0}]
  }])");
  Env env = f.env();
  EXPECT_EQ(at(env, "NOMAD_PORT_ssh"), "22");
  EXPECT_EQ(at(env, "NOMAD_HOST_PORT_ssh"), "2222");
  EXPECT_EQ(at(env, "NOMAD_PORT_db"), "25000");
  EXPECT_EQ(at(env, "NOMAD_IP_db"), "fd00::5");
  EXPECT_EQ(at(env, "NOMAD_ADDR_db"), "[fd00::5]:25000");
  EXPECT_EQ(env.count("NOMAD_PORT_http"), 0u);
}

TEST(TaskEnvTest, MetaMergedNearestWinsUnderBothSpellings) {
  Fixture f;
  Env env = f.env();
  EXPECT_EQ(at(env, "NOMAD_META_tier"), "task");
  EXPECT_EQ(at(env, "NOMAD_META_TIER"), "task");
  EXPECT_EQ(at(env, "NOMAD_META_owner"), "ops") << "from the job";
  EXPECT_EQ(at(env, "NOMAD_META_OWNER"), "ops");
  EXPECT_EQ(at(env, "NOMAD_META_build_id"), "42") << "cleaned to a variable name";
  EXPECT_EQ(at(env, "NOMAD_META_BUILD_ID"), "42");

  f.task()["Meta"].erase("tier");
  EXPECT_EQ(at(f.env(), "NOMAD_META_tier"), "group");
}

TEST(TaskEnvTest, TaskEnvInterpolatedFromTheEnvironmentAndTheNode) {
  Fixture f;
  Env env = f.env();
  EXPECT_EQ(at(env, "LISTEN"), "127.0.0.1:8080");
  EXPECT_EQ(at(env, "KERNEL"), "linux");
  EXPECT_EQ(at(env, "NODE"), "f0e1d2c3-b4a5-4697-8879-6a5b4c3d2e1f in dc1");
  EXPECT_EQ(at(env, "OWNER"), "ops");
  EXPECT_EQ(at(env, "UNKNOWN"), "${foo.bar}") << "unknown references stay";
  EXPECT_EQ(at(env, "PLAIN"), "no references");
}

TEST(TaskEnvTest, TaskEnvCannotOverrideByReferenceOrder) {
  // A task variable sees the NOMAD_* environment, not its sibling variables, so the result
  // does not depend on the order they come in.
  Fixture f;
  f.task()["Env"] = Json{{"A", "${B}"}, {"B", "b"}};
  Env env = f.env();
  EXPECT_EQ(at(env, "A"), "${B}");
  EXPECT_EQ(at(env, "B"), "b");
}

TEST(TaskEnvTest, InterpolateRuntimeReferences) {
  NodeInfo node = test_node();
  Env env = {{"NOMAD_PORT_http", "8080"}, {"NOMAD_REGION", "eu"}, {"HOME", "/root"}};
  EXPECT_EQ(interpolate_runtime("port=${NOMAD_PORT_http}", env, node), "port=8080");
  EXPECT_EQ(interpolate_runtime("${attr.cpu.arch}/${meta.rack}", env, node), "amd64/r1");
  EXPECT_EQ(interpolate_runtime("${node.region} ${env.HOME}", env, node), "eu /root");
  EXPECT_EQ(interpolate_runtime("${attr.missing}-${meta.none}", env, node),
            "${attr.missing}-${meta.none}");
  EXPECT_EQ(interpolate_runtime("$HOME ${ ${a b} ${", env, node), "$HOME ${ ${a b} ${");
  EXPECT_EQ(interpolate_runtime("${NOMAD_PORT_http", env, node), "${NOMAD_PORT_http");
  EXPECT_EQ(interpolate_runtime("", env, node), "");
}

}  // namespace
}  // namespace pot::agent
