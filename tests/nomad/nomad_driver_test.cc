// nomad-pot-driver through real gRPC, in the order Nomad's client calls it (the facts
// sheet): load (PluginInfo, ConfigSchema, SetConfig, Fingerprint, TaskEvents), then per task
// TaskConfigSchema, Capabilities, StartTask, WaitTask, TaskStats, StopTask, DestroyTask, and
// RecoverTask after the plugin was killed. Task configs are encoded by HashiCorp's hcldec
// and go-cty (plugin_harness.h); images come from `pot registry serve` on 127.0.0.1.
#include <signal.h>
#include <sys/stat.h>

#include <chrono>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "harness.h"
#include "helpers/require.h"
#include "net_harness.h"
#include "nomad/proto/structs.pb.h"
#include "plugin_harness.h"

namespace potit {
namespace {

using std::chrono::seconds;

constexpr const char* kTag = "1.0";

class NomadDriverTest : public PotTest {
 public:
  static void TearDownTestSuite() {
    // The next suite has a root of its own, so an image and a registry of its own.
    registry_server().reset();
    image_url().clear();
    PotTest::TearDownTestSuite();
  }

 protected:
  void SetUp() override {
    PotTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    POT_REQUIRE(go_client_binary()[0] != '\0',
                "the Go tool nomad-plugin-client (Debian golang-go and HashiCorp's packages)");
    shared_client_network();
    host_dir_ = root().tmp() / "host-files";
    fs::create_directories(host_dir_);
    if (image_url().empty()) make_image();
  }

  std::vector<std::string> root_env() const override {
    return {"POT_NETWORK=10.125.0.0/16", "POT_GATEWAY=10.125.0.1",
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

  // A pot serving /www/index.html with busybox httpd, exported as an image and served by
  // `pot registry serve` on a port the kernel picks.
  void make_image() {
    ServedImage image = serve_httpd_image(root(), unique_name("nomadimg"), kTag);
    registry_server() = std::move(image.server);
    image_url() = image.url;
    image_pot() = image.pot;
  }

  // The root's environment; the plugins' sockets in its directory, which teardown removes
  // (a plugin killed with SIGKILL cannot remove its own).
  std::vector<std::string> plugin_env(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> more = {"PLUGIN_UNIX_SOCKET_DIR=" + root().tmp().string()};
    more.insert(more.end(), extra.begin(), extra.end());
    return root().env(more);
  }

  std::unique_ptr<PluginProcess> launch(bool via_go_plugin = false) {
    auto plugin = std::make_unique<PluginProcess>(
        plugin_env({"POT_HOST_PATHS=" + host_dir_.string()}), via_go_plugin);
    grpc::Status status = set_config(*plugin, "enabled = true\n");
    if (!status.ok()) throw StepFailed("SetConfig: " + status.error_message());
    return plugin;
  }

  // SetConfig with the plugin block's `config { HCL }`, encoded as Nomad's client does.
  grpc::Status set_config(PluginProcess& plugin, const std::string& hcl) {
    grpc::ClientContext context;
    base::SetConfigRequest request;
    base::SetConfigResponse response;
    request.set_msgpack_config(encode_plugin_config(hcl));
    request.set_plugin_api_version("v0.1.0");
    return plugin.base_stub()->SetConfig(&context, request, &response);
  }

  std::string encode_plugin_config(const std::string& hcl) {
    // The schema as the plugin gives it, as Nomad's loader asks for it.
    PluginProcess probe(plugin_env(), false);
    auto stub = probe.base_stub();
    grpc::ClientContext context;
    base::ConfigSchemaResponse schema;
    auto status = stub->ConfigSchema(&context, base::ConfigSchemaRequest(), &schema);
    if (!status.ok()) throw StepFailed("ConfigSchema: " + status.error_message());
    return encode_with_hcl(schema.spec(), hcl);
  }

  hclspec::Spec task_schema(PluginProcess& plugin) {
    auto stub = plugin.driver_stub();
    grpc::ClientContext context;
    drivers::TaskConfigSchemaResponse schema;
    auto status = stub->TaskConfigSchema(&context, drivers::TaskConfigSchemaRequest(), &schema);
    if (!status.ok()) throw StepFailed("TaskConfigSchema: " + status.error_message());
    return schema.spec();
  }

  // A task as Nomad's client describes it: ids, directories, FIFOs, resources with the
  // task-level port `http` on `host_port`, and the config block `hcl_config` encoded against
  // the plugin's schema.
  struct Task {
    std::string name, alloc_id, id;
    fs::path alloc_dir;
    std::unique_ptr<FifoReader> out, err;
    drivers::TaskConfig config;
    std::string pot() const { return name + "_" + alloc_id; }
  };

  std::unique_ptr<Task> make_task(PluginProcess& plugin, const std::string& hcl_config,
                                  int host_port = 0, int memory_mb = 64) {
    static int counter = 0;
    auto task = std::make_unique<Task>();
    char alloc[64];
    std::snprintf(alloc, sizeof alloc, "5e1f0c2a-7d4b-4c1e-9a3f-%012d",
                  ++counter + ::getpid() % 1000 * 1000);
    task->alloc_id = alloc;
    task->name = "web" + std::to_string(counter);
    task->id = task->alloc_id + "/" + task->name + "/0badf00d";
    track(task->pot());
    task->alloc_dir = root().tmp() / ("alloc-" + std::to_string(counter));
    fs::create_directories(task->alloc_dir / "alloc" / "logs");
    fs::create_directories(task->alloc_dir / task->name / "local");
    fs::create_directories(task->alloc_dir / task->name / "secrets");
    write_text(task->alloc_dir / task->name / "local" / "note.txt", "from local\n");
    task->out = std::make_unique<FifoReader>(task->alloc_dir / "alloc" / "logs" / ".stdout.fifo");
    task->err = std::make_unique<FifoReader>(task->alloc_dir / "alloc" / "logs" / ".stderr.fifo");
    drivers::TaskConfig& c = task->config;
    c.set_id(task->id);
    c.set_name(task->name);
    c.set_alloc_id(task->alloc_id);
    c.set_job_name("example");
    c.set_task_group_name("example-group");
    c.set_alloc_dir(task->alloc_dir.string());
    c.set_stdout_path(task->out->path().string());
    c.set_stderr_path(task->err->path().string());
    (*c.mutable_env())["NOMAD_TASK_NAME"] = task->name;
    (*c.mutable_env())["NOMAD_TASK_DIR"] = "/local";
    auto* resources = c.mutable_resources()->mutable_allocated_resources();
    resources->mutable_cpu()->set_cpu_shares(200);
    resources->mutable_memory()->set_memory_mb(memory_mb);
    if (host_port > 0) {
      auto* network = resources->add_networks();
      network->set_mbits(10);
      auto* port = network->add_dynamic_ports();
      port->set_label("http");
      port->set_value(host_port);
    }
    c.set_msgpack_driver_config(encode_with_hcl(task_schema(plugin), hcl_config));
    return task;
  }

  std::string image_config(const std::string& extra) const {
    return "image = \"" + image_url() + "\"\npot = \"" + image_pot() + "\"\ntag = \"" + kTag +
           "\"\n" + extra;
  }

  drivers::StartTaskResponse start(PluginProcess& plugin, const Task& task, grpc::Status* status) {
    auto stub = plugin.driver_stub();
    grpc::ClientContext context;
    drivers::StartTaskRequest request;
    *request.mutable_task() = task.config;
    drivers::StartTaskResponse response;
    *status = stub->StartTask(&context, request, &response);
    return response;
  }

  drivers::StartTaskResponse start_ok(PluginProcess& plugin, const Task& task) {
    grpc::Status status;
    auto response = start(plugin, task, &status);
    if (!status.ok())
      throw StepFailed("StartTask: " + status.error_message() + "\nplugin log:\n" + plugin.log());
    return response;
  }

  drivers::WaitTaskResponse wait(PluginProcess& plugin, const Task& task, int timeout_s = 60) {
    auto stub = plugin.driver_stub();
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(timeout_s));
    drivers::WaitTaskRequest request;
    request.set_task_id(task.id);
    drivers::WaitTaskResponse response;
    auto status = stub->WaitTask(&context, request, &response);
    if (!status.ok()) throw StepFailed("WaitTask: " + status.error_message());
    return response;
  }

  grpc::Status stop(PluginProcess& plugin, const Task& task, const std::string& signal,
                    int timeout_s) {
    auto stub = plugin.driver_stub();
    grpc::ClientContext context;
    drivers::StopTaskRequest request;
    request.set_task_id(task.id);
    request.set_signal(signal);
    request.mutable_timeout()->set_seconds(timeout_s);
    drivers::StopTaskResponse response;
    return stub->StopTask(&context, request, &response);
  }

  grpc::Status destroy(PluginProcess& plugin, const Task& task) {
    auto stub = plugin.driver_stub();
    grpc::ClientContext context;
    drivers::DestroyTaskRequest request;
    request.set_task_id(task.id);
    request.set_force(true);
    drivers::DestroyTaskResponse response;
    return stub->DestroyTask(&context, request, &response);
  }

  drivers::ExecTaskResponse exec(PluginProcess& plugin, const Task& task,
                                 const std::vector<std::string>& argv) {
    auto stub = plugin.driver_stub();
    grpc::ClientContext context;
    drivers::ExecTaskRequest request;
    request.set_task_id(task.id);
    for (const auto& word : argv) request.add_command(word);
    request.mutable_timeout()->set_seconds(20);
    drivers::ExecTaskResponse response;
    auto status = stub->ExecTask(&context, request, &response);
    if (!status.ok()) throw StepFailed("ExecTask: " + status.error_message());
    return response;
  }

  fs::path host_dir_;
};

// ---- Loading ---------------------------------------------------------------------------------

TEST_F(NomadDriverTest, RunByHandSaysItIsAPluginAndExits1) {
  RunOptions options;
  options.env = base_environment();
  RunResult run = run_process({plugin_binary()}, options);
  EXPECT_EQ(run.code, 1) << run;
  EXPECT_NE(run.err.find("This binary is a plugin"), std::string::npos) << run;
  EXPECT_EQ(run.out, "") << run;
}

TEST_F(NomadDriverTest, GoPluginClientHandshakesPingsAndShutsDown) {
  // go-plugin's own client checks the cookie, the handshake line, the health service.
  PluginProcess plugin(plugin_env(), /*via_go_plugin=*/true);
  EXPECT_TRUE(process_running(plugin.pid()));
  base::PluginInfoResponse info;
  {
    grpc::ClientContext context;
    ASSERT_TRUE(plugin.base_stub()->PluginInfo(&context, base::PluginInfoRequest(), &info).ok());
  }
  EXPECT_EQ(info.name(), "pot");
  EXPECT_EQ(info.type(), base::DRIVER);
  ASSERT_EQ(info.plugin_api_versions_size(), 1);
  EXPECT_EQ(info.plugin_api_versions(0), "v0.1.0");
  pid_t pid = plugin.pid();
  // Kill() calls GRPCController/Shutdown: the plugin leaves well before go-plugin's 2 s grace.
  int ms = plugin.shutdown_via_go_plugin();
  EXPECT_LT(ms, 1900) << plugin.log();
  EXPECT_FALSE(process_running(pid));
  // go-plugin re-logged our hclog JSON lines as parsed entries, not as raw text.
  EXPECT_NE(plugin.log().find("plugin started"), std::string::npos) << plugin.log();
}

TEST_F(NomadDriverTest, FingerprintIsHealthyAndTheStreamStaysOpen) {
  auto plugin = launch();
  auto stub = plugin->driver_stub();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(4));
  auto reader = stub->Fingerprint(&context, drivers::FingerprintRequest());
  drivers::FingerprintResponse first;
  ASSERT_TRUE(reader->Read(&first)) << plugin->log();
  EXPECT_EQ(first.health(), drivers::FingerprintResponse::HEALTHY) << first.health_description();
  ASSERT_EQ(first.attributes().count("driver.pot"), 1U);
  EXPECT_TRUE(first.attributes().at("driver.pot").bool_val());
  EXPECT_EQ(first.attributes().at("driver.pot.version").string_val(), "0.1.0");
  // Nothing changed: no second message, and the stream ends only at our deadline.
  drivers::FingerprintResponse more;
  EXPECT_FALSE(reader->Read(&more));
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
}

TEST_F(NomadDriverTest, FingerprintIsUnhealthyWithAReasonOnAnUninitialisedRoot) {
  fs::path empty = root().tmp() / "not-a-root";
  fs::create_directories(empty);
  PluginProcess plugin(plugin_env(), false);
  ASSERT_TRUE(set_config(plugin, "fs_root = \"" + empty.string() + "\"\n").ok());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(10));
  auto reader = plugin.driver_stub()->Fingerprint(&context, drivers::FingerprintRequest());
  drivers::FingerprintResponse first;
  ASSERT_TRUE(reader->Read(&first));
  EXPECT_EQ(first.health(), drivers::FingerprintResponse::UNHEALTHY);
  EXPECT_NE(first.health_description().find("is not initialised"), std::string::npos)
      << first.health_description();
  context.TryCancel();
}

TEST_F(NomadDriverTest, CapabilitiesAskForImageIsolation) {
  auto plugin = launch();
  grpc::ClientContext context;
  drivers::CapabilitiesResponse caps;
  ASSERT_TRUE(
      plugin->driver_stub()->Capabilities(&context, drivers::CapabilitiesRequest(), &caps).ok());
  EXPECT_TRUE(caps.capabilities().send_signals());
  EXPECT_TRUE(caps.capabilities().exec());
  EXPECT_EQ(caps.capabilities().fs_isolation(), drivers::DriverCapabilities::IMAGE);
}

TEST_F(NomadDriverTest, HclRefusesAnUnknownAttributeWithThePluginsSchema) {
  auto plugin = launch();
  std::string error;
  encode_with_hcl(task_schema(*plugin), image_config("colour = \"blue\"\n"), &error);
  EXPECT_NE(error.find("colour"), std::string::npos) << error;
  encode_with_hcl(task_schema(*plugin), "pot = \"x\"\ntag = \"1\"\n", &error);
  EXPECT_NE(error.find("image"), std::string::npos) << error;
}

// ---- A task's life ---------------------------------------------------------------------------

TEST_F(NomadDriverTest, SeedStyleTaskServesItsPageThroughTheAllocatedPort) {
  auto plugin = launch();
  write_text(host_dir_ / "index.html", "page copied in by the job\n");
  uint16_t host_port = free_host_ports(1)[0];
  auto task =
      make_task(*plugin,
                image_config("command = \"httpd -f -p 80 -h /www\"\n"
                             "port_map = { http = \"80\" }\n"
                             "copy = [ \"" +
                             (host_dir_ / "index.html").string() + ":/www/index.html\" ]\n"),
                host_port);
  auto started = start_ok(*plugin, *task);
  EXPECT_EQ(started.handle().state(), drivers::RUNNING);
  EXPECT_FALSE(started.handle().driver_state().empty());
  const auto& net = started.network_override();
  EXPECT_TRUE(std::regex_match(net.addr(), std::regex(R"(10\.125\.\d+\.\d+)"))) << net.addr();
  ASSERT_EQ(net.port_map().count("http"), 1U);
  EXPECT_EQ(net.port_map().at("http"), 80);

  std::string body;
  EXPECT_TRUE(wait_until(
      [&] {
        return (body = http_get("127.0.0.1", host_port, 500)) == "page copied in by the job\n";
      },
      15000, 100))
      << "page from 127.0.0.1:" << host_port << ": `" << body << "`\n"
      << plugin->log();

  // The task's own directories, and its view of them.
  auto cat = exec(*plugin, *task, {"cat", "/local/note.txt"});
  EXPECT_EQ(cat.stdout(), "from local\n");
  EXPECT_EQ(cat.result().exit_code(), 0);
  auto fails = exec(*plugin, *task, {"sh", "-c", "echo oops >&2; exit 3"});
  EXPECT_EQ(fails.stderr(), "oops\n");
  EXPECT_EQ(fails.result().exit_code(), 3);

  {
    grpc::ClientContext context;
    drivers::InspectTaskRequest request;
    request.set_task_id(task->id);
    drivers::InspectTaskResponse inspect;
    ASSERT_TRUE(plugin->driver_stub()->InspectTask(&context, request, &inspect).ok());
    EXPECT_EQ(inspect.task().state(), drivers::RUNNING);
    EXPECT_EQ(inspect.task().id(), task->id);
  }
  {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(10));
    drivers::TaskStatsRequest request;
    request.set_task_id(task->id);
    request.mutable_collection_interval()->set_nanos(200000000);
    auto reader = plugin->driver_stub()->TaskStats(&context, request);
    drivers::TaskStatsResponse sample;
    ASSERT_TRUE(reader->Read(&sample));
    ASSERT_TRUE(reader->Read(&sample));  // the second has CPU rates
    const auto& usage = sample.stats().agg_resource_usage();
    EXPECT_GT(usage.memory().rss(), 0U);
    EXPECT_GE(usage.memory().measured_fields_size(), 1);
    bool has_percent = false;
    for (int f : usage.cpu().measured_fields()) has_percent |= f == drivers::CPUUsage::PERCENT;
    EXPECT_TRUE(has_percent);
    context.TryCancel();
  }

  ASSERT_TRUE(stop(*plugin, *task, "SIGTERM", 5).ok());
  auto waited = wait(*plugin, *task);
  EXPECT_EQ(waited.result().signal(), SIGTERM) << waited.DebugString();
  EXPECT_FALSE(waited.result().oom_killed());
  auto destroyed = destroy(*plugin, *task);
  EXPECT_TRUE(destroyed.ok()) << destroyed.error_message();
  EXPECT_FALSE(fs::exists(root().jail_dir(task->pot())));
}

TEST_F(NomadDriverTest, OutputGoesToNomadsFifosAndArgsArriveWhole) {
  auto plugin = launch();
  auto task = make_task(*plugin, image_config(R"(command = "printf '[%s]\\n'"
args = ["a b", "it's", "$(touch /x)';\"", "two\nlines"]
network_mode = "none"
)"));
  start_ok(*plugin, *task);
  auto waited = wait(*plugin, *task);
  EXPECT_EQ(waited.result().exit_code(), 0);
  EXPECT_TRUE(wait_until([&] { return task->out->text().size() >= 40; }, 5000));
  EXPECT_EQ(task->out->text(), "[a b]\n[it's]\n[$(touch /x)';\"]\n[two\nlines]\n");
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, EnvironmentArrivesByteForByte) {
  auto plugin = launch();
  auto task = make_task(*plugin, image_config("command = \"env\"\nnetwork_mode = \"none\"\n"));
  (*task->config.mutable_env())["TRICKY"] = "$(touch /x)';\" `id` \\n \\";
  (*task->config.mutable_env())["MULTI"] = "line one\nline two";
  start_ok(*plugin, *task);
  EXPECT_EQ(wait(*plugin, *task).result().exit_code(), 0);
  wait_until([&] { return task->out->text().find("TRICKY=") != std::string::npos; }, 5000);
  std::string out = task->out->text();
  EXPECT_NE(out.find("\nTRICKY=$(touch /x)';\" `id` \\n \\\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nMULTI=line one\nline two\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\nNOMAD_TASK_DIR=/local\n"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(root().jail_dir(task->pot()) / "m" / "x"));
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, MissingImageFailsFastWithItsUrlAndLeavesNothing) {
  auto plugin = launch();
  auto task = make_task(*plugin, "image = \"" + image_url() +
                                     "\"\npot = \"no-such-image\"\ntag = \"9.9\"\n"
                                     "command = \"true\"\n");
  auto before = dir_entries(root().fs_root() / "jails");
  auto t0 = std::chrono::steady_clock::now();
  grpc::Status status;
  start(*plugin, *task, &status);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(10));
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find(image_url()), std::string::npos) << status.error_message();
  EXPECT_EQ(dir_entries(root().fs_root() / "jails"), before);
}

TEST_F(NomadDriverTest, HostPathsOutsideTheAllowedPrefixesAreRefused) {
  auto plugin = launch();
  auto task = make_task(*plugin, image_config("command = \"true\"\ncopy = [\"/etc/shadow:/x\"]\n"));
  auto before = dir_entries(root().fs_root() / "jails");
  grpc::Status status;
  start(*plugin, *task, &status);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_message().find("/etc/shadow"), std::string::npos)
      << status.error_message();
  EXPECT_NE(status.error_message().find("POT_HOST_PATHS"), std::string::npos)
      << status.error_message();
  EXPECT_EQ(dir_entries(root().fs_root() / "jails"), before);
}

TEST_F(NomadDriverTest, MemoryLimitKillsAnOverAllocatingTaskAndSaysOom) {
  auto plugin = launch();
  auto task = make_task(*plugin,
                        image_config("command = \"sh -c 'x=aaaaaaaaaaaaaaaa; while true; do "
                                     "x=$x$x; done'\"\nnetwork_mode = \"none\"\n"),
                        0, /*memory_mb=*/32);
  start_ok(*plugin, *task);
  auto waited = wait(*plugin, *task, 120);
  EXPECT_TRUE(waited.result().oom_killed()) << waited.DebugString();
  EXPECT_EQ(waited.result().signal(), SIGKILL) << waited.DebugString();
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, PortMapAsAListOfObjectsMapsByLabel) {
  auto plugin = launch();
  std::vector<uint16_t> ports = free_host_ports(2);
  auto task = make_task(*plugin,
                        image_config("command = \"httpd -f -p 8080 -h /www\"\n"
                                     "port_map = [{ admin = \"9000\" }, { http = 8080 }]\n"),
                        ports[0]);
  // A second label, declared first in the group's network: mapping is by label, never by
  // position (the original driver's bug).
  auto* admin = task->config.mutable_resources()->add_ports();
  admin->set_label("admin");
  admin->set_value(ports[1]);
  auto started = start_ok(*plugin, *task);
  EXPECT_EQ(started.network_override().port_map().at("http"), 8080);
  EXPECT_EQ(started.network_override().port_map().at("admin"), 9000);
  std::string body;
  EXPECT_TRUE(wait_until(
      [&] { return (body = http_get("127.0.0.1", ports[0], 500)) == "page from the image\n"; },
      15000, 100))
      << body;
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, MountsUserDnsAndLimitsReachThePot) {
  auto plugin = launch();
  fs::create_directories(host_dir_ / "data");
  write_text(host_dir_ / "data" / "file", "shared\n");
  fs::create_directories(host_dir_ / "ro");
  write_text(host_dir_ / "ro" / "file", "read only\n");
  auto task = make_task(*plugin, image_config("command = \"sleep 600\"\nnetwork_mode = \"none\"\n"
                                              "mount = [\"" +
                                              (host_dir_ / "data").string() +
                                              ":/data\"]\n"
                                              "mount_read_only = [\"" +
                                              (host_dir_ / "ro").string() +
                                              ":/ro\"]\n"
                                              "extra_hosts = [\"db.internal:10.9.8.7\"]\n"));
  task->config.set_user("nobody");
  auto* dns = task->config.mutable_dns();
  dns->add_servers("192.0.2.53");
  dns->add_searches("service.consul");
  start_ok(*plugin, *task);
  EXPECT_EQ(exec(*plugin, *task, {"cat", "/data/file"}).stdout(), "shared\n");
  EXPECT_EQ(exec(*plugin, *task, {"cat", "/ro/file"}).stdout(), "read only\n");
  EXPECT_NE(exec(*plugin, *task, {"touch", "/ro/new"}).result().exit_code(), 0);
  EXPECT_EQ(exec(*plugin, *task, {"cat", "/local/note.txt"}).stdout(), "from local\n");
  EXPECT_TRUE(fs::is_directory(root().jail_dir(task->pot()) / "m" / "secrets") ||
              exec(*plugin, *task, {"test", "-d", "/secrets"}).result().exit_code() == 0);
  std::string hosts = exec(*plugin, *task, {"cat", "/etc/hosts"}).stdout();
  EXPECT_NE(hosts.find("10.9.8.7 db.internal"), std::string::npos) << hosts;
  std::string resolv = exec(*plugin, *task, {"cat", "/etc/resolv.conf"}).stdout();
  EXPECT_EQ(resolv, "nameserver 192.0.2.53\nsearch service.consul\n");
  // The command runs as the task's user (exec too, as Nomad's exec does).
  EXPECT_EQ(exec(*plugin, *task, {"id", "-un"}).stdout(), "nobody\n");
  // Memory limit and CPU weight from the task's resources, on the pot's cgroup.
  auto dirs = root().pot_cgroup_dirs(task->pot());
  bool memory_seen = false;
  bool cpu_seen = false;
  for (const auto& dir : dirs) {
    if (fs::exists(dir / "memory.limit_in_bytes")) {
      EXPECT_EQ(trim(read_text(dir / "memory.limit_in_bytes")), std::to_string(64 << 20));
      memory_seen = true;
    }
    if (fs::exists(dir / "memory.max")) {
      EXPECT_EQ(trim(read_text(dir / "memory.max")), std::to_string(64 << 20));
      memory_seen = true;
    }
    if (fs::exists(dir / "cpu.shares")) {
      EXPECT_EQ(trim(read_text(dir / "cpu.shares")), "200");
      cpu_seen = true;
    }
    if (fs::exists(dir / "cpu.weight")) {
      EXPECT_EQ(trim(read_text(dir / "cpu.weight")), "8");  // 1 + (200-2)*9999/262142
      cpu_seen = true;
    }
  }
  EXPECT_TRUE(memory_seen && cpu_seen);
  ASSERT_TRUE(stop(*plugin, *task, "SIGINT", 5).ok());
  EXPECT_EQ(wait(*plugin, *task).result().signal(), SIGINT);
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, SignalReachesTheCommandAndStopEscalatesToKill) {
  auto plugin = launch();
  auto task = make_task(
      *plugin, image_config("command = \"sh -c 'trap \\\"echo got HUP\\\" HUP; trap \\\"\\\" TERM; "
                            "while true; do sleep 0.1; done'\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  {
    grpc::ClientContext context;
    drivers::SignalTaskRequest request;
    request.set_task_id(task->id);
    request.set_signal("SIGHUP");
    drivers::SignalTaskResponse response;
    ASSERT_TRUE(plugin->driver_stub()->SignalTask(&context, request, &response).ok());
  }
  EXPECT_TRUE(
      wait_until([&] { return task->out->text().find("got HUP") != std::string::npos; }, 5000))
      << task->out->text();
  // TERM is ignored: after the timeout the pot is killed.
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(stop(*plugin, *task, "SIGTERM", 1).ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  EXPECT_EQ(wait(*plugin, *task).result().signal(), SIGKILL);
  EXPECT_TRUE(destroy(*plugin, *task).ok());
  // A signal to a task that is gone is an error, not a crash.
  grpc::ClientContext context;
  drivers::SignalTaskRequest request;
  request.set_task_id(task->id);
  request.set_signal("SIGHUP");
  drivers::SignalTaskResponse response;
  EXPECT_EQ(plugin->driver_stub()->SignalTask(&context, request, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(NomadDriverTest, LogCollectorThatGoesAwayAndComesBackNeverKillsTheTask) {
  auto plugin = launch();
  auto task = make_task(*plugin,
                        image_config("command = \"sh -c 'i=0; while true; do echo line $i; "
                                     "i=$((i+1)); sleep 0.05; done'\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  EXPECT_TRUE(
      wait_until([&] { return task->out->text().find("line 3") != std::string::npos; }, 5000));
  task->out->pause();  // logmon restarting
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  size_t before = task->out->text().size();
  task->out->resume();
  EXPECT_TRUE(wait_until([&] { return task->out->text().size() > before + 30; }, 5000));
  EXPECT_EQ(root().status(task->pot()), "started");
  ASSERT_TRUE(stop(*plugin, *task, "SIGTERM", 5).ok());
  EXPECT_EQ(wait(*plugin, *task).result().signal(), SIGTERM);
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, StreamingExecWithATtyAndStdin) {
  auto plugin = launch();
  auto task =
      make_task(*plugin, image_config("command = \"sleep 600\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  for (bool tty : {false, true}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(30));
    auto stream = plugin->driver_stub()->ExecTaskStreaming(&context);
    drivers::ExecTaskStreamingRequest setup;
    setup.mutable_setup()->set_task_id(task->id);
    setup.mutable_setup()->add_command("sh");
    setup.mutable_setup()->add_command("-c");
    setup.mutable_setup()->add_command(
        tty ? "stty size; [ -t 0 ] && echo tty; read x; echo got $x; exit 5"
            : "[ -t 0 ] || echo notty; read x; echo got $x; exit 5");
    setup.mutable_setup()->set_tty(tty);
    ASSERT_TRUE(stream->Write(setup));
    if (tty) {
      drivers::ExecTaskStreamingRequest size;
      size.mutable_tty_size()->set_height(33);
      size.mutable_tty_size()->set_width(101);
      ASSERT_TRUE(stream->Write(size));
    }
    drivers::ExecTaskStreamingRequest input;
    input.mutable_stdin()->set_data("hello\n");
    ASSERT_TRUE(stream->Write(input));
    std::string out;
    drivers::ExecTaskStreamingResponse response;
    bool exited = false;
    int code = -1;
    while (stream->Read(&response)) {
      out += response.stdout().data();
      if (response.exited()) {
        exited = true;
        code = response.result().exit_code();
        break;
      }
    }
    stream->WritesDone();
    context.TryCancel();
    EXPECT_TRUE(exited);
    EXPECT_EQ(code, 5);
    EXPECT_NE(out.find("got hello"), std::string::npos) << out;
    if (tty) {
      EXPECT_NE(out.find("33 101"), std::string::npos) << out;
      EXPECT_NE(out.find("tty"), std::string::npos) << out;
    } else {
      EXPECT_NE(out.find("notty"), std::string::npos) << out;
    }
  }
  ASSERT_TRUE(stop(*plugin, *task, "SIGKILL", 1).ok());
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, ASecondSetConfigKeepsTheTasksAndASecondStartOfOneIdIsRefused) {
  auto plugin = launch();
  auto task =
      make_task(*plugin, image_config("command = \"sleep 600\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  grpc::Status again;
  start(*plugin, *task, &again);
  EXPECT_EQ(again.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << again.error_message();
  ASSERT_TRUE(set_config(*plugin, "enabled = true\n").ok());
  grpc::ClientContext context;
  drivers::InspectTaskRequest request;
  request.set_task_id(task->id);
  drivers::InspectTaskResponse inspect;
  ASSERT_TRUE(plugin->driver_stub()->InspectTask(&context, request, &inspect).ok());
  EXPECT_EQ(inspect.task().state(), drivers::RUNNING);
  ASSERT_TRUE(stop(*plugin, *task, "SIGKILL", 1).ok());
  EXPECT_EQ(wait(*plugin, *task).result().signal(), SIGKILL);
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, RequiredSigningKeyRefusesAnUnsignedImageNamingTheSignature) {
  fs::path keys = root().tmp() / "keys";
  fs::create_directories(keys);
  expect_ok(pot({"keygen", "-k", (keys / "signer").string()}));
  auto plugin = launch();
  ASSERT_TRUE(
      set_config(*plugin, "signing_key = \"" + (keys / "signer.pub").string() + "\"\n").ok());
  auto task = make_task(*plugin, image_config("command = \"true\"\nnetwork_mode = \"none\"\n"));
  auto before = dir_entries(root().fs_root() / "jails");
  grpc::Status status;
  start(*plugin, *task, &status);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.error_message().find("sign"), std::string::npos) << status.error_message();
  EXPECT_EQ(dir_entries(root().fs_root() / "jails"), before);
}

TEST_F(NomadDriverTest, AnExecThatTimesOutLeavesNothingRunningInThePot) {
  auto plugin = launch();
  auto task =
      make_task(*plugin, image_config("command = \"sleep 600\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  {
    grpc::ClientContext context;
    drivers::ExecTaskRequest request;
    request.set_task_id(task->id);
    for (const char* word : {"sleep", "321"}) request.add_command(word);
    request.mutable_timeout()->set_seconds(1);
    drivers::ExecTaskResponse response;
    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(plugin->driver_stub()->ExecTask(&context, request, &response).ok());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, seconds(10));
    EXPECT_NE(response.result().exit_code(), 0);
  }
  std::string ps;
  EXPECT_TRUE(wait_until(
      [&] {
        ps = exec(*plugin, *task, {"ps"}).stdout();
        return ps.find("sleep 321") == std::string::npos;
      },
      5000, 100))
      << ps;
  ASSERT_TRUE(stop(*plugin, *task, "SIGKILL", 1).ok());
  EXPECT_TRUE(destroy(*plugin, *task).ok());
}

TEST_F(NomadDriverTest, WaitTaskDuringShutdownIsAnErrorNeverAnEmptyResult) {
  auto plugin = launch();
  auto task =
      make_task(*plugin, image_config("command = \"sleep 600\"\nnetwork_mode = \"none\"\n"));
  auto started = start_ok(*plugin, *task);
  grpc::Status status;
  drivers::WaitTaskResponse response;
  std::thread waiter([&] {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + seconds(30));
    drivers::WaitTaskRequest request;
    request.set_task_id(task->id);
    status = plugin->driver_stub()->WaitTask(&context, request, &response);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(plugin->pid(), SIGTERM);  // systemd stopping the agent's unit
  waiter.join();
  EXPECT_FALSE(status.ok() && !response.has_result()) << "OK without a result";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  // The task runs on; a new plugin recovers and ends it.
  EXPECT_EQ(root().status(task->pot()), "started");
  auto relaunched = launch();
  drivers::RecoverTaskRequest recover;
  recover.set_task_id(task->id);
  *recover.mutable_handle() = started.handle();
  grpc::ClientContext context;
  drivers::RecoverTaskResponse recovered;
  ASSERT_TRUE(relaunched->driver_stub()->RecoverTask(&context, recover, &recovered).ok());
  ASSERT_TRUE(stop(*relaunched, *task, "SIGKILL", 1).ok());
  EXPECT_TRUE(destroy(*relaunched, *task).ok());
}

TEST_F(NomadDriverTest, APotLeftByAStartNomadNeverHeardOfMakesWayForTheNextRun) {
  auto plugin = launch();
  auto task =
      make_task(*plugin, image_config("command = \"sleep 600\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  // The plugin dies before Nomad stored the handle: nobody will recover this task.
  plugin->kill_hard();
  auto relaunched = launch();
  // Nomad starts the task again: the same allocation and name, a new task id.
  task->id = task->alloc_id + "/" + task->name + "/1234abcd";
  task->config.set_id(task->id);
  start_ok(*relaunched, *task);
  EXPECT_EQ(root().status(task->pot()), "started");
  ASSERT_TRUE(stop(*relaunched, *task, "SIGKILL", 1).ok());
  EXPECT_TRUE(destroy(*relaunched, *task).ok());
}

// ---- Recovery --------------------------------------------------------------------------------

class NomadDriverRecoverTest : public NomadDriverTest,
                               public ::testing::WithParamInterface<bool> {};

TEST_P(NomadDriverRecoverTest, KilledPluginIsRelaunchedAndRecoversTheRunningTask) {
  bool full_handle = GetParam();
  auto plugin = launch();
  auto task =
      make_task(*plugin, image_config("command = \"sh -c 'i=0; while [ ! -e /done ]; do echo tick "
                                      "$i; i=$((i+1)); sleep 0.1; done; exit 7'\"\n"
                                      "network_mode = \"none\"\n"));
  auto started = start_ok(*plugin, *task);
  std::string init_pid = root().state(task->pot())["init_pid"];
  ASSERT_FALSE(init_pid.empty());

  plugin->kill_hard();
  // The task runs on, its output still flowing, with nobody but its monitor.
  size_t seen = task->out->text().size();
  EXPECT_TRUE(wait_until([&] { return task->out->text().size() > seen + 20; }, 5000));
  EXPECT_EQ(root().status(task->pot()), "started");

  auto relaunched = launch();
  drivers::RecoverTaskRequest request;
  request.set_task_id(task->id);
  *request.mutable_handle() = started.handle();
  if (!full_handle) {
    // What a restarted Nomad agent sends: no driver config.
    request.mutable_handle()->mutable_config()->clear_msgpack_driver_config();
    request.clear_task_id();
  }
  {
    grpc::ClientContext context;
    drivers::RecoverTaskResponse response;
    auto status = relaunched->driver_stub()->RecoverTask(&context, request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message() << "\n" << relaunched->log();
  }
  // Not restarted: the same init.
  EXPECT_EQ(root().state(task->pot())["init_pid"], init_pid);
  exec(*relaunched, *task, {"touch", "/done"});
  auto waited = wait(*relaunched, *task);
  EXPECT_EQ(waited.result().exit_code(), 7) << waited.DebugString();
  EXPECT_TRUE(destroy(*relaunched, *task).ok());
}

INSTANTIATE_TEST_SUITE_P(Handle, NomadDriverRecoverTest, ::testing::Bool(),
                         [](const auto& param_info) {
                           return param_info.param ? "Full" : "WithoutConfig";
                         });

TEST_F(NomadDriverTest, TaskEventsStreamStaysOpenAndReportsStarts) {
  auto plugin = launch();
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + seconds(60));
  auto events = plugin->driver_stub()->TaskEvents(&context, drivers::TaskEventsRequest());
  auto task = make_task(*plugin, image_config("command = \"true\"\nnetwork_mode = \"none\"\n"));
  start_ok(*plugin, *task);
  drivers::DriverTaskEvent event;
  bool saw_start = false;
  while (!saw_start && events->Read(&event)) {
    EXPECT_EQ(event.task_id(), task->id);
    saw_start = event.message().find("started") != std::string::npos;
  }
  EXPECT_TRUE(saw_start);
  wait(*plugin, *task);
  EXPECT_TRUE(destroy(*plugin, *task).ok());
  context.TryCancel();
}

}  // namespace
}  // namespace potit
