// validate(): the problems `nomad job validate` finds without a cluster, one message each,
// naming the thing ("group \"web\": task \"nginx\": missing driver").
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "jobspec/jobspec.h"

namespace {

using jobspec::Json;
using Messages = std::vector<std::string>;

// A valid service job: one group "web" with one task "nginx".
Json valid_job() {
  return Json::parse(R"({"ID": "shop", "Datacenters": ["dc1"], "TaskGroups": [{
      "Name": "web", "Count": 2,
      "Networks": [{"DynamicPorts": [{"Label": "http", "To": 80}]}],
      "Services": [{"Name": "shop-web", "PortLabel": "http",
                    "Checks": [{"Type": "http", "Path": "/", "Interval": 10000000000,
                                "Timeout": 2000000000}]}],
      "Tasks": [{"Name": "nginx", "Driver": "pot"}]}]})");
}

Json& group(Json& job) {
  return job["TaskGroups"][0];
}
Json& task(Json& job) {
  return job["TaskGroups"][0]["Tasks"][0];
}

std::vector<std::string> problems(const Json& job) {
  return jobspec::validate(job);
}

TEST(JobspecValidate, AValidJobHasNoProblems) {
  EXPECT_TRUE(problems(valid_job()).empty());
  // Datacenters may be left out: the server runs the job in every datacenter.
  Json job = valid_job();
  job.erase("Datacenters");
  EXPECT_TRUE(problems(job).empty());
}

TEST(JobspecValidate, JobLevelProblems) {
  EXPECT_EQ(problems(Json::parse(R"({"TaskGroups": []})")),
            (Messages{"missing job ID", "missing job name", "the job has no task groups"}));

  Json job = valid_job();
  job["ID"] = "my shop";
  job["Type"] = "daemon";
  job["Priority"] = 150;
  job["Datacenters"] = {"dc1", ""};
  EXPECT_EQ(
      problems(job),
      (Messages{"job ID \"my shop\" contains a space",
                "invalid job type \"daemon\" (expected \"service\", \"batch\", "
                "\"system\" or \"sysbatch\")",
                "priority 150 is out of range (1-100)", "a datacenter name must not be empty"}));
}

TEST(JobspecValidate, PeriodicIsForBatchJobs) {
  Json job = valid_job();
  job["Periodic"] = {{"Spec", "@daily"}};
  EXPECT_EQ(problems(job), (Messages{"periodic is only for batch and sysbatch jobs"}));
}

TEST(JobspecValidate, DuplicateAndUnnamedGroupsAndTasks) {
  Json job = valid_job();
  job["TaskGroups"].push_back(
      Json::parse(R"({"Name": "web", "Tasks": [{"Name": "a", "Driver": "pot"},
                                              {"Name": "a", "Driver": "pot"}]})"));
  auto found = problems(job);
  EXPECT_EQ(found.at(0), "group \"web\" is defined twice");
  EXPECT_NE(std::find(found.begin(), found.end(), "group \"web\": task \"a\" is defined twice"),
            found.end());
}

TEST(JobspecValidate, GroupWithoutTasksAndNegativeCount) {
  Json job = valid_job();
  group(job)["Count"] = -1;
  group(job)["Tasks"] = Json::array();
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": count must not be negative", "group \"web\": no tasks"}));
}

TEST(JobspecValidate, TaskWithoutDriver) {
  Json job = valid_job();
  task(job).erase("Driver");
  EXPECT_EQ(problems(job), (Messages{"group \"web\": task \"nginx\": missing driver"}));
}

TEST(JobspecValidate, RestartModeAndInterval) {
  Json job = valid_job();
  group(job)["RestartPolicy"] = {{"Mode", "retry"}, {"Interval", 1'000'000'000}};
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": restart: invalid mode \"retry\" (expected \"fail\" or "
                      "\"delay\")",
                      "group \"web\": restart: interval 1s is less than 5s"}));
}

TEST(JobspecValidate, RestartAttemptsMustFitTheInterval) {
  Json job = valid_job();
  group(job)["RestartPolicy"] = {{"Attempts", 10}, {"Interval", 60'000'000'000}};
  EXPECT_EQ(problems(job), (Messages{"group \"web\": restart: 10 attempts with a delay of 15s "
                                     "do not fit in an interval of 1m0s"}));
}

TEST(JobspecValidate, UpdateIsNotForBatchJobs) {
  Json job = valid_job();
  job["Type"] = "batch";
  group(job)["Update"] = {{"MaxParallel", 2}};
  EXPECT_EQ(problems(job), (Messages{"group \"web\": update is not allowed in batch jobs"}));
}

TEST(JobspecValidate, UpdateDeadlinesInOrder) {
  Json job = valid_job();
  job["Update"] = {{"MinHealthyTime", 600'000'000'000LL}, {"HealthCheck", "sometimes"}};
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": update: invalid health_check \"sometimes\" (expected "
                      "\"checks\", \"task_states\" or \"manual\")",
                      "group \"web\": update: min_healthy_time 10m0s must be less than "
                      "healthy_deadline 5m0s"}));
}

TEST(JobspecValidate, PortLabelsAreUniqueAndStaticPortsInRange) {
  Json job = valid_job();
  group(job)["Networks"][0]["ReservedPorts"] = Json::parse(R"([{"Label": "admin",
      "Value": 70000}])");
  task(job)["Resources"] = Json::parse(R"({"Networks": [{"DynamicPorts": [{"Label": "http"}]}]})");
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": network: port \"admin\": static port 70000 is out of "
                      "range (1-65535)",
                      "group \"web\": task \"nginx\": network: port \"http\" is already "
                      "defined in the group network"}));
}

TEST(JobspecValidate, StaticPortsAreReservedOnce) {
  Json job = valid_job();
  group(job)["Networks"][0]["ReservedPorts"] =
      Json::parse(R"([{"Label": "a", "Value": 8080}, {"Label": "b", "Value": 8080}])");
  EXPECT_EQ(problems(job), (Messages{"group \"web\": network: port \"b\": static port 8080 is "
                                     "already reserved in the group network"}));
}

TEST(JobspecValidate, ServiceCheckIntervalAndTimeoutAtLeastOneSecond) {
  Json job = valid_job();
  Json& check = group(job)["Services"][0]["Checks"][0];
  check["Interval"] = 500'000'000;
  check.erase("Timeout");
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": service \"shop-web\": check 1: interval 500ms is less "
                      "than 1s",
                      "group \"web\": service \"shop-web\": check 1: missing timeout (at "
                      "least 1s)"}));
}

TEST(JobspecValidate, ServiceNamesTypesAndProviders) {
  Json job = valid_job();
  Json& service = group(job)["Services"][0];
  service["Name"] = "shop_web";
  service["Provider"] = "etcd";
  service["Checks"][0]["Type"] = "ping";
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": service \"shop_web\": invalid name \"shop_web\" "
                      "(letters, digits and dashes, at most 63, not starting or ending with "
                      "a dash)",
                      "group \"web\": service \"shop_web\": invalid provider \"etcd\" "
                      "(expected \"consul\" or \"nomad\")",
                      "group \"web\": service \"shop_web\": check 1: invalid type \"ping\" "
                      "(expected \"tcp\", \"http\", \"script\" or \"grpc\")"}));
}

TEST(JobspecValidate, ServiceNamesMayCarryRuntimeInterpolation) {
  Json job = valid_job();
  group(job)["Services"][0]["Name"] = "${NOMAD_JOB_NAME}-web";
  EXPECT_TRUE(problems(job).empty());
}

TEST(JobspecValidate, ResourcesAndLogsFitTheirLimits) {
  Json job = valid_job();
  task(job)["Resources"] = {{"CPU", 0}, {"MemoryMB", 5}};
  task(job)["LogConfig"] = {{"MaxFiles", 10}, {"MaxFileSizeMB", 40}};
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": task \"nginx\": resources: cpu 0 is less than 1 MHz",
                      "group \"web\": task \"nginx\": resources: memory 5 is less than 10 MB",
                      "group \"web\": task \"nginx\": logs: 400 MB of logs do not fit in the "
                      "group's ephemeral disk of 300 MB"}));
}

TEST(JobspecValidate, VolumeMountsReferToGroupVolumes) {
  Json job = valid_job();
  task(job)["VolumeMounts"] = Json::parse(R"([{"Volume": "data", "Destination": "/data"}])");
  EXPECT_EQ(problems(job), (Messages{"group \"web\": task \"nginx\": volume_mount refers to "
                                     "undefined volume \"data\""}));
  group(job)["Volumes"] = Json::parse(R"({"data": {"Type": "host", "Source": "data"}})");
  EXPECT_TRUE(problems(job).empty());
}

TEST(JobspecValidate, SystemJobsRunAtMostOnePerNodeAndDoNotReschedule) {
  Json job = valid_job();
  job["Type"] = "system";
  job["Reschedule"] = {{"Attempts", 1}};
  EXPECT_EQ(problems(job),
            (Messages{"group \"web\": count 2 is more than 1, the most a system job runs per "
                      "node",
                      "group \"web\": reschedule is not allowed in system jobs"}));
}

TEST(JobspecValidate, NotAnObject) {
  EXPECT_EQ(problems(Json::array()), (Messages{"a job must be an object"}));
}

}  // namespace
