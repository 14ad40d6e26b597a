// Host ports: static ones as asked unless held or bound, dynamic ones from 20000 upwards
// without collisions, in the group `network` form and the task `resources { network }`
// form of the seed job.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "scheduler_test_util.h"

namespace {

using namespace scheduler_test;

const std::string kStaticHttp = "network {\n port \"http\" {\n static = 8080\n }\n}";

Json other_alloc_with_port(int port) {
  return {
      {"ID", "other-1"},
      {"JobID", "other"},
      {"Name", "other.o[0]"},
      {"TaskGroup", "o"},
      {"DesiredStatus", "run"},
      {"ClientStatus", "running"},
      {"AllocatedResources",
       {{"Tasks", {{"o", {{"Cpu", {{"CpuShares", 10}}}, {"Memory", {{"MemoryMB", 10}}}}}}},
        {"Shared",
         {{"Ports", {{{"Label", "x"}, {"Value", port}, {"To", 0}, {"HostIP", "10.1.2.3"}}}}}}}}};
}

std::vector<int> port_values(const Json& alloc) {
  std::vector<int> values;
  for (const auto& port : alloc["AllocatedResources"]["Shared"]["Ports"]) {
    values.push_back(port["Value"]);
  }
  return values;
}

TEST(SchedulerPorts, StaticPortIsAllocatedOnTheNodeAddress) {
  World world;
  world.submit(web_job(1, "", "network {\n port \"http\" {\n static = 8080\n to = 80\n }\n}"));
  const Plan plan = world.plan();
  ASSERT_EQ(plan.place.size(), 1u);
  const Json& shared = plan.place[0]["AllocatedResources"]["Shared"];
  EXPECT_EQ(
      shared["Ports"],
      Json::array({{{"Label", "http"}, {"Value", 8080}, {"To", 80}, {"HostIP", "10.1.2.3"}}}));
  EXPECT_EQ(shared["Networks"][0]["IP"], "10.1.2.3");
  EXPECT_EQ(shared["Networks"][0]["ReservedPorts"][0]["Value"], 8080);
}

TEST(SchedulerPorts, StaticPortHeldByAnotherAllocationCollides) {
  World world;
  world.allocs.push_back(other_alloc_with_port(8080));
  world.submit(web_job(1, "", kStaticHttp));
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.queued.at("web"), 1);
  EXPECT_EQ(plan.failed_tg_allocs.at("web")["DimensionExhausted"],
            Json({{"network: reserved port collision http=8080", 1}}));
}

TEST(SchedulerPorts, StaticPortBoundByAnotherProgramCollides) {
  World world;
  world.port_in_use = [](int port) { return port == 8080; };
  world.submit(web_job(1, "", kStaticHttp));
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.failed_tg_allocs.at("web")["DimensionExhausted"],
            Json({{"network: reserved port collision http=8080", 1}}));
}

TEST(SchedulerPorts, TwoAllocationsOfOneStaticPortCannotBothPlace) {
  World world;
  world.submit(web_job(2, "", kStaticHttp));
  const Plan plan = world.plan();
  EXPECT_EQ(plan.place.size(), 1u);
  EXPECT_EQ(plan.queued.at("web"), 1);
}

TEST(SchedulerPorts, DynamicPortsAreDistinctAndSkipPortsInUse) {
  World world;
  world.allocs.push_back(other_alloc_with_port(20001));
  world.port_in_use = [](int port) { return port == 20000 || port == 20003; };
  world.submit(
      web_job(2, "", "network {\n port \"http\" {\n to = 8080\n }\n port \"admin\" {}\n}"));
  const Plan plan = world.plan();
  ASSERT_EQ(plan.place.size(), 2u);
  std::set<int> seen;
  for (const auto& alloc : plan.place) {
    for (int value : port_values(alloc)) {
      EXPECT_GE(value, 20000);
      EXPECT_LE(value, 32000);
      EXPECT_NE(value, 20000);
      EXPECT_NE(value, 20001);
      EXPECT_NE(value, 20003);
      EXPECT_TRUE(seen.insert(value).second) << "port " << value << " given twice";
    }
  }
  EXPECT_EQ(seen, (std::set<int>{20002, 20004, 20005, 20006}));
  EXPECT_EQ(plan.place[0]["AllocatedResources"]["Shared"]["Ports"][0]["To"], 8080);

  // The ports of placed allocations stay taken for the next plan.
  world.apply(plan);
  world.submit(
      web_job(3, "", "network {\n port \"http\" {\n to = 8080\n }\n port \"admin\" {}\n}"));
  const Plan more = world.plan();
  ASSERT_EQ(more.place.size(), 1u);
  EXPECT_EQ(port_values(more.place[0]), (std::vector<int>{20007, 20008}));
}

TEST(SchedulerPorts, ManyPlacementsProbeEachPortOnce) {
  World world;
  world.node.memory_mb = 1000000;
  world.node.cpu_mhz = 1000000;
  std::map<int, int> probes;
  world.port_in_use = [&probes](int port) {
    ++probes[port];
    return port % 3 == 0;  // every third port is bound by something else
  };
  world.submit(
      web_job(300, "resources {\n cpu = 10\n memory = 10\n}", "network {\n port \"http\" {}\n}"));
  const Plan plan = world.plan();
  ASSERT_EQ(plan.place.size(), 300u);
  std::set<int> seen;
  for (const auto& alloc : plan.place) {
    const int port = port_values(alloc).at(0);
    EXPECT_NE(port % 3, 0);
    seen.insert(port);
  }
  EXPECT_EQ(seen.size(), 300u);
  for (const auto& [port, count] : probes) EXPECT_EQ(count, 1) << "port " << port;
}

TEST(SchedulerPorts, NoDynamicPortLeftFails) {
  World world;
  world.port_in_use = [](int port) { return port >= 20000; };
  world.submit(web_job(1, "", "network {\n port \"http\" {}\n}"));
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.failed_tg_allocs.at("web")["DimensionExhausted"],
            Json({{"network: dynamic port selection failed", 1}}));
}

TEST(SchedulerPorts, SeedJobGetsOneAllocationWithADynamicTaskPort) {
  World world;
  world.submit_json(jobspec::parse_job_file(POT_EXAMPLES_DIR "/seed.nomad", {}));
  const Plan plan = world.plan();
  ASSERT_EQ(plan.place.size(), 1u) << Json(plan.failed_tg_allocs).dump();
  const Json& alloc = plan.place[0];
  EXPECT_EQ(alloc["Name"], "example.example-group[0]");
  const Json& task = alloc["AllocatedResources"]["Tasks"]["nginx-pot"];
  EXPECT_EQ(task["Cpu"]["CpuShares"], 200);
  EXPECT_EQ(task["Memory"]["MemoryMB"], 128);
  // Nomad keeps the task form's ports with the task (its Networks), not in Shared.Ports;
  // `port "http" {}` maps to nothing (To 0): the driver's port_map says 80.
  const Json& network = task["Networks"][0];
  EXPECT_EQ(network["IP"], "10.1.2.3");
  EXPECT_EQ(network["MBits"], 10);
  ASSERT_EQ(network["DynamicPorts"].size(), 1u);
  EXPECT_EQ(network["DynamicPorts"][0]["Label"], "http");
  EXPECT_EQ(network["DynamicPorts"][0]["Value"], 20000);
  EXPECT_EQ(network["DynamicPorts"][0]["To"], 0);
  EXPECT_TRUE(alloc["AllocatedResources"]["Shared"]["Ports"].is_null());

  // A second job's dynamic port does not take the seed's.
  world.apply(plan);
  World other = world;
  other.versions.clear();  // another job: its own versions
  other.submit(web_job(1, "", "network {\n port \"http\" {}\n}"));
  const Plan second = other.plan();
  ASSERT_EQ(second.place.size(), 1u);
  EXPECT_EQ(port_values(second.place[0]), (std::vector<int>{20001}));
}

}  // namespace
