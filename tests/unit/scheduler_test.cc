// The one-node scheduler's reconcile: counts and names, scaling, stopping, resources,
// updates (in place, destructive, max_parallel), batch completion, rescheduling, system
// jobs and the features potd refuses.
#include <gtest/gtest.h>

#include "scheduler_test_util.h"

namespace {

using namespace scheduler_test;
using pot::agent::alloc_terminal;
using pot::agent::unsupported_features;

TEST(SchedulerPlace, CountAllocationsGetNamesIndexesAndCompleteDocuments) {
  World world;
  world.submit(web_job(3));
  const Plan plan = world.plan();

  ASSERT_EQ(plan.place.size(), 3u);
  EXPECT_EQ(names_of(plan.place),
            (std::vector<std::string>{"web.web[0]", "web.web[1]", "web.web[2]"}));
  const Json& alloc = plan.place[0];
  EXPECT_EQ(alloc["ID"], "alloc-1");
  EXPECT_EQ(alloc["Namespace"], "default");
  EXPECT_EQ(alloc["EvalID"], "eval-1");
  EXPECT_EQ(alloc["NodeID"], "node-1");
  EXPECT_EQ(alloc["NodeName"], "potd");
  EXPECT_EQ(alloc["JobID"], "web");
  EXPECT_EQ(alloc["JobVersion"], 0);
  EXPECT_EQ(alloc["TaskGroup"], "web");
  EXPECT_EQ(alloc["DesiredStatus"], "run");
  EXPECT_EQ(alloc["ClientStatus"], "pending");
  EXPECT_EQ(alloc["PreviousAllocation"], "");
  EXPECT_TRUE(alloc["RescheduleTracker"].is_null());
  EXPECT_EQ(alloc["CreateTime"], world.now_ns);
  const Json& task = alloc["AllocatedResources"]["Tasks"]["web"];
  EXPECT_EQ(task["Cpu"]["CpuShares"], 100);    // Nomad's default cpu
  EXPECT_EQ(task["Memory"]["MemoryMB"], 300);  // and memory
  EXPECT_EQ(task["Memory"]["MemoryMaxMB"], 0);
  EXPECT_EQ(plan.queued.at("web"), 0);
  EXPECT_EQ(plan.desired_tg_updates["web"]["Place"], 3);
  EXPECT_TRUE(plan.failed_tg_allocs.empty());
  EXPECT_TRUE(plan.stop.empty());
}

TEST(SchedulerPlace, PlanningAgainChangesNothing) {
  World world;
  world.submit(web_job(2));
  world.plan_and_apply();
  const Plan again = world.plan();
  EXPECT_TRUE(again.place.empty());
  EXPECT_TRUE(again.stop.empty());
  EXPECT_TRUE(again.update_in_place.empty());
  EXPECT_EQ(again.desired_tg_updates["web"]["Ignore"], 2);
}

TEST(SchedulerScale, UpKeepsExistingAllocationsAndFillsTheLowestFreeIndexes) {
  World world;
  world.submit(web_job(3));
  world.plan_and_apply();
  // The user stops web[1]; then the job is scaled to 4.
  world.allocs[1]["DesiredStatus"] = "stop";
  world.allocs[1]["ClientStatus"] = "complete";
  world.submit(web_job(4));
  const Plan plan = world.plan();

  EXPECT_EQ(names_of(plan.place), (std::vector<std::string>{"web.web[1]", "web.web[3]"}));
  EXPECT_TRUE(plan.stop.empty());
  // Only the count changed: the two that run move to version 1 where they are.
  ASSERT_EQ(plan.update_in_place.size(), 2u);
  EXPECT_EQ(plan.update_in_place[0]["JobVersion"], 1);
  EXPECT_EQ(plan.place[0]["JobVersion"], 1);
}

TEST(SchedulerScale, DownStopsTheHighestIndexes) {
  World world;
  world.submit(web_job(3));
  world.plan_and_apply();
  world.submit(web_job(1));
  const Plan plan = world.plan();

  ASSERT_EQ(plan.stop.size(), 2u);
  EXPECT_EQ(stopped_ids(plan), (std::vector<std::string>{"alloc-2", "alloc-3"}));
  EXPECT_EQ(plan.stop[0].description, "alloc not needed due to job update");
  EXPECT_TRUE(plan.place.empty());
  world.apply(plan);
  EXPECT_EQ(world.live_names(), (std::vector<std::string>{"web.web[0]"}));
}

TEST(SchedulerStop, StoppedJobStopsEveryAllocation) {
  World world;
  world.submit(web_job(2));
  world.plan_and_apply();
  Json stopped = world.job;
  stopped["Stop"] = true;
  world.submit_json(stopped);
  const Plan plan = world.plan();

  ASSERT_EQ(stopped_ids(plan), (std::vector<std::string>{"alloc-1", "alloc-2"}));
  EXPECT_EQ(plan.stop[0].description, "alloc not needed as job is stopped");
  EXPECT_TRUE(plan.place.empty());
  EXPECT_EQ(plan.desired_tg_updates["web"]["Stop"], 2);
}

TEST(SchedulerStop, PurgedJobStopsEveryAllocation) {
  World world;
  world.submit(web_job(2));
  world.plan_and_apply();
  world.job = nullptr;
  world.purged_id = "web";
  const Plan plan = world.plan();
  EXPECT_EQ(stopped_ids(plan), (std::vector<std::string>{"alloc-1", "alloc-2"}));
  EXPECT_TRUE(plan.place.empty());
}

TEST(SchedulerResources, MemoryExhaustedLeavesTheRestQueuedWithTheReason) {
  World world;
  world.node.memory_mb = 1000;
  world.node.reserved_memory_mb = 100;  // 900 left: three of 300
  world.submit(web_job(5));
  const Plan plan = world.plan();

  EXPECT_EQ(plan.place.size(), 3u);
  EXPECT_EQ(plan.queued.at("web"), 2);
  ASSERT_TRUE(plan.failed_tg_allocs.count("web"));
  const Json& metric = plan.failed_tg_allocs.at("web");
  EXPECT_EQ(metric["NodesEvaluated"], 1);
  EXPECT_EQ(metric["NodesExhausted"], 1);
  EXPECT_EQ(metric["DimensionExhausted"], Json({{"memory", 1}}));
  EXPECT_EQ(metric["CoalescedFailures"], 1);
}

TEST(SchedulerResources, CpuHeldByAnotherJobsAllocationCounts) {
  World world;
  world.node.cpu_mhz = 1000;
  // Another job's running allocation holds 850 MHz.
  world.allocs.push_back(
      {{"ID", "other-1"},
       {"JobID", "other"},
       {"Name", "other.o[0]"},
       {"TaskGroup", "o"},
       {"DesiredStatus", "run"},
       {"ClientStatus", "running"},
       {"AllocatedResources",
        {{"Tasks", {{"o", {{"Cpu", {{"CpuShares", 850}}}, {"Memory", {{"MemoryMB", 10}}}}}}}}}});
  world.submit(web_job(2));
  const Plan plan = world.plan();

  EXPECT_EQ(plan.place.size(), 1u);
  EXPECT_EQ(plan.queued.at("web"), 1);
  EXPECT_EQ(plan.failed_tg_allocs.at("web")["DimensionExhausted"], Json({{"cpu", 1}}));

  // Once the other allocation has finished, the blocked placement fits.
  world.apply(plan);
  world.allocs[0]["ClientStatus"] = "complete";
  EXPECT_EQ(names_of(world.plan().place), (std::vector<std::string>{"web.web[1]"}));
}

TEST(SchedulerResources, TaskResourcesAndMemoryMaxAreAllocated) {
  World world;
  world.submit(web_job(1, "resources {\n cpu = 250\n memory = 64\n memory_max = 128\n}"));
  const Plan plan = world.plan();
  ASSERT_EQ(plan.place.size(), 1u);
  const Json& task = plan.place[0]["AllocatedResources"]["Tasks"]["web"];
  EXPECT_EQ(task["Cpu"]["CpuShares"], 250);
  EXPECT_EQ(task["Memory"]["MemoryMB"], 64);
  EXPECT_EQ(task["Memory"]["MemoryMaxMB"], 128);
}

TEST(SchedulerUpdate, CountOrJobMetaIsInPlaceAndTaskChangeIsDestructive) {
  World world;
  world.submit(web_job(2));
  world.plan_and_apply();

  world.submit(web_job(3, "", "", "meta {\n team = \"a\"\n}"));
  const Plan in_place = world.plan_and_apply();
  EXPECT_EQ(in_place.update_in_place.size(), 2u);
  EXPECT_EQ(names_of(in_place.place), (std::vector<std::string>{"web.web[2]"}));
  EXPECT_TRUE(in_place.stop.empty());
  EXPECT_FALSE(in_place.more_updates_pending);

  world.submit(web_job(3, "env {\n MODE = \"fast\"\n}", "", "meta {\n team = \"a\"\n}"));
  const Plan destructive = world.plan();
  EXPECT_TRUE(destructive.update_in_place.empty());
  EXPECT_EQ(destructive.desired_tg_updates["web"]["DestructiveUpdate"], 1);  // max_parallel 1
  ASSERT_EQ(destructive.stop.size(), 1u);
  EXPECT_EQ(destructive.stop[0].description, "alloc is being updated due to job update");
  ASSERT_EQ(destructive.place.size(), 1u);
  EXPECT_EQ(destructive.place[0]["PreviousAllocation"], destructive.stop[0].alloc_id);
  EXPECT_EQ(destructive.place[0]["JobVersion"], 2);
  EXPECT_TRUE(destructive.more_updates_pending);
}

TEST(SchedulerUpdate, AnAllocationOfAnUnknownVersionIsReplaced) {
  World world;
  world.submit(web_job(1, "", "update {\n max_parallel = 0\n}"));
  world.plan_and_apply();
  world.submit(web_job(1, "", "update {\n max_parallel = 0\n}"));
  world.versions.erase(0);
  const Plan plan = world.plan();
  EXPECT_EQ(plan.place.size(), 1u);
  EXPECT_EQ(plan.stop.size(), 1u);
}

TEST(SchedulerUpdate, MaxParallelOneReplacesOneAllocationAtATime) {
  World world;
  const std::string update = "update {\n max_parallel = 1\n}";
  world.submit(web_job(3, "", update));
  world.plan_and_apply();
  for (auto& alloc : world.allocs) alloc["DeploymentStatus"] = {{"Healthy", true}};
  world.submit(web_job(3, "env {\n V = \"2\"\n}", update));

  for (int round = 0; round < 3; ++round) {
    const Plan step = world.plan_and_apply();
    ASSERT_EQ(step.place.size(), 1u) << "round " << round;
    ASSERT_EQ(step.stop.size(), 1u);
    EXPECT_EQ(step.more_updates_pending, round < 2);
    // The new allocation is not healthy yet: nothing more moves.
    const Plan waiting = world.plan();
    EXPECT_TRUE(waiting.place.empty());
    EXPECT_TRUE(waiting.stop.empty());
    EXPECT_EQ(waiting.more_updates_pending, round < 2);
    world.by_id(step.place[0]["ID"])["DeploymentStatus"] = {{"Healthy", true}};
  }
  EXPECT_EQ(world.live_names(),
            (std::vector<std::string>{"web.web[0]", "web.web[1]", "web.web[2]"}));
  for (const auto& alloc : world.allocs) {
    if (!alloc_terminal(alloc)) {
      EXPECT_EQ(alloc["JobVersion"], 1);
    }
  }
  const Plan done = world.plan();
  EXPECT_TRUE(done.place.empty());
  EXPECT_FALSE(done.more_updates_pending);
}

TEST(SchedulerUpdate, MaxParallelZeroReplacesAllAtOnce) {
  World world;
  const std::string update = "update {\n max_parallel = 0\n}";
  world.submit(web_job(3, "", update));
  world.plan_and_apply();
  world.submit(web_job(3, "env {\n V = \"2\"\n}", update));
  const Plan plan = world.plan();
  EXPECT_EQ(plan.place.size(), 3u);
  EXPECT_EQ(plan.stop.size(), 3u);
  EXPECT_FALSE(plan.more_updates_pending);
}

TEST(SchedulerUpdate, DestructiveUpdateReusesTheStaticPortOfTheAllocationItReplaces) {
  World world;
  const std::string network = "network {\n port \"http\" {\n static = 8080\n }\n}";
  world.submit(web_job(1, "", network));
  world.plan_and_apply();
  // The old pot still listens while it stops: the probe says the port is in use.
  world.port_in_use = [](int port) { return port == 8080; };
  world.submit(web_job(1, "env {\n V = \"2\"\n}", network));
  const Plan plan = world.plan();
  ASSERT_EQ(plan.place.size(), 1u) << Json(plan.failed_tg_allocs).dump();
  EXPECT_EQ(plan.place[0]["AllocatedResources"]["Shared"]["Ports"][0]["Value"], 8080);
  EXPECT_EQ(plan.stop.size(), 1u);
}

TEST(SchedulerBatch, CompletedAllocationsAreNotReplaced) {
  World world;
  world.submit(
      "job \"b\" {\n type = \"batch\"\n group \"g\" {\n count = 2\n task \"web\" {\n"
      " driver = \"pot\"\n config {\n pot = \"b\"\n }\n }\n }\n}\n");
  world.plan_and_apply();
  world.allocs[0]["ClientStatus"] = "complete";
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_TRUE(plan.stop.empty());

  // A service whose allocation completed is run again.
  World service;
  service.submit(web_job(1));
  service.plan_and_apply();
  service.allocs[0]["ClientStatus"] = "complete";
  EXPECT_EQ(names_of(service.plan().place), (std::vector<std::string>{"web.web[0]"}));
}

TEST(SchedulerBatch, SysbatchRunsAgainOnlyWhenItsTasksChange) {
  World world;
  const std::string job =
      "job \"sb\" {\n type = \"sysbatch\"\n group \"g\" {\n task \"web\" {\n"
      " driver = \"pot\"\n config {\n pot = \"b\"\n }\n %s }\n }\n}\n";
  auto with = [&](const std::string& extra) {
    std::string text = job;
    text.replace(text.find("%s"), 2, extra);
    return text;
  };
  world.submit(with(""));
  world.plan_and_apply();
  world.allocs[0]["ClientStatus"] = "complete";
  EXPECT_TRUE(world.plan().place.empty());
  world.submit(with("env {\n RUN = \"2\"\n}\n"));
  EXPECT_EQ(names_of(world.plan().place), (std::vector<std::string>{"sb.g[0]"}));
}

TEST(SchedulerScale, GroupRemovedFromTheJobIsStopped) {
  World world;
  world.submit(web_job(1));
  world.plan_and_apply();
  std::string renamed = web_job(1);
  renamed.replace(renamed.find("group \"web\""), 11, "group \"api\"");
  world.submit(renamed);
  const Plan plan = world.plan();
  ASSERT_EQ(stopped_ids(plan), (std::vector<std::string>{"alloc-1"}));
  EXPECT_EQ(plan.stop[0].description, "alloc not needed due to job update");
  EXPECT_EQ(names_of(plan.place), (std::vector<std::string>{"web.api[0]"}));
}

TEST(SchedulerReschedule, FailedServiceAllocationWaitsForItsDelayThenIsReplaced) {
  World world;
  world.submit(web_job(1));
  world.plan_and_apply();
  const int64_t failed_at = world.now_ns;
  world.fail("alloc-1");

  world.now_ns = failed_at + 1 * kSecond;
  const Plan early = world.plan();
  EXPECT_TRUE(early.place.empty());
  ASSERT_TRUE(early.follow_up_at.has_value());
  EXPECT_EQ(*early.follow_up_at, failed_at + 30 * kSecond);  // service: 30s first

  world.now_ns = failed_at + 30 * kSecond;
  const Plan now = world.plan_and_apply();
  ASSERT_EQ(now.place.size(), 1u);
  const Json& replacement = now.place[0];
  EXPECT_EQ(replacement["Name"], "web.web[0]");
  EXPECT_EQ(replacement["PreviousAllocation"], "alloc-1");
  const Json& event = replacement["RescheduleTracker"]["Events"][0];
  EXPECT_EQ(event["PrevAllocID"], "alloc-1");
  EXPECT_EQ(event["PrevNodeID"], "node-1");
  EXPECT_EQ(event["Delay"], 30 * kSecond);
  EXPECT_EQ(event["RescheduleTime"], world.now_ns);
  ASSERT_EQ(now.next_allocation.size(), 1u);
  EXPECT_EQ(now.next_allocation[0],
            std::make_pair(std::string("alloc-1"), std::string(replacement["ID"])));
  EXPECT_EQ(now.stop[0].description, "alloc was rescheduled because it failed");

  // Once replaced, the failed allocation is not rescheduled again.
  EXPECT_TRUE(world.plan().place.empty());

  // The replacement fails too: exponential, the next delay is 60s.
  world.fail(replacement["ID"]);
  const Plan second = world.plan();
  ASSERT_TRUE(second.follow_up_at.has_value());
  EXPECT_EQ(*second.follow_up_at, world.now_ns + 60 * kSecond);
}

TEST(SchedulerReschedule, BatchAllowsOneAttemptPerDay) {
  World world;
  world.submit(
      "job \"b\" {\n type = \"batch\"\n group \"g\" {\n task \"web\" {\n"
      " driver = \"pot\"\n config {\n pot = \"b\"\n }\n }\n }\n}\n");
  world.plan_and_apply();
  world.fail("alloc-1");
  world.now_ns += 5 * kSecond;  // batch: 5s constant
  const Plan first = world.plan_and_apply();
  ASSERT_EQ(first.place.size(), 1u);
  world.fail(first.place[0]["ID"]);
  world.now_ns += 3600 * kSecond;
  const Plan second = world.plan();
  EXPECT_TRUE(second.place.empty());
  EXPECT_FALSE(second.follow_up_at.has_value());
}

TEST(SchedulerSystem, SystemJobRunsOneAllocationOnTheNode) {
  World world;
  world.submit(
      "job \"s\" {\n type = \"system\"\n group \"g\" {\n count = 3\n task \"web\" {\n"
      " driver = \"pot\"\n config {\n pot = \"s\"\n }\n }\n }\n}\n");
  const Plan plan = world.plan();
  EXPECT_EQ(names_of(plan.place), (std::vector<std::string>{"s.g[0]"}));
}

TEST(SchedulerSystem, SystemJobOnANodeItDoesNotMatchIsNotAFailure) {
  World world;
  world.submit(
      "job \"s\" {\n type = \"system\"\n constraint {\n attribute = \"${attr.kernel.name}\"\n"
      " value = \"freebsd\"\n }\n group \"g\" {\n task \"web\" {\n"
      " driver = \"pot\"\n config {\n pot = \"s\"\n }\n }\n }\n}\n");
  const Plan plan = world.plan();
  EXPECT_TRUE(plan.place.empty());
  EXPECT_TRUE(plan.failed_tg_allocs.empty());
  EXPECT_EQ(plan.queued.at("g"), 0);
}

TEST(SchedulerUnsupported, MessagesNameTheGroupTaskAndFeature) {
  const Json job = jobspec::parse_job(R"(
job "j" {
  group "api" {
    volume "data" {
      type            = "csi"
      source          = "vol"
      attachment_mode = "file-system"
      access_mode     = "single-node-writer"
    }
    network {
      mode = "bridge"
    }
    service {
      name = "api"
      port = "9090"
      connect {
        sidecar_service {}
      }
    }
    task "web" {
      driver = "docker"
      config {
        image = "nginx"
      }
      template {
        data        = "x"
        destination = "local/x"
      }
      artifact {
        source = "https://example.invalid/x.tgz"
      }
    }
  }
}
)",
                                      "t.nomad", {});
  const std::vector<std::string> messages = unsupported_features(job);
  auto has = [&](const std::string& text) {
    for (const auto& message : messages) {
      if (message.find(text) != std::string::npos) return true;
    }
    return false;
  };
  EXPECT_TRUE(has("task `web`: driver `docker` is not supported by potd (only `pot`)"));
  EXPECT_TRUE(has("group `api`: connect sidecars are not supported"));
  EXPECT_TRUE(has("group `api`: CSI volume `data` is not supported"));
  EXPECT_TRUE(has("task `web`: `template` is not supported"));
  EXPECT_TRUE(has("task `web`: `artifact` is not supported"));
  EXPECT_EQ(messages.size(), 5u);
}

TEST(SchedulerUnsupported, SeedJobAndLifecycleSidecarsAreSupported) {
  const Json seed = jobspec::parse_job_file(POT_EXAMPLES_DIR "/seed.nomad", {});
  EXPECT_TRUE(unsupported_features(seed).empty());
  World world;
  const Json& job =
      world.submit(web_job(1, "lifecycle {\n hook = \"prestart\"\n sidecar = true\n}"));
  EXPECT_TRUE(unsupported_features(job).empty());
}

}  // namespace
