// potd end to end: a real agent process over real pots, driven through its HTTP API as a
// script written for Nomad would drive it, and checked the way a user would check: the page
// served through the allocated port, the pots that exist, each pot's init process.
#include "potd_fixture.h"

namespace potit {
namespace {

constexpr const char* kTag = kPotdImageTag;

class PotdAgentTest : public PotdFixture {};

TEST_F(PotdAgentTest, RunsAJobServesItsPageAndStopsLeavingNothing) {
  start_agent();
  Json result = run_job(web_job("web", 1));
  EXPECT_FALSE(result.value("EvalID", "").empty()) << result;
  ASSERT_TRUE(wait_running("web", 1)) << get("/v1/job/web/allocations").dump(2) << agent_->err();
  std::vector<Json> running = allocs_with("web", "running");
  int port = host_port(running[0]);
  ASSERT_GE(port, 20000);
  ASSERT_LE(port, 32000);
  std::string body;
  EXPECT_TRUE(wait_until(
      [&] { return (body = http_get("127.0.0.1", port, 500)) == "page from the image\n"; }, 10000,
      100))
      << "page from 127.0.0.1:" << port << ": `" << body << "`";
  Json job = get("/v1/job/web");
  EXPECT_EQ(job["Status"], "running");
  EXPECT_EQ(live_pots().size(), 1u);

  Response stopped = request("DELETE", "/v1/job/web");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_TRUE(wait_until([&] { return allocs_with("web", "complete").size() == 1; }, 30000, 100))
      << get("/v1/job/web/allocations").dump(2);
  EXPECT_TRUE(wait_until([&] { return live_pots().empty(); }, 10000, 100));
  EXPECT_TRUE(wait_until([&] { return get("/v1/job/web")["Status"] == "dead"; }, 5000, 50));
  // The logs stay after the allocation ended.
  fs::path logs = data_dir_ / "allocs" / running[0]["ID"].get<std::string>() / "alloc" / "logs";
  EXPECT_TRUE(fs::exists(logs / "server.stdout.0")) << dir_entries(logs).size();
}

// The commands a user types, against the agent: run follows the deployment until it is
// healthy, and the status commands show what the API holds.
TEST_F(PotdAgentTest, TheCommandLineRunsFollowsAndShows) {
  start_agent();
  fs::path job_file = root().tmp() / "cli.nomad";
  write_text(job_file, web_job("cli", 1, "    update {\n      min_healthy_time = \"1s\"\n    }\n"));
  auto potd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), POTD_BINARY);
    return run_process(args, {root().env({"NOMAD_ADDR=http://127.0.0.1:" + std::to_string(port_),
                                          "NOMAD_TOKEN=" + token_}),
                              120, ""});
  };
  RunResult run = potd({"job", "run", job_file.string()});
  ASSERT_EQ(run.code, 0) << run;
  EXPECT_NE(run.out.find("Monitoring evaluation"), std::string::npos) << run;
  EXPECT_NE(run.out.find("Deployment completed successfully"), std::string::npos) << run;

  RunResult status = potd({"job", "status", "cli"});
  ASSERT_EQ(status.code, 0) << status;
  EXPECT_NE(status.out.find("Status        = running"), std::string::npos) << status;
  std::string alloc_id = allocs_with("cli", "running").at(0)["ID"];
  EXPECT_NE(status.out.find(alloc_id.substr(0, 8)), std::string::npos) << status;

  RunResult alloc = potd({"alloc", "status", alloc_id.substr(0, 8)});
  ASSERT_EQ(alloc.code, 0) << alloc;
  EXPECT_NE(alloc.out.find("Task \"server\" is \"running\""), std::string::npos) << alloc;
  EXPECT_NE(alloc.out.find("Started"), std::string::npos) << alloc;

  RunResult node = potd({"node", "status"});
  ASSERT_EQ(node.code, 0) << node;
  EXPECT_NE(node.out.find("potd-test"), std::string::npos) << node;
  EXPECT_NE(node.out.find("ready"), std::string::npos) << node;

  RunResult stop = potd({"job", "stop", "-yes", "cli"});
  ASSERT_EQ(stop.code, 0) << stop;
  EXPECT_EQ(stop.out.find("Monitoring deployment"), std::string::npos)
      << "a stop has no deployment to follow\n"
      << stop;
  EXPECT_TRUE(wait_until([&] { return live_pots().empty(); }, 30000, 100));
  RunResult logs = potd({"alloc", "logs", "-stderr", alloc_id.substr(0, 8)});
  EXPECT_EQ(logs.code, 0) << logs;
}

TEST_F(PotdAgentTest, WritesNeedTheTokenAndReadsDoNot) {
  start_agent();
  EXPECT_EQ(request("GET", "/v1/jobs", Json(), false).status, 200);
  Response denied = request("PUT", "/v1/jobs", Json::object({{"Job", Json::object()}}), false);
  EXPECT_EQ(denied.status, 403) << denied.body;
  struct stat info {};
  ASSERT_EQ(::stat((data_dir_ / "agent.token").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST_F(PotdAgentTest, ScalesUpAndDown) {
  start_agent();
  std::string update = "    update {\n      min_healthy_time = \"1s\"\n    }\n";
  run_job(web_job("scaled", 1, update));
  ASSERT_TRUE(wait_running("scaled", 1));
  run_job(web_job("scaled", 3, update));
  ASSERT_TRUE(wait_running("scaled", 3)) << get("/v1/job/scaled/allocations").dump(2);
  // The scale-up's deployment counts the allocation that was already running.
  Json deployment;
  EXPECT_TRUE(wait_until(
      [&] {
        deployment = get("/v1/job/scaled/deployment");
        return deployment.is_object() && deployment["Status"] == "successful";
      },
      20000, 100))
      << deployment.dump(2);
  EXPECT_EQ(deployment["JobVersion"], 1);
  EXPECT_EQ(deployment["TaskGroups"]["web"]["HealthyAllocs"], 3) << deployment.dump(2);
  std::set<std::string> names;
  std::set<int> ports;
  for (const auto& alloc : allocs_with("scaled", "running")) {
    names.insert(alloc["Name"]);
    ports.insert(host_port(alloc));
  }
  EXPECT_EQ(names, (std::set<std::string>{"scaled.web[0]", "scaled.web[1]", "scaled.web[2]"}));
  EXPECT_EQ(ports.size(), 3u) << "each allocation has a port of its own";
  run_job(web_job("scaled", 1, update));
  ASSERT_TRUE(wait_until([&] { return allocs_with("scaled", "running").size() == 1; }, 30000, 100));
  EXPECT_EQ(allocs_with("scaled", "running")[0]["Name"], "scaled.web[0]");
  EXPECT_TRUE(wait_until([&] { return live_pots().size() == 1; }, 10000, 100));
}

TEST_F(PotdAgentTest, ACrashingTaskIsRestartedPerPolicyThenTheAllocationFails) {
  start_agent();
  std::string job =
      "job \"crash\" {\n  datacenters = [\"dc1\"]\n  group \"g\" {\n"
      "    restart {\n      attempts = 2\n      interval = \"1m\"\n      delay = \"1s\"\n      "
      "mode = \"fail\"\n    }\n"
      "    reschedule {\n      attempts = 0\n      unlimited = false\n    }\n"
      "    task \"t\" {\n      driver = \"pot\"\n      config {\n        image = \"" +
      image_url() + "\"\n        pot = \"" + image_pot() + "\"\n        tag = \"" + kTag +
      "\"\n        command = \"sh -c 'echo attempt; exit 3'\"\n      }\n"
      "      resources {\n        cpu = 20\n        memory = 32\n      }\n    }\n  }\n}\n";
  run_job(job);
  ASSERT_TRUE(wait_until([&] { return allocs_with("crash", "failed").size() == 1; }, 60000, 100))
      << get("/v1/job/crash/allocations").dump(2);
  Json alloc = get("/v1/allocation/" + allocs_with("crash", "failed")[0]["ID"].get<std::string>());
  const Json& state = alloc["TaskStates"]["t"];
  EXPECT_EQ(state["State"], "dead");
  EXPECT_EQ(state["Failed"], true);
  EXPECT_EQ(state["Restarts"], 2);
  std::vector<std::string> types;
  for (const auto& event : state["Events"]) types.push_back(event["Type"]);
  EXPECT_EQ(types.back(), "Not Restarting") << state.dump(2);
  EXPECT_NE(state["Events"].back()["DisplayMessage"].get<std::string>().find(
                "Exceeded allowed attempts 2 in interval 1m0s"),
            std::string::npos)
      << state.dump(2);
  EXPECT_EQ(std::count(types.begin(), types.end(), "Terminated"), 3);
  EXPECT_TRUE(wait_until([&] { return live_pots().empty(); }, 10000, 100));
}

TEST_F(PotdAgentTest, KilledAndRestartedAgentKeepsFiveAllocationsRunning) {
  start_agent();
  run_job(web_job("five", 5));
  ASSERT_TRUE(wait_running("five", 5, 90000)) << get("/v1/job/five/allocations").dump(2);
  // Each pot's init: pid and kernel start time, from the pot's own run state.
  std::map<std::string, std::pair<std::string, std::string>> inits;
  for (const auto& pot : live_pots()) {
    auto state = root().state(pot);
    inits[pot] = {state["init_pid"], state["init_start"]};
  }
  ASSERT_EQ(inits.size(), 5u);
  std::set<std::string> ids;
  for (const auto& a : allocs("five")) ids.insert(a["ID"]);

  stop_agent(SIGKILL);
  start_agent();
  // Reconciled: every allocation running again in potd's view, none restarted, none new.
  ASSERT_TRUE(wait_running("five", 5, 30000)) << get("/v1/job/five/allocations").dump(2);
  std::set<std::string> ids_after;
  for (const auto& a : allocs("five")) ids_after.insert(a["ID"]);
  EXPECT_EQ(ids_after, ids);
  for (const auto& a : allocs("five")) {
    Json alloc = get("/v1/allocation/" + a["ID"].get<std::string>());
    EXPECT_EQ(alloc["TaskStates"]["server"]["Restarts"], 0) << alloc["TaskStates"].dump(2);
  }
  std::map<std::string, std::pair<std::string, std::string>> inits_after;
  for (const auto& pot : live_pots()) {
    auto state = root().state(pot);
    inits_after[pot] = {state["init_pid"], state["init_start"]};
  }
  EXPECT_EQ(inits_after, inits) << "a pot was restarted";
  for (const auto& [pot, init] : inits) EXPECT_TRUE(process_running(std::stoi(init.first))) << pot;

  // A clean stop (SIGTERM) leaves them running too.
  stop_agent(SIGTERM);
  for (const auto& [pot, init] : inits) EXPECT_TRUE(process_running(std::stoi(init.first))) << pot;
  start_agent();
  ASSERT_TRUE(wait_running("five", 5, 30000));
}

TEST_F(PotdAgentTest, RollingUpdateReplacesOneAtATime) {
  start_agent();
  std::string update =
      "    update {\n      max_parallel = 1\n      min_healthy_time = \"1s\"\n"
      "      healthy_deadline = \"30s\"\n    }\n";
  run_job(web_job("rolling", 2, update));
  ASSERT_TRUE(wait_running("rolling", 2));
  ASSERT_TRUE(wait_until(
      [&] {
        Json d = get("/v1/job/rolling/deployment");
        return d.is_object() && d["Status"] == "successful";
      },
      30000, 100));
  run_job(web_job("rolling", 2, update, "      env {\n        VERSION = \"2\"\n      }\n"));
  // Never more than count + max_parallel allocations alive during the update.
  std::size_t most = 0;
  bool done = wait_until(
      [&] {
        std::size_t live = 0, new_running = 0;
        for (const auto& a : allocs("rolling")) {
          std::string status = a["ClientStatus"];
          if (status == "running" || status == "pending") ++live;
          if (status == "running" && a["JobVersion"] == 1) ++new_running;
        }
        most = std::max(most, live);
        Json d = get("/v1/job/rolling/deployment");
        return new_running == 2 && d["JobVersion"] == 1 && d["Status"] == "successful";
      },
      90000, 100);
  ASSERT_TRUE(done) << get("/v1/job/rolling/allocations").dump(2);
  EXPECT_LE(most, 3u);
  EXPECT_EQ(allocs_with("rolling", "complete").size(), 2u);
  Json versions = get("/v1/job/rolling/versions");
  EXPECT_EQ(versions["Versions"].size(), 2u);
}

TEST_F(PotdAgentTest, WhatDoesNotFitWaitsBlockedAndIsPlacedWhenMemoryFrees) {
  start_agent();
  Json nodes = get("/v1/nodes");
  ASSERT_EQ(nodes.size(), 1u);
  Json node = get("/v1/node/" + nodes[0]["ID"].get<std::string>());
  int64_t memory = node["NodeResources"]["Memory"]["MemoryMB"];
  ASSERT_GT(memory, 1000);
  // Two jobs that each take 60 % of the node's memory: the second waits.
  auto job = [&](const std::string& id) {
    std::string text = web_job(id, 1);
    std::string small = "memory = 32";
    text.replace(text.find(small), small.size(), "memory = " + std::to_string(memory * 6 / 10));
    return text;
  };
  run_job(job("first"));
  ASSERT_TRUE(wait_running("first", 1));
  Json second = run_job(job("second"));
  Json eval;
  ASSERT_TRUE(wait_until(
      [&] {
        eval = get("/v1/evaluation/" + second["EvalID"].get<std::string>());
        return eval["Status"] == "complete";
      },
      10000, 50));
  ASSERT_FALSE(eval["BlockedEval"].get<std::string>().empty()) << eval.dump(2);
  EXPECT_EQ(eval["FailedTGAllocs"]["web"]["DimensionExhausted"]["memory"], 1) << eval.dump(2);
  EXPECT_EQ(get("/v1/evaluation/" + eval["BlockedEval"].get<std::string>())["Status"], "blocked");
  EXPECT_TRUE(allocs("second").empty());

  ASSERT_EQ(request("DELETE", "/v1/job/first").status, 200);
  EXPECT_TRUE(wait_running("second", 1, 30000)) << get("/v1/job/second/allocations").dump(2);
  EXPECT_EQ(get("/v1/evaluation/" + eval["BlockedEval"].get<std::string>())["Status"], "complete");
}

TEST_F(PotdAgentTest, APrestartTaskRunsToCompletionBeforeTheMainTask) {
  start_agent();
  std::string job =
      "job \"hooks\" {\n  datacenters = [\"dc1\"]\n  type = \"batch\"\n  group \"g\" {\n"
      "    task \"init\" {\n      lifecycle {\n        hook = \"prestart\"\n      }\n"
      "      driver = \"pot\"\n      config {\n        image = \"" +
      image_url() + "\"\n        pot = \"" + image_pot() + "\"\n        tag = \"" + kTag +
      "\"\n        command = \"sh -c 'sleep 1; echo ready > /alloc/data/flag'\"\n      }\n"
      "      resources {\n        cpu = 20\n        memory = 32\n      }\n    }\n"
      "    task \"main\" {\n      driver = \"pot\"\n      config {\n        image = \"" +
      image_url() + "\"\n        pot = \"" + image_pot() + "\"\n        tag = \"" + kTag +
      "\"\n        command = \"cat /alloc/data/flag\"\n      }\n"
      "      resources {\n        cpu = 20\n        memory = 32\n      }\n    }\n  }\n}\n";
  run_job(job);
  ASSERT_TRUE(wait_until([&] { return allocs_with("hooks", "complete").size() == 1; }, 60000, 100))
      << get("/v1/job/hooks/allocations").dump(2);
  std::string id = allocs("hooks")[0]["ID"];
  // The main task read what the prestart task wrote: it started after it ended.
  EXPECT_EQ(trim(read_text(data_dir_ / "allocs" / id / "alloc" / "logs" / "main.stdout.0")),
            "ready");
  Json alloc = get("/v1/allocation/" + id);
  EXPECT_EQ(alloc["TaskStates"]["init"]["State"], "dead");
  EXPECT_EQ(alloc["TaskStates"]["init"]["Failed"], false);
}

TEST_F(PotdAgentTest, BatchJobRunsToCompletionAndKeepsItsLogs) {
  start_agent();
  std::string job =
      "job \"once\" {\n  datacenters = [\"dc1\"]\n  type = \"batch\"\n  group \"g\" {\n    count = "
      "3\n"
      "    task \"t\" {\n      driver = \"pot\"\n      config {\n        image = \"" +
      image_url() + "\"\n        pot = \"" + image_pot() + "\"\n        tag = \"" + kTag +
      "\"\n        command = \"sh -c 'echo done $NOMAD_ALLOC_INDEX'\"\n      }\n"
      "      resources {\n        cpu = 20\n        memory = 32\n      }\n    }\n  }\n}\n";
  run_job(job);
  ASSERT_TRUE(wait_until([&] { return allocs_with("once", "complete").size() == 3; }, 60000, 100))
      << get("/v1/job/once/allocations").dump(2);
  EXPECT_TRUE(wait_until([&] { return get("/v1/job/once")["Status"] == "dead"; }, 5000, 50));
  std::set<std::string> lines;
  for (const auto& a : allocs("once"))
    lines.insert(trim(read_text(data_dir_ / "allocs" / a["ID"].get<std::string>() / "alloc" /
                                "logs" / "t.stdout.0")));
  EXPECT_EQ(lines, (std::set<std::string>{"done 0", "done 1", "done 2"}));
  EXPECT_TRUE(wait_until([&] { return live_pots().empty(); }, 10000, 100));
}

}  // namespace
}  // namespace potit

namespace potit {
namespace {

// The systemd unit that `cmake --install` puts in place, as systemd reads it.
TEST(PotdSystemdUnit, VerifiesAndStopsOnlyPotd) {
  std::string unit = read_text(fs::path(POT_BUILD_DIR) / "potd.service");
  ASSERT_FALSE(unit.empty());
  EXPECT_NE(unit.find("KillMode=mixed"), std::string::npos) << unit;
  fs::path dir = make_temp_dir("potd-unit");
  std::size_t at = unit.find("ExecStart=");
  ASSERT_NE(at, std::string::npos);
  std::size_t end = unit.find('\n', at);
  unit.replace(at, end - at, std::string("ExecStart=") + POTD_BINARY + " agent");
  write_text(dir / "potd.service", unit);
  RunResult verify = run_process({"systemd-analyze", "verify", (dir / "potd.service").string()},
                                 {base_environment(), 60, ""});
  fs::remove_all(dir);
  EXPECT_TRUE(verify.ok()) << verify;
  EXPECT_EQ(verify.err, "") << verify;
}

}  // namespace
}  // namespace potit
