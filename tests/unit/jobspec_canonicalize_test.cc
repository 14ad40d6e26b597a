// canonicalize(): a job comes out as Nomad's `/v1/jobs/parse` with "Canonicalize": true
// prints it (api.Job.Canonicalize in Nomad's api package, printed by Go's encoding/json).
#include <gtest/gtest.h>

#include <string>

#include "jobspec/jobspec.h"

namespace {

using jobspec::Json;

constexpr long long kSecond = 1'000'000'000LL;
constexpr long long kMinute = 60 * kSecond;
constexpr long long kHour = 60 * kMinute;

Json canonical(const char* text) {
  Json job = Json::parse(text);
  jobspec::canonicalize(job);
  return job;
}

// The whole document for a job with one group of one task, written out from the Go structs
// (field order) and Canonicalize methods (values) of Nomad's api package.
constexpr const char* kMinimalServiceJob = R"({
  "Region": "global", "Namespace": "default", "ID": "web", "Name": "web",
  "Type": "service", "Priority": 50, "AllAtOnce": false, "Datacenters": ["dc1"],
  "NodePool": "", "Constraints": null, "Affinities": null,
  "TaskGroups": [{
    "Name": "frontend", "Count": 1, "Constraints": null, "Affinities": null,
    "Tasks": [{
      "Name": "nginx", "Driver": "pot", "User": "", "Lifecycle": null,
      "Config": {"args": ["-g", "daemon off;"], "image": "nginx"},
      "Constraints": null, "Affinities": null, "Env": null, "Services": null,
      "Resources": {"CPU": 100, "Cores": 0, "MemoryMB": 300, "MemoryMaxMB": null,
                    "DiskMB": null, "Networks": null, "Devices": null, "NUMA": null,
                    "SecretsMB": null, "IOPS": null},
      "RestartPolicy": {"Interval": 1800000000000, "Attempts": 2, "Delay": 15000000000,
                        "Mode": "fail", "RenderTemplates": false},
      "Meta": null, "KillTimeout": 5000000000,
      "LogConfig": {"MaxFiles": 10, "MaxFileSizeMB": 10, "Enabled": null, "Disabled": false},
      "Artifacts": null, "Vault": null, "Consul": null, "Templates": null,
      "DispatchPayload": null, "VolumeMounts": null, "Leader": false, "ShutdownDelay": 0,
      "KillSignal": "", "Kind": "", "ScalingPolicies": null, "Secrets": null,
      "Identity": null, "Identities": null, "Actions": null, "Schedule": null
    }],
    "Spreads": null, "Volumes": null,
    "RestartPolicy": {"Interval": 1800000000000, "Attempts": 2, "Delay": 15000000000,
                      "Mode": "fail", "RenderTemplates": false},
    "Disconnect": null,
    "ReschedulePolicy": {"Attempts": 0, "Interval": 0, "Delay": 30000000000,
                         "DelayFunction": "exponential", "MaxDelay": 3600000000000,
                         "Unlimited": true},
    "EphemeralDisk": {"Sticky": false, "Migrate": false, "SizeMB": 300},
    "Update": {"Stagger": 30000000000, "MaxParallel": 1, "HealthCheck": "checks",
               "MinHealthyTime": 10000000000, "HealthyDeadline": 300000000000,
               "ProgressDeadline": 600000000000, "Canary": 0, "AutoRevert": false,
               "AutoPromote": false},
    "Migrate": {"MaxParallel": 1, "HealthCheck": "checks", "MinHealthyTime": 10000000000,
                "HealthyDeadline": 300000000000},
    "Networks": null, "Meta": null, "Services": null, "ShutdownDelay": null,
    "MaxRunDuration": null, "StopAfterClientDisconnect": null, "MaxClientDisconnect": null,
    "Scaling": null, "Consul": null, "PreventRescheduleOnLost": null
  }],
  "Update": {"Stagger": 30000000000, "MaxParallel": 1, "HealthCheck": "checks",
             "MinHealthyTime": 10000000000, "HealthyDeadline": 300000000000,
             "ProgressDeadline": 600000000000, "Canary": 0, "AutoRevert": false,
             "AutoPromote": false},
  "Multiregion": null, "Spreads": null, "Periodic": null, "ParameterizedJob": null,
  "Reschedule": null, "Migrate": null, "Meta": null, "UI": null, "Stop": false,
  "ParentID": "", "Dispatched": false, "DispatchIdempotencyToken": null, "Payload": null,
  "ConsulNamespace": "", "VaultNamespace": "", "NomadTokenID": "", "Status": "",
  "StatusDescription": "", "Stable": false, "Version": 0, "SubmitTime": null,
  "CreateIndex": 0, "ModifyIndex": 0, "JobModifyIndex": 0, "VersionTag": null
})";

TEST(JobspecCanonicalize, MinimalJobGetsEveryFieldInGoOrderWithNomadsDefaults) {
  Json job = canonical(R"({"ID": "web", "Datacenters": ["dc1"], "TaskGroups": [{
      "Name": "frontend", "Tasks": [{"Name": "nginx", "Driver": "pot",
      "Config": {"image": "nginx", "args": ["-g", "daemon off;"]}}]}]})");
  // dump() compares the order of the keys too, which operator== of objects would not.
  EXPECT_EQ(job.dump(2), Json::parse(kMinimalServiceJob).dump(2));
}

TEST(JobspecCanonicalize, IsIdempotent) {
  Json once = Json::parse(kMinimalServiceJob);
  Json twice = once;
  jobspec::canonicalize(twice);
  EXPECT_EQ(twice.dump(), once.dump());
}

TEST(JobspecCanonicalize, DatacentersAreLeftToTheServer) {
  // api.Job.Canonicalize has no datacenter default; the server's ["*"] comes later.
  Json job = canonical(R"({"ID": "x", "TaskGroups": []})");
  EXPECT_TRUE(job["Datacenters"].is_null());
}

TEST(JobspecCanonicalize, BatchJobsGetBatchRestartAndRescheduleAndNoUpdateOrMigrate) {
  Json job = canonical(R"({"ID": "b", "Type": "batch",
      "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "pot"}]}]})");
  EXPECT_TRUE(job["Update"].is_null());
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["RestartPolicy"], Json::parse(R"({"Interval": 86400000000000, "Attempts": 3,
      "Delay": 15000000000, "Mode": "fail", "RenderTemplates": false})"));
  EXPECT_EQ(group["ReschedulePolicy"], Json::parse(R"({"Attempts": 1,
      "Interval": 86400000000000, "Delay": 5000000000, "DelayFunction": "constant",
      "MaxDelay": 0, "Unlimited": false})"));
  EXPECT_TRUE(group["Update"].is_null());
  EXPECT_TRUE(group["Migrate"].is_null());
  EXPECT_EQ(group["Tasks"][0]["RestartPolicy"]["Attempts"], 3);
}

TEST(JobspecCanonicalize, SystemJobsGetServiceRestartAndUpdateButNoReschedule) {
  Json job = canonical(R"({"ID": "s", "Type": "system",
      "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t", "Driver": "pot"}]}]})");
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["RestartPolicy"]["Attempts"], 2);
  EXPECT_EQ(group["RestartPolicy"]["Interval"], 30 * kMinute);
  EXPECT_TRUE(group["ReschedulePolicy"].is_null());
  EXPECT_TRUE(group["Migrate"].is_null());
  EXPECT_EQ(group["Update"]["MaxParallel"], 1);
}

// Nomad's own api test case "update_merge" (api/jobs_test.go).
TEST(JobspecCanonicalize, JobUpdateIsMergedIntoGroupsTheGroupsOwnSettingsWinning) {
  Json job = canonical(R"({"Name": "foo", "ID": "bar", "ParentID": "lol",
    "Update": {"Stagger": 1000000000, "MaxParallel": 1, "HealthCheck": "checks",
               "MinHealthyTime": 10000000000, "HealthyDeadline": 360000000000,
               "ProgressDeadline": 420000000000, "AutoRevert": false, "Canary": 0,
               "AutoPromote": false},
    "TaskGroups": [
      {"Name": "bar", "Consul": {"Namespace": ""},
       "Update": {"Stagger": 2000000000, "MaxParallel": 2, "HealthCheck": "manual",
                  "MinHealthyTime": 1000000000, "AutoRevert": true, "Canary": 1,
                  "AutoPromote": true},
       "Tasks": [{"Name": "task1"}]},
      {"Name": "baz", "Tasks": [{"Name": "task1"}]}]})");
  EXPECT_EQ(job["Name"], "foo");
  EXPECT_EQ(job["ParentID"], "lol");
  const Json& bar = job["TaskGroups"][0];
  EXPECT_EQ(bar["Update"], Json::parse(R"({"Stagger": 2000000000, "MaxParallel": 2,
      "HealthCheck": "manual", "MinHealthyTime": 1000000000, "HealthyDeadline": 360000000000,
      "ProgressDeadline": 420000000000, "Canary": 1, "AutoRevert": true,
      "AutoPromote": true})"));
  EXPECT_EQ(bar["Consul"], Json::parse(R"({"Namespace": "", "Cluster": "default",
      "Partition": ""})"));
  EXPECT_EQ(job["TaskGroups"][1]["Update"], job["Update"]);
}

TEST(JobspecCanonicalize, AJobRescheduleAndMigrateAreCopiedIntoGroupsAndCompleted) {
  Json job = canonical(R"({"ID": "x",
    "Reschedule": {"Attempts": 4}, "Migrate": {"MaxParallel": 3},
    "TaskGroups": [{"Name": "g", "ReschedulePolicy": {"Delay": 7000000000}}]})");
  // The job's own blocks stay as written; the groups get the merged, completed copies.
  EXPECT_TRUE(job["Reschedule"]["Interval"].is_null());
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["ReschedulePolicy"]["Attempts"], 4);
  EXPECT_EQ(group["ReschedulePolicy"]["Delay"], 7 * kSecond);
  EXPECT_EQ(group["ReschedulePolicy"]["MaxDelay"], kHour);
  EXPECT_EQ(group["Migrate"]["MaxParallel"], 3);
  EXPECT_EQ(group["Migrate"]["HealthCheck"], "checks");
}

TEST(JobspecCanonicalize, TaskRestartPolicyIsTheGroupsUnderTheTasksOwnSettings) {
  Json job = canonical(R"({"ID": "x", "TaskGroups": [{"Name": "g",
    "RestartPolicy": {"Attempts": 5, "Mode": "delay"},
    "Tasks": [{"Name": "a", "RestartPolicy": {"Delay": 1000000000}}, {"Name": "b"}]}]})");
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["RestartPolicy"]["Attempts"], 5);
  EXPECT_EQ(group["RestartPolicy"]["Mode"], "delay");
  EXPECT_EQ(group["RestartPolicy"]["Interval"], 30 * kMinute);
  const Json& a = group["Tasks"][0]["RestartPolicy"];
  EXPECT_EQ(a["Delay"], kSecond);
  EXPECT_EQ(a["Attempts"], 5);
  EXPECT_EQ(group["Tasks"][1]["RestartPolicy"], group["RestartPolicy"]);
}

TEST(JobspecCanonicalize, ServicesGetNamesProviderAndCheckDefaults) {
  Json job = canonical(R"({"ID": "shop", "TaskGroups": [{"Name": "api",
    "Services": [{"PortLabel": "http",
      "CheckRestart": {"Limit": 3},
      "Checks": [{"Type": "http", "Path": "/health", "Interval": 10000000000,
                  "Timeout": 2000000000},
                 {"Type": "tcp", "OnUpdate": "ignore", "CheckRestart": {"Grace": 9000000000},
                  "SuccessBeforePassing": -2}]}],
    "Tasks": [{"Name": "server", "Services": [{"Name": "", "Weights": {"Passing": 0}}]}]}]})");
  const Json& group = job["TaskGroups"][0];
  const Json& service = group["Services"][0];
  EXPECT_EQ(service["Name"], "shop-api");
  EXPECT_EQ(service["AddressMode"], "auto");
  EXPECT_EQ(service["OnUpdate"], "require_healthy");
  EXPECT_EQ(service["Provider"], "consul");
  EXPECT_EQ(service["Cluster"], "default");
  // The service's check_restart is copied into each check (not defaulted itself).
  EXPECT_TRUE(service["CheckRestart"]["Grace"].is_null());
  const Json& first = service["Checks"][0];
  EXPECT_EQ(first["CheckRestart"], Json::parse(R"({"Limit": 3, "Grace": 1000000000,
      "IgnoreWarnings": false})"));
  EXPECT_EQ(first["OnUpdate"], "require_healthy");
  const Json& second = service["Checks"][1];
  EXPECT_EQ(second["CheckRestart"]["Limit"], 3);
  EXPECT_EQ(second["CheckRestart"]["Grace"], 9 * kSecond);
  EXPECT_EQ(second["OnUpdate"], "ignore");
  EXPECT_EQ(second["SuccessBeforePassing"], 0);
  EXPECT_EQ(second["Header"], nullptr);
  const Json& task_service = group["Tasks"][0]["Services"][0];
  EXPECT_EQ(task_service["Name"], "shop-api-server");
  EXPECT_EQ(task_service["Weights"], Json::parse(R"({"Passing": 1, "Warning": 1})"));
}

TEST(JobspecCanonicalize, ResourcesWithCoresHaveNoDefaultCpu) {
  Json job = canonical(R"({"ID": "x", "TaskGroups": [{"Name": "g", "Tasks": [
      {"Name": "t", "Resources": {"Cores": 2, "MemoryMB": 64}}]}]})");
  const Json& resources = job["TaskGroups"][0]["Tasks"][0]["Resources"];
  EXPECT_EQ(resources["CPU"], 0);
  EXPECT_EQ(resources["Cores"], 2);
  EXPECT_EQ(resources["MemoryMB"], 64);
}

TEST(JobspecCanonicalize, GroupCountFollowsTheScalingMinimum) {
  Json job = canonical(R"({"ID": "x", "TaskGroups": [
      {"Name": "a", "Scaling": {"Min": 3, "Max": 10}},
      {"Name": "b", "Count": 2, "Scaling": {"Max": 10}}]})");
  EXPECT_EQ(job["TaskGroups"][0]["Count"], 3);
  EXPECT_EQ(job["TaskGroups"][0]["Scaling"]["Enabled"], true);
  EXPECT_EQ(job["TaskGroups"][0]["Scaling"]["Type"], "horizontal");
  EXPECT_EQ(job["TaskGroups"][1]["Scaling"]["Min"], 2);
}

TEST(JobspecCanonicalize, PeriodicTemplatesArtifactsAndVolumeMounts) {
  Json job = canonical(R"({"ID": "x", "Type": "batch", "Periodic": {"Spec": "@daily"},
    "TaskGroups": [{"Name": "g", "Tasks": [{"Name": "t",
      "Templates": [{"DestPath": "local/a.conf", "ChangeMode": "signal"},
                    {"DestPath": "local/b", "ChangeSignal": "sigusr1"}],
      "Artifacts": [{"GetterSource": "https://example.invalid/dir/tool.tgz",
                     "GetterMode": "file"}, {"GetterSource": "x"}],
      "VolumeMounts": [{"Volume": "data", "Destination": "/data"}]}]}]})");
  EXPECT_EQ(job["Periodic"], Json::parse(R"({"Enabled": true, "Spec": "@daily", "Specs": [],
      "SpecType": "cron", "ProhibitOverlap": false, "TimeZone": "UTC"})"));
  const Json& task = job["TaskGroups"][0]["Tasks"][0];
  EXPECT_EQ(task["Templates"][0]["ChangeSignal"], "SIGHUP");
  EXPECT_EQ(task["Templates"][0]["Splay"], 5 * kSecond);
  EXPECT_EQ(task["Templates"][0]["Perms"], "0644");
  EXPECT_EQ(task["Templates"][0]["LeftDelim"], "{{");
  EXPECT_EQ(task["Templates"][1]["ChangeSignal"], "SIGUSR1");
  EXPECT_EQ(task["Artifacts"][0]["RelativeDest"], "local/tool.tgz");
  EXPECT_EQ(task["Artifacts"][1]["RelativeDest"], "local/");
  EXPECT_EQ(task["Artifacts"][1]["GetterMode"], "any");
  EXPECT_EQ(task["VolumeMounts"][0], Json::parse(R"({"Volume": "data", "Destination": "/data",
      "ReadOnly": false, "PropagationMode": "private", "SELinuxLabel": ""})"));
}

TEST(JobspecCanonicalize, UnknownFieldsAreKeptAfterTheKnownOnes) {
  Json job = canonical(R"({"FutureSetting": {"a": 1}, "ID": "x", "TaskGroups": [{"Name": "g",
      "Tasks": [{"NewKnob": true, "Name": "t"}]}]})");
  EXPECT_EQ(job.items().begin().key(), "Region");
  EXPECT_EQ(std::prev(job.end()).key(), "FutureSetting");
  EXPECT_EQ(job["FutureSetting"], Json::parse(R"({"a": 1})"));
  const Json& task = job["TaskGroups"][0]["Tasks"][0];
  EXPECT_EQ(std::prev(task.end()).key(), "NewKnob");
}

TEST(JobspecCanonicalize, MapKeysAreSortedAsGoPrintsThem) {
  Json job = canonical(R"({"ID": "x", "Meta": {"zone": "b", "app": "a"}, "TaskGroups": [
      {"Name": "g", "Tasks": [{"Name": "t", "Config": {"z": 1, "a": {"y": 1, "b": 2}}}]}]})");
  EXPECT_EQ(job["Meta"].dump(), R"({"app":"a","zone":"b"})");
  EXPECT_EQ(job["TaskGroups"][0]["Tasks"][0]["Config"].dump(), R"({"a":{"b":2,"y":1},"z":1})");
}

TEST(JobspecCanonicalize, NonObjectsAreLeftAlone) {
  Json not_a_job = Json::array();
  jobspec::canonicalize(not_a_job);
  EXPECT_EQ(not_a_job, Json::array());
  // Wrong types inside are kept rather than crashed on.
  Json job = canonical(R"({"ID": 5, "TaskGroups": "none", "Update": [1]})");
  EXPECT_EQ(job["ID"], 5);
  EXPECT_EQ(job["TaskGroups"], "none");
}

}  // namespace
