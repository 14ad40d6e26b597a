// Decoding job files to the API's JSON (before canonicalize): one test per block family,
// the error paths with their locations, run-time references, dynamic blocks, the example.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "jobspec/durations.h"
#include "jobspec_test_util.h"

namespace {

using jobspec::Json;
using jobspec_test::decode;
using jobspec_test::error_named;
using jobspec_test::errors_of;

constexpr std::int64_t kSecond = 1'000'000'000;

// A job of one group "g" with one task "t" whose body is `task_body`.
std::string job_with_task(const std::string& task_body) {
  return "job \"j\" {\n  group \"g\" {\n    task \"t\" {\n" + task_body + "\n    }\n  }\n}\n";
}

Json task_of(const Json& job) {
  return job["TaskGroups"][0]["Tasks"][0];
}

// Equal as JSON documents, whatever the order of the objects' keys.
::testing::AssertionResult same_json(const Json& actual, const std::string& expected) {
  if (nlohmann::json::parse(actual.dump()) == nlohmann::json::parse(expected)) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << actual.dump() << "\n  is not\n" << expected;
}

TEST(JobspecDuration, GoSyntax) {
  std::string error;
  EXPECT_EQ(jobspec::parse_duration("5s", &error), 5 * kSecond);
  EXPECT_EQ(jobspec::parse_duration("1h30m", &error), 5400 * kSecond);
  EXPECT_EQ(jobspec::parse_duration("1.5h", &error), 5400 * kSecond);
  EXPECT_EQ(jobspec::parse_duration("300ms", &error), 300'000'000);
  EXPECT_EQ(jobspec::parse_duration("2us", &error), 2000);
  EXPECT_EQ(jobspec::parse_duration("-2m", &error), -120 * kSecond);
  EXPECT_EQ(jobspec::parse_duration("0", &error), 0);
  EXPECT_EQ(jobspec::parse_duration(".5s", &error), kSecond / 2);
}

TEST(JobspecDuration, GoErrors) {
  std::string error;
  EXPECT_FALSE(jobspec::parse_duration("5", &error));
  EXPECT_EQ(error, "time: missing unit in duration \"5\"");
  EXPECT_FALSE(jobspec::parse_duration("1d", &error));
  EXPECT_EQ(error, "time: unknown unit \"d\" in duration \"1d\"");
  EXPECT_FALSE(jobspec::parse_duration("abc", &error));
  EXPECT_EQ(error, "time: invalid duration \"abc\"");
  EXPECT_FALSE(jobspec::parse_duration("", &error));
  EXPECT_FALSE(jobspec::parse_duration("3000000h", &error));  // beyond 2^63 ns
  EXPECT_EQ(error, "time: invalid duration \"3000000h\"");
}

TEST(JobspecDecode, JobTakesIdAndNameFromItsLabel) {
  const Json job = decode(R"(job "web" {
  datacenters = ["dc1", "dc2"]
  type        = "batch"
  priority    = 70
  region      = "europe"
  namespace   = "apps"
  node_pool   = "small"
  all_at_once = true
})");
  EXPECT_EQ(job["ID"], "web");
  EXPECT_EQ(job["Name"], "web");
  EXPECT_EQ(job["Datacenters"], Json({"dc1", "dc2"}));
  EXPECT_EQ(job["Type"], "batch");
  EXPECT_EQ(job["Priority"], 70);
  EXPECT_EQ(job["Region"], "europe");
  EXPECT_EQ(job["Namespace"], "apps");
  EXPECT_EQ(job["NodePool"], "small");
  EXPECT_EQ(job["AllAtOnce"], true);
  EXPECT_FALSE(job.contains("TaskGroups"));  // only what the file sets
}

TEST(JobspecDecode, NameAndIdArgumentsOverrideTheLabel) {
  const Json job = decode("job \"web\" {\n  name = \"Web site\"\n  id = \"web-1\"\n}\n");
  EXPECT_EQ(job["ID"], "web-1");
  EXPECT_EQ(job["Name"], "Web site");
}

TEST(JobspecDecode, MetaAsBlockOrAsArgument) {
  const Json job = decode(R"(job "j" {
  meta {
    owner = "ops"
    version = 3
  }
  group "g" {
    meta = { "dotted.key" = "x" }
    task "t" {
      meta = { a = true }
    }
  }
})");
  EXPECT_EQ(job["Meta"], Json({{"owner", "ops"}, {"version", "3"}}));
  EXPECT_EQ(job["TaskGroups"][0]["Meta"], Json({{"dotted.key", "x"}}));
  EXPECT_EQ(task_of(job)["Meta"], Json({{"a", "true"}}));
}

TEST(JobspecDecode, MetaBothWaysIsADuplicate) {
  const auto d = error_named("Duplicate meta block", R"(job "j" {
  meta = { a = "1" }
  meta {
    b = "2"
  }
})");
  EXPECT_EQ(d.range.start.line, 3);
}

TEST(JobspecDecode, GroupAndTask) {
  const Json job = decode(R"(job "j" {
  group "web" {
    count = 3
    shutdown_delay = "10s"
    stop_after_client_disconnect = "1m"
    max_client_disconnect = "1h"
    task "nginx" {
      driver       = "pot"
      user         = "www"
      kill_timeout = "20s"
      kill_signal  = "SIGTERM"
      leader       = true
      env {
        PORT = 8080
      }
    }
    task "sidecar" {
      driver = "raw_exec"
      env = { "A.B" = "c" }
    }
  }
})");
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["Name"], "web");
  EXPECT_EQ(group["Count"], 3);
  EXPECT_EQ(group["ShutdownDelay"], 10 * kSecond);
  EXPECT_EQ(group["StopAfterClientDisconnect"], 60 * kSecond);
  EXPECT_EQ(group["MaxClientDisconnect"], 3600 * kSecond);
  ASSERT_EQ(group["Tasks"].size(), 2u);
  const Json& task = group["Tasks"][0];
  EXPECT_EQ(task["Name"], "nginx");
  EXPECT_EQ(task["Driver"], "pot");
  EXPECT_EQ(task["User"], "www");
  EXPECT_EQ(task["KillTimeout"], 20 * kSecond);
  EXPECT_EQ(task["KillSignal"], "SIGTERM");
  EXPECT_EQ(task["Leader"], true);
  EXPECT_EQ(task["Env"], Json({{"PORT", "8080"}}));
  EXPECT_EQ(group["Tasks"][1]["Env"], Json({{"A.B", "c"}}));
}

TEST(JobspecDecode, ATaskInTheJobIsAGroupOfItsOwn) {
  const Json job = decode(R"(job "j" {
  group "g" {
    task "a" { driver = "pot" }
  }
  task "alone" {
    driver = "pot"
  }
})");
  ASSERT_EQ(job["TaskGroups"].size(), 2u);
  EXPECT_EQ(job["TaskGroups"][0]["Name"], "alone");
  EXPECT_EQ(job["TaskGroups"][0]["Tasks"][0]["Name"], "alone");
  EXPECT_EQ(job["TaskGroups"][1]["Name"], "g");
}

TEST(JobspecDecode, DriverConfigIsOpaqueWithNestedBlocksAsLists) {
  const Json task = task_of(decode(job_with_task(R"(
      config {
        image    = "http://127.0.0.1:5000/registry/"
        args     = ["-g", "daemon off;"]
        port_map = { http = "80" }
        count    = 2
        ratio    = 0.5
        mount {
          source = "/a"
        }
        mount {
          source = "/b"
        }
        labelled "x" "y" {
          k = 1
        }
      })")));
  const Json& config = task["Config"];
  EXPECT_EQ(config["image"], "http://127.0.0.1:5000/registry/");
  EXPECT_EQ(config["args"], Json({"-g", "daemon off;"}));
  // An object literal is a one-element list, as HCL 1 read it and Nomad still does.
  EXPECT_EQ(config["port_map"], Json::array({Json({{"http", "80"}})}));
  EXPECT_TRUE(config["count"].is_number_integer());
  EXPECT_EQ(config["ratio"], 0.5);
  EXPECT_TRUE(same_json(config["mount"], R"([{"source": "/a"}, {"source": "/b"}])"));
  EXPECT_TRUE(same_json(config["labelled"], R"([{"x": [{"y": [{"k": 1}]}]}])"));
}

TEST(JobspecDecode, NetworkPortsSplitIntoDynamicAndReserved) {
  const Json job = decode(R"(job "j" {
  group "g" {
    network {
      mode     = "bridge"
      hostname = "web"
      port "http" {
        to = 8080
      }
      port "admin" {
        static       = 9000
        host_network = "private"
      }
      dns {
        servers  = ["1.1.1.1"]
        searches = ["local"]
        options  = ["ndots:2"]
      }
    }
  }
})");
  const Json& network = job["TaskGroups"][0]["Networks"][0];
  EXPECT_EQ(network["Mode"], "bridge");
  EXPECT_EQ(network["Hostname"], "web");
  EXPECT_TRUE(same_json(network["DynamicPorts"], R"([{"Label": "http", "To": 8080}])"));
  EXPECT_TRUE(same_json(network["ReservedPorts"],
                        R"([{"Label": "admin", "Value": 9000, "HostNetwork": "private"}])"));
  EXPECT_EQ(network["DNS"]["Servers"], Json({"1.1.1.1"}));
  EXPECT_EQ(network["DNS"]["Searches"], Json({"local"}));
  EXPECT_EQ(network["DNS"]["Options"], Json({"ndots:2"}));
}

TEST(JobspecDecode, Resources) {
  const Json task = task_of(decode(job_with_task(R"(
      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
        cores      = 2
        device "nvidia/gpu" {
          count = 2
          constraint {
            attribute = "${device.attr.memory}"
            operator  = ">="
            value     = "2 GiB"
          }
        }
        numa {
          affinity = "require"
        }
        network {
          mbits = 10
          port "http" {}
        }
      })")));
  const Json& resources = task["Resources"];
  EXPECT_EQ(resources["CPU"], 500);
  EXPECT_EQ(resources["MemoryMB"], 256);
  EXPECT_EQ(resources["MemoryMaxMB"], 512);
  EXPECT_EQ(resources["Cores"], 2);
  EXPECT_EQ(resources["Devices"][0]["Name"], "nvidia/gpu");
  EXPECT_EQ(resources["Devices"][0]["Count"], 2);
  EXPECT_EQ(resources["Devices"][0]["Constraints"][0]["LTarget"], "${device.attr.memory}");
  EXPECT_EQ(resources["NUMA"]["Affinity"], "require");
  EXPECT_EQ(resources["Networks"][0]["MBits"], 10);
  EXPECT_TRUE(same_json(resources["Networks"][0]["DynamicPorts"], R"([{"Label": "http"}])"));
}

TEST(JobspecDecode, SchedulingPolicies) {
  const Json job = decode(R"(job "j" {
  update {
    max_parallel      = 2
    min_healthy_time  = "30s"
    healthy_deadline  = "5m"
    progress_deadline = "10m"
    auto_revert       = true
    canary            = 1
    stagger           = "1m"
  }
  reschedule {
    delay          = "30s"
    delay_function = "exponential"
    max_delay      = "1h"
    unlimited      = true
  }
  migrate {
    max_parallel = 1
    health_check = "checks"
  }
  group "g" {
    restart {
      attempts = 2
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }
    reschedule {
      attempts = 1
    }
    ephemeral_disk {
      size   = 300
      sticky = true
    }
    disconnect {
      lost_after = "1h"
      reconcile  = "keep_original"
    }
  }
})");
  EXPECT_EQ(job["Update"]["MaxParallel"], 2);
  EXPECT_EQ(job["Update"]["MinHealthyTime"], 30 * kSecond);
  EXPECT_EQ(job["Update"]["HealthyDeadline"], 300 * kSecond);
  EXPECT_EQ(job["Update"]["ProgressDeadline"], 600 * kSecond);
  EXPECT_EQ(job["Update"]["AutoRevert"], true);
  EXPECT_EQ(job["Update"]["Stagger"], 60 * kSecond);
  EXPECT_EQ(job["Reschedule"]["DelayFunction"], "exponential");
  EXPECT_EQ(job["Reschedule"]["MaxDelay"], 3600 * kSecond);
  EXPECT_EQ(job["Migrate"]["HealthCheck"], "checks");
  const Json& group = job["TaskGroups"][0];
  EXPECT_TRUE(same_json(group["RestartPolicy"],
                        R"({"Interval": 1800000000000, "Attempts": 2, "Delay": 15000000000,
                            "Mode": "fail"})"));
  EXPECT_EQ(group["ReschedulePolicy"]["Attempts"], 1);
  EXPECT_EQ(group["EphemeralDisk"]["SizeMB"], 300);
  EXPECT_EQ(group["Disconnect"]["LostAfter"], 3600 * kSecond);
  EXPECT_EQ(group["Disconnect"]["Reconcile"], "keep_original");
}

TEST(JobspecDecode, ConstraintAndAffinityShorthands) {
  const Json job = decode(R"(job "j" {
  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }
  constraint {
    distinct_hosts = true
  }
  constraint {
    distinct_property = "${meta.rack}"
  }
  constraint {
    attribute = "${attr.os.version}"
    version   = ">= 12"
  }
  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 50
  }
  spread {
    attribute = "${node.datacenter}"
    weight    = 100
    target "dc1" {
      percent = 70
    }
  }
})");
  EXPECT_TRUE(
      same_json(job["Constraints"][0], R"({"LTarget": "${attr.kernel.name}", "RTarget": "linux",
                            "Operand": "="})"));
  EXPECT_TRUE(same_json(job["Constraints"][1],
                        R"({"LTarget": "", "RTarget": "true", "Operand": "distinct_hosts"})"));
  EXPECT_TRUE(same_json(job["Constraints"][2], R"({"LTarget": "${meta.rack}", "RTarget": "",
                            "Operand": "distinct_property"})"));
  EXPECT_EQ(job["Constraints"][3]["Operand"], "version");
  EXPECT_EQ(job["Constraints"][3]["RTarget"], ">= 12");
  EXPECT_EQ(job["Affinities"][0]["Weight"], 50);
  EXPECT_EQ(job["Spreads"][0]["Weight"], 100);
  EXPECT_TRUE(same_json(job["Spreads"][0]["SpreadTarget"], R"([{"Value": "dc1", "Percent": 70}])"));
}

TEST(JobspecDecode, ServicesAndChecks) {
  const Json job = decode(R"(job "j" {
  group "g" {
    service {
      name     = "web"
      port     = "http"
      tags     = ["a", "b"]
      provider = "nomad"
      tagged_addresses {
        lan = "10.0.0.1"
      }
      meta {
        version = "1"
      }
      check {
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
        header {
          Authorization = ["Basic x"]
        }
        check_restart {
          limit = 3
          grace = "90s"
        }
      }
      connect {
        sidecar_service {
          proxy {
            upstreams {
              destination_name = "db"
              local_bind_port  = 5432
            }
          }
        }
      }
    }
  }
})");
  const Json& service = job["TaskGroups"][0]["Services"][0];
  EXPECT_EQ(service["Name"], "web");
  EXPECT_EQ(service["PortLabel"], "http");
  EXPECT_EQ(service["Tags"], Json({"a", "b"}));
  EXPECT_EQ(service["Provider"], "nomad");
  EXPECT_EQ(service["TaggedAddresses"], Json({{"lan", "10.0.0.1"}}));
  EXPECT_EQ(service["Meta"], Json({{"version", "1"}}));
  const Json& check = service["Checks"][0];
  EXPECT_EQ(check["Type"], "http");
  EXPECT_EQ(check["Path"], "/health");
  EXPECT_EQ(check["Interval"], 10 * kSecond);
  EXPECT_EQ(check["Timeout"], 2 * kSecond);
  EXPECT_TRUE(same_json(check["Header"], R"({"Authorization": ["Basic x"]})"));
  EXPECT_TRUE(same_json(check["CheckRestart"], R"({"Limit": 3, "Grace": 90000000000})"));
  EXPECT_EQ(service["Connect"]["SidecarService"]["Proxy"]["Upstreams"][0]["LocalBindPort"], 5432);
}

TEST(JobspecDecode, VolumesTemplatesArtifacts) {
  const Json job = decode(R"(job "j" {
  group "g" {
    volume "data" {
      type      = "host"
      source    = "data"
      read_only = true
    }
    task "t" {
      volume_mount {
        volume      = "data"
        destination = "/srv"
      }
      template {
        data        = "port={{ env \"NOMAD_PORT_http\" }}"
        destination = "local/app.conf"
        change_mode = "signal"
        change_signal = "SIGHUP"
        wait {
          min = "2s"
          max = "10s"
        }
      }
      artifact {
        source      = "http://127.0.0.1:5000/file.tgz"
        destination = "local/"
        options {
          checksum = "sha256:abc"
        }
        headers {
          User-Agent = "pot"
        }
      }
    }
  }
})");
  const Json& group = job["TaskGroups"][0];
  EXPECT_TRUE(same_json(group["Volumes"]["data"],
                        R"({"Name": "data", "Type": "host", "Source": "data", "ReadOnly": true})"));
  const Json& task = group["Tasks"][0];
  EXPECT_EQ(task["VolumeMounts"][0]["Destination"], "/srv");
  const Json& tmpl = task["Templates"][0];
  EXPECT_EQ(tmpl["EmbeddedTmpl"], "port={{ env \"NOMAD_PORT_http\" }}");
  EXPECT_EQ(tmpl["DestPath"], "local/app.conf");
  EXPECT_EQ(tmpl["ChangeMode"], "signal");
  EXPECT_EQ(tmpl["Perms"], "0644");  // filled by the parser, as Nomad's
  EXPECT_EQ(tmpl["Splay"], 5 * kSecond);
  EXPECT_TRUE(same_json(tmpl["Wait"], R"({"Min": 2000000000, "Max": 10000000000})"));
  const Json& artifact = task["Artifacts"][0];
  EXPECT_EQ(artifact["GetterSource"], "http://127.0.0.1:5000/file.tgz");
  EXPECT_EQ(artifact["RelativeDest"], "local/");
  EXPECT_EQ(artifact["GetterOptions"], Json({{"checksum", "sha256:abc"}}));
  EXPECT_EQ(artifact["GetterHeaders"], Json({{"User-Agent", "pot"}}));
}

TEST(JobspecDecode, VaultIdentityLifecycleLogs) {
  const Json job = decode(R"(job "j" {
  vault {
    policies = ["read"]
  }
  group "g" {
    task "main" {
      identity {
        env = true
      }
      identity {
        name = "aws"
        aud  = ["sts"]
        ttl  = "1h"
      }
      logs {
        max_files     = 3
        max_file_size = 5
      }
    }
    task "init" {
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
      vault {
        role = "other"
      }
    }
  }
})");
  const Json& main_task = job["TaskGroups"][0]["Tasks"][0];
  EXPECT_EQ(main_task["Vault"]["Policies"], Json({"read"}));  // the job's, moved down
  EXPECT_EQ(main_task["Vault"]["ChangeMode"], "restart");
  EXPECT_EQ(main_task["Identity"], Json({{"Env", true}}));  // the default identity
  EXPECT_EQ(main_task["Identities"][0]["Name"], "aws");
  EXPECT_EQ(main_task["Identities"][0]["TTL"], 3600 * kSecond);
  EXPECT_TRUE(same_json(main_task["LogConfig"], R"({"MaxFiles": 3, "MaxFileSizeMB": 5})"));
  const Json& init = job["TaskGroups"][0]["Tasks"][1];
  EXPECT_TRUE(same_json(init["Lifecycle"], R"({"Hook": "prestart", "Sidecar": false})"));
  EXPECT_EQ(init["Vault"]["Role"], "other");
  EXPECT_FALSE(job.contains("Vault"));
}

TEST(JobspecDecode, PeriodicParameterizedScalingAndTheRest) {
  const Json job = decode(R"(job "j" {
  type = "batch"
  periodic {
    crons            = ["*/5 * * * *"]
    prohibit_overlap = true
    time_zone        = "Europe/Paris"
  }
  parameterized {
    payload       = "optional"
    meta_required = ["id"]
  }
  ui {
    description = "a job"
    link {
      label = "docs"
      url   = "http://127.0.0.1/docs"
    }
  }
  group "g" {
    scaling {
      min = 1
      max = 5
      policy {
        cooldown = "1m"
        check "cpu" {
          source = "prometheus"
        }
      }
    }
    consul {
      namespace = "apps"
    }
    task "t" {
      dispatch_payload {
        file = "input.json"
      }
      scaling "cpu" {
        max = 2000
      }
      action "hello" {
        command = "echo"
        args    = ["hi"]
      }
      csi_plugin {
        id   = "ebs"
        type = "node"
        mount_dir = "/csi"
      }
    }
  }
})");
  EXPECT_EQ(job["Periodic"]["Specs"], Json({"*/5 * * * *"}));
  EXPECT_EQ(job["Periodic"]["SpecType"], "cron");
  EXPECT_EQ(job["ParameterizedJob"]["MetaRequired"], Json({"id"}));
  EXPECT_EQ(job["UI"]["Links"][0]["URL"], "http://127.0.0.1/docs");
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["Scaling"]["Type"], "horizontal");
  EXPECT_EQ(group["Scaling"]["Max"], 5);
  EXPECT_TRUE(same_json(group["Scaling"]["Policy"],
                        R"({"check": [{"cpu": [{"source": "prometheus"}]}], "cooldown": "1m"})"));
  EXPECT_EQ(group["Consul"]["Namespace"], "apps");
  const Json& task = group["Tasks"][0];
  EXPECT_EQ(task["DispatchPayload"]["File"], "input.json");
  EXPECT_EQ(task["ScalingPolicies"][0]["Type"], "vertical_cpu");
  EXPECT_TRUE(same_json(task["Actions"][0], R"({"Name": "hello", "Command": "echo",
                                                "Args": ["hi"]})"));
  EXPECT_EQ(task["CSIPluginConfig"]["MountDir"], "/csi");
}

TEST(JobspecDecode, RunTimeReferencesStayAsWritten) {
  const Json task = task_of(decode(job_with_task(R"(
      env {
        PORT  = "${NOMAD_PORT_http}"
        HOST  = "${attr.unique.hostname}"
        RACK  = "rack-${meta.rack}"
        NODE  = "${node.unique.id}"
        SPACE = "${ meta.x }"
        BARE  = node.datacenter
        MIXED = "${NOMAD_ALLOC_INDEX}-${upper("a")}"
      })")));
  const Json& env = task["Env"];
  EXPECT_EQ(env["PORT"], "${NOMAD_PORT_http}");
  EXPECT_EQ(env["HOST"], "${attr.unique.hostname}");
  EXPECT_EQ(env["RACK"], "rack-${meta.rack}");
  EXPECT_EQ(env["NODE"], "${node.unique.id}");
  EXPECT_EQ(env["SPACE"], "${ meta.x }");
  EXPECT_EQ(env["BARE"], "${node.datacenter}");
  EXPECT_EQ(env["MIXED"], "${NOMAD_ALLOC_INDEX}-A");
}

TEST(JobspecDecode, UnknownArgumentIsLocatedAndNamed) {
  const auto d = error_named("Unsupported argument", job_with_task("      drivr = \"pot\""));
  EXPECT_EQ(d.range.start.line, 4);
  EXPECT_EQ(d.range.start.column, 7);
  EXPECT_EQ(d.detail, "An argument named \"drivr\" is not expected here. Did you mean \"driver\"?");
}

TEST(JobspecDecode, UnknownBlockIsLocatedAndNamed) {
  const auto d = error_named("Unsupported block type", "job \"j\" {\n  grup \"g\" {\n  }\n}\n");
  EXPECT_EQ(d.range.start.line, 2);
  EXPECT_EQ(d.range.start.column, 3);
  EXPECT_EQ(d.detail, "Blocks of type \"grup\" are not expected here. Did you mean \"group\"?");
}

TEST(JobspecDecode, EveryProblemIsReported) {
  const auto diagnostics = errors_of(R"(job "j" {
  colour = "red"
  group "g" {
    count = "many"
    flavour {}
  }
})");
  ASSERT_EQ(diagnostics.size(), 3u);
  EXPECT_EQ(diagnostics[0].range.start.line, 2);
  EXPECT_EQ(diagnostics[1].range.start.line, 4);
  EXPECT_EQ(diagnostics[1].summary, "Unsuitable value type");
  EXPECT_EQ(diagnostics[2].range.start.line, 5);
}

TEST(JobspecDecode, BadDurationNamesGosError) {
  const auto d =
      error_named("Unsuitable value type", job_with_task("      kill_timeout = \"5 s\""));
  EXPECT_EQ(d.detail, "Unsuitable duration value: time: unknown unit \" s\" in duration \"5 s\"");
  EXPECT_EQ(d.range.start.line, 4);
  EXPECT_EQ(d.range.start.column, 22);
}

TEST(JobspecDecode, WholeNumbersOnly) {
  const auto d = error_named("Unsuitable value type", job_with_task(R"(
      resources {
        cpu = 1.5
      })"));
  EXPECT_NE(d.detail.find("whole number"), std::string::npos) << d.detail;
}

TEST(JobspecDecode, LabelsAndRequiredArguments) {
  EXPECT_EQ(
      error_named("Missing name for group", "job \"j\" {\n  group {\n  }\n}\n").range.start.line,
      2);
  EXPECT_EQ(error_named("Extraneous label for update", "job \"j\" {\n  update \"x\" {\n  }\n}\n")
                .range.start.column,
            10);
  const auto d = error_named("Missing required argument", job_with_task(R"(
      lifecycle {
        sidecar = true
      })"));
  EXPECT_EQ(d.detail, "The argument \"hook\" is required, but no definition was found.");
  EXPECT_EQ(d.range.start.line, 5);
}

TEST(JobspecDecode, DuplicateSingleBlock) {
  const auto d = error_named("Duplicate resources block", job_with_task(R"(
      resources {
        cpu = 100
      }
      resources {
        cpu = 200
      })"));
  EXPECT_EQ(d.range.start.line, 8);
  EXPECT_NE(d.detail.find("job.nomad:5,7-"), std::string::npos) << d.detail;
}

TEST(JobspecDecode, GroupScalingNeedsMax) {
  const auto d = error_named("Missing required argument", R"(job "j" {
  group "g" {
    scaling {
      min = 1
    }
  }
})");
  EXPECT_EQ(d.detail, "The argument \"max\" is required, but no definition was found.");
}

TEST(JobspecDecode, TaskScalingLabelMustBeCpuOrMem) {
  const auto d = error_named("Invalid scaling policy name", job_with_task(R"(
      scaling "disk" {
        max = 1
      })"));
  EXPECT_EQ(d.range.start.line, 5);
}

TEST(JobspecDecode, TopLevelAndJobBlockErrors) {
  EXPECT_EQ(error_named("Missing job block", "variable \"x\" {\n  default = 1\n}\n").detail,
            "A job block is required");
  EXPECT_EQ(error_named("Duplicate job block", "job \"a\" {\n}\njob \"b\" {\n}\n").range.start.line,
            3);
  EXPECT_EQ(error_named("Unsupported block type", "jobs \"a\" {\n}\n").detail,
            "Blocks of type \"jobs\" are not expected here. Did you mean \"job\"?");
  EXPECT_EQ(error_named("Unsupported argument", "x = 1\njob \"a\" {\n}\n").range.start.line, 1);
}

TEST(JobspecDynamic, GroupsFromAList) {
  const Json job = decode(R"(job "j" {
  dynamic "group" {
    for_each = [{ name = "a", n = 1 }, { name = "b", n = 2 }]
    labels   = [group.value.name]
    content {
      count = group.value.n
      task "t" {
        driver = "pot"
        config {
          command = group.value.name
        }
        env {
          INDEX = group.key
        }
      }
    }
  }
})");
  ASSERT_EQ(job["TaskGroups"].size(), 2u);
  EXPECT_EQ(job["TaskGroups"][1]["Name"], "b");
  EXPECT_EQ(job["TaskGroups"][1]["Count"], 2);
  EXPECT_EQ(job["TaskGroups"][1]["Tasks"][0]["Config"]["command"], "b");
  EXPECT_EQ(job["TaskGroups"][1]["Tasks"][0]["Env"]["INDEX"], "1");
}

TEST(JobspecDynamic, PortsFromAMapWithAnIteratorAndNesting) {
  const Json job = decode(R"(job "j" {
  group "g" {
    dynamic "network" {
      for_each = ["one"]
      iterator = net
      content {
        dynamic "port" {
          for_each = { http = 8080, admin = 0 }
          iterator = p
          labels   = ["${net.value}-${p.key}"]
          content {
            to = p.value
          }
        }
      }
    }
  }
})");
  const Json& ports = job["TaskGroups"][0]["Networks"][0]["DynamicPorts"];
  ASSERT_EQ(ports.size(), 2u);
  EXPECT_TRUE(same_json(ports[0], R"({"Label": "one-admin", "To": 0})"));
  EXPECT_TRUE(same_json(ports[1], R"({"Label": "one-http", "To": 8080})"));
}

TEST(JobspecDynamic, Errors) {
  EXPECT_EQ(error_named("Invalid dynamic for_each value", R"(job "j" {
  dynamic "group" {
    for_each = "abc"
    labels   = ["x"]
    content {}
  }
})")
                .range.start.line,
            3);
  EXPECT_EQ(error_named("Unsupported block type", R"(job "j" {
  dynamic "nothing" {
    for_each = [1]
    content {}
  }
})")
                .range.start.line,
            2);
  EXPECT_EQ(error_named("Missing dynamic content block", R"(job "j" {
  dynamic "update" {
    for_each = [1]
  }
})")
                .summary,
            "Missing dynamic content block");
  EXPECT_EQ(error_named("Insufficient dynamic block labels", R"(job "j" {
  dynamic "group" {
    for_each = [1]
    labels   = []
    content {}
  }
})")
                .range.start.line,
            4);
}

TEST(JobspecExample, SeedJobDecodes) {
  std::ifstream in(std::string(POT_EXAMPLES_DIR) + "/seed.nomad");
  ASSERT_TRUE(in) << "examples/seed.nomad";
  std::stringstream text;
  text << in.rdbuf();
  const Json job = decode(text.str());
  EXPECT_EQ(job["ID"], "example");
  EXPECT_EQ(job["Datacenters"], Json({"dc1"}));
  EXPECT_EQ(job["Type"], "service");
  const Json& group = job["TaskGroups"][0];
  EXPECT_EQ(group["Name"], "example-group");
  const Json& task = group["Tasks"][0];
  EXPECT_EQ(task["Name"], "nginx-pot");
  EXPECT_EQ(task["Driver"], "pot");
  EXPECT_EQ(task["Services"][0]["Name"], "pot-webserver");
  EXPECT_EQ(task["Services"][0]["PortLabel"], "http");
  EXPECT_EQ(task["Services"][0]["Tags"], Json({"nginx-jail"}));
  EXPECT_TRUE(same_json(task["Services"][0]["Checks"][0],
                        R"({"Name": "tcp", "Type": "tcp", "Interval": 5000000000,
                            "Timeout": 2000000000})"));
  const Json& config = task["Config"];
  EXPECT_EQ(config["image"], "http://127.0.0.1:5000/registry/");
  EXPECT_EQ(config["pot"], "FBSD120-nginx");
  EXPECT_EQ(config["tag"], "1.0");
  EXPECT_EQ(config["command"], "nginx -g 'daemon off;'");
  EXPECT_EQ(config["port_map"], Json::array({Json({{"http", "80"}})}));
  EXPECT_EQ(config["copy"].size(), 2u);
  EXPECT_EQ(config["mount"], Json({"/www/images:/usr/local/etc/www/nginx-dist/images"}));
  EXPECT_EQ(task["Resources"]["CPU"], 200);
  EXPECT_EQ(task["Resources"]["MemoryMB"], 128);
  EXPECT_EQ(task["Resources"]["Networks"][0]["MBits"], 10);
  EXPECT_TRUE(
      same_json(task["Resources"]["Networks"][0]["DynamicPorts"], R"([{"Label": "http"}])"));
}

}  // namespace

namespace {

TEST(JobspecParse, SeedJobIsCanonicalAndItsJsonFormReadsBack) {
  const jobspec::Json job =
      jobspec::parse_job_file(std::string(POT_EXAMPLES_DIR) + "/seed.nomad", {});
  EXPECT_EQ(job["ID"], "example");
  EXPECT_EQ(job["Priority"], 50);  // a default, from canonicalize()
  const jobspec::Json& task = job["TaskGroups"][0]["Tasks"][0];
  EXPECT_EQ(task["Resources"]["CPU"], 200);
  EXPECT_EQ(task["Config"]["image"], "http://127.0.0.1:5000/registry/");

  // The first non-blank `{` makes it the JSON form.
  const std::string json_form = "\n  " + jobspec::Json({{"Job", job}}).dump();
  jobspec::ParseOptions json_options;
  json_options.json = true;
  EXPECT_TRUE(same_json(jobspec::parse_job(json_form, "job.json", json_options), job.dump()));
}

}  // namespace
