// driver_start: nomad-pot-driver's start time and its footprint, driven over gRPC as Nomad's
// client drives it. Run by bench/driver_start.sh and bench/driver_many.sh, which make the
// pot root, the image and its registry, and remove everything afterwards.
//
//   driver_start start OPTIONS   RUNS alternated pairs of one timed start each:
//       driver:   StartTask of a fresh task (new task and allocation id) on one plugin,
//                 timed from the request to its response (`pot start -O -E` inside has
//                 returned: the pot runs); StopTask + DestroyTask untimed.
//       baseline: `pot prepare -U URL -p IMG -t TAG -a ALLOC -n NAME -N NET` then
//                 `pot start -O OUT -E ERR NAME_ALLOC`, timed together; `pot stop` and
//                 `pot destroy -F` untimed.
//   driver_start many OPTIONS    RUNS tasks started at once (one thread each, released
//       together), the wall time until every StartTask has answered; the plugin's memory
//       (VmRSS, VmHWM, threads) at idle, with the tasks running, and after; then every task
//       stopped and destroyed at once, timed too. Each thread also keeps a WaitTask open
//       on its task, as Nomad's client does.
//
// OPTIONS: --driver PATH --pot PATH --url URL --image POT --tag TAG --runs N
//          --network inherit|none --work DIR [--pidfile FILE]
// The plugin inherits the environment (POT_FS_ROOT, POT_NETWORK...), plus go-plugin's
// handshake variables. Its pid goes to --pidfile, so a script can kill it if we die.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "nomad/cty_value.h"
#include "nomad/proto/base.grpc.pb.h"
#include "nomad/proto/driver.grpc.pb.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
namespace drivers = hashicorp::nomad::plugins::drivers::proto;
namespace base = hashicorp::nomad::plugins::base::proto;
namespace hclspec = hashicorp::nomad::plugins::shared::hclspec;
using pot::nomad::CtyValue;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string driver, pot, url, image, tag, network = "inherit", work, pidfile;
  int runs = 50;
};

[[noreturn]] void die(const std::string& message) {
  std::fprintf(stderr, "driver_start: %s\n", message.c_str());
  std::exit(1);
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// ---- Processes -------------------------------------------------------------------------------

// Runs argv (stdout and stderr to `log`, appended) and waits; its exit status.
int run(const std::vector<std::string>& argv, const std::string& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) die("cannot run " + argv[0] + ": " + std::strerror(rc));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

void run_ok(const std::vector<std::string>& argv, const std::string& log) {
  int rc = run(argv, log);
  if (rc != 0) {
    std::string line;
    for (const auto& a : argv) line += " " + a;
    die("`" + line.substr(1) + "` exited " + std::to_string(rc) + " (see " + log + ")");
  }
}

std::map<std::string, long> proc_status(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::map<std::string, long> out;
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string key = line.substr(0, colon);
    if (key == "VmRSS" || key == "VmHWM" || key == "Threads" || key == "RssAnon" ||
        key == "RssFile" || key == "VmSize")
      out[key] = std::strtol(line.c_str() + colon + 1, nullptr, 10);
  }
  return out;
}

// The plugin, started as Nomad's loader starts it.
class Plugin {
 public:
  Plugin(const Options& o) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);
    env.push_back(
        "NOMAD_PLUGIN_MAGIC_COOKIE="
        "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255");
    env.push_back("PLUGIN_PROTOCOL_VERSIONS=2");
    env.push_back("PLUGIN_MIN_PORT=10000");
    env.push_back("PLUGIN_MAX_PORT=25000");
    // The socket in the work directory, which the script removes even after a kill.
    env.push_back("PLUGIN_UNIX_SOCKET_DIR=" + o.work);
    std::vector<char*> c_env;
    for (auto& e : env) c_env.push_back(e.data());
    c_env.push_back(nullptr);
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) die("pipe");
    log_ = o.work + "/plugin.log";
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_addopen(&actions, 2, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    char* argv[] = {const_cast<char*>(o.driver.c_str()), nullptr};
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv, c_env.data());
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0) die("cannot run " + o.driver + ": " + std::strerror(rc));
    pidfile_ = o.pidfile;
    if (!pidfile_.empty()) std::ofstream(pidfile_) << pid_ << "\n";
    // 1|2|unix|PATH|grpc|
    std::string line;
    pollfd p{out[0], POLLIN, 0};
    while (line.empty() || line.back() != '\n') {
      if (::poll(&p, 1, 30000) <= 0) die("no handshake line from the plugin; see " + log_);
      char c = 0;
      if (::read(out[0], &c, 1) != 1) die("the plugin closed stdout; see " + log_);
      line += c;
    }
    stdout_ = out[0];  // kept open: a closed pipe must not look like a gone agent
    std::vector<std::string> fields;
    for (size_t pos = 0, bar; pos < line.size(); pos = bar + 1) {
      bar = line.find_first_of("|\n", pos);
      fields.push_back(line.substr(pos, bar - pos));
    }
    if (fields.size() < 5 || fields[0] != "1" || fields[1] != "2" || fields[2] != "unix")
      die("bad handshake line `" + line + "`");
    channel_ = grpc::CreateChannel("unix:" + fields[3], grpc::InsecureChannelCredentials());
    if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
      die("cannot connect to " + fields[3]);
    base_ = base::BasePlugin::NewStub(channel_);
    driver_ = drivers::Driver::NewStub(channel_);
  }
  ~Plugin() {
    driver_.reset();
    base_.reset();
    channel_.reset();
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    if (!pidfile_.empty()) ::unlink(pidfile_.c_str());  // the pid is no longer ours
    ::close(stdout_);
  }
  pid_t pid() const { return pid_; }
  const std::string& log() const { return log_; }
  base::BasePlugin::Stub& base() { return *base_; }
  drivers::Driver::Stub& driver() { return *driver_; }

 private:
  pid_t pid_ = -1;
  int stdout_ = -1;
  std::string log_, pidfile_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<base::BasePlugin::Stub> base_;
  std::unique_ptr<drivers::Driver::Stub> driver_;
};

// ---- Configs ---------------------------------------------------------------------------------

// A cty object as Nomad sends it: every attribute of the schema, null unless given.
std::string encode_object(const hclspec::Spec& spec, const CtyValue::Map& given) {
  CtyValue::Map object;
  for (const auto& [name, attr] : spec.object().attributes()) object[name] = CtyValue();
  for (const auto& [name, value] : given) {
    if (object.find(name) == object.end()) die("the schema has no attribute " + name);
    object[name] = value;
  }
  return pot::nomad::encode_cty_msgpack(CtyValue(std::move(object)));
}

void set_config(Plugin& plugin) {
  grpc::ClientContext c1;
  base::ConfigSchemaResponse schema;
  if (!plugin.base().ConfigSchema(&c1, base::ConfigSchemaRequest(), &schema).ok())
    die("ConfigSchema failed");
  grpc::ClientContext c2;
  base::SetConfigRequest request;
  base::SetConfigResponse response;
  request.set_msgpack_config(encode_object(schema.spec(), {{"enabled", CtyValue(true)}}));
  request.set_plugin_api_version("v0.1.0");
  auto status = plugin.base().SetConfig(&c2, request, &response);
  if (!status.ok()) die("SetConfig: " + status.error_message());
}

std::string task_config_msgpack(Plugin& plugin, const Options& o) {
  grpc::ClientContext context;
  drivers::TaskConfigSchemaResponse schema;
  if (!plugin.driver().TaskConfigSchema(&context, drivers::TaskConfigSchemaRequest(), &schema).ok())
    die("TaskConfigSchema failed");
  // No command: the image's own (`sleep 3600`), as `pot prepare` without -c.
  return encode_object(schema.spec(), {{"image", CtyValue(o.url)},
                                       {"pot", CtyValue(o.image)},
                                       {"tag", CtyValue(o.tag)},
                                       {"network_mode", CtyValue(o.network)}});
}

std::string alloc_id(const char* kind, int n) {
  char id[64];
  std::snprintf(id, sizeof id, "%s0c2a-7d4b-4c1e-9a3f-%012d", kind, n);
  return id;  // a UUID's shape: 8-4-4-4-12
}

struct Task {
  drivers::TaskConfig config;
  std::string pot;
};

Task make_task(const Options& o, const std::string& msgpack, int n) {
  Task t;
  std::string alloc = alloc_id("d1d1", n);
  std::string name = "web" + std::to_string(n);
  fs::path dir = fs::path(o.work) / ("task-" + std::to_string(n));
  fs::create_directories(dir);
  auto& c = t.config;
  c.set_id(alloc + "/" + name + "/0badf00d");
  c.set_name(name);
  c.set_alloc_id(alloc);
  c.set_job_name("bench");
  c.set_task_group_name("bench-group");
  c.set_stdout_path((dir / "stdout").string());
  c.set_stderr_path((dir / "stderr").string());
  c.set_msgpack_driver_config(msgpack);
  t.pot = name + "_" + alloc;
  return t;
}

grpc::Status start_task(Plugin& plugin, const Task& t) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
  drivers::StartTaskRequest request;
  *request.mutable_task() = t.config;
  drivers::StartTaskResponse response;
  auto status = plugin.driver().StartTask(&context, request, &response);
  if (status.ok() && response.result() != drivers::StartTaskResponse::SUCCESS)
    return {grpc::StatusCode::INTERNAL, "StartTask result " + std::to_string(response.result()) +
                                            ": " + response.driver_error_msg()};
  return status;
}

grpc::Status stop_task(Plugin& plugin, const Task& t) {
  grpc::ClientContext context;
  drivers::StopTaskRequest request;
  request.set_task_id(t.config.id());
  request.set_signal("SIGTERM");
  request.mutable_timeout()->set_seconds(5);
  drivers::StopTaskResponse response;
  return plugin.driver().StopTask(&context, request, &response);
}

grpc::Status destroy_task(Plugin& plugin, const Task& t) {
  grpc::ClientContext context;
  drivers::DestroyTaskRequest request;
  request.set_task_id(t.config.id());
  request.set_force(true);
  drivers::DestroyTaskResponse response;
  return plugin.driver().DestroyTask(&context, request, &response);
}

grpc::Status wait_task(Plugin& plugin, const Task& t) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(600));
  drivers::WaitTaskRequest request;
  request.set_task_id(t.config.id());
  drivers::WaitTaskResponse response;
  return plugin.driver().WaitTask(&context, request, &response);
}

void check(const grpc::Status& status, const std::string& what, const Plugin& plugin) {
  if (!status.ok())
    die(what + ": " + status.error_message() + " (plugin log: " + plugin.log() + ")");
}

// ---- Statistics ------------------------------------------------------------------------------

struct Stats {
  double median, mean, min, max, p90;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  double median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return {median, std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(n), v.front(),
          v.back(), v[std::min(n - 1, n * 9 / 10)]};
}

void print_row(const char* name, const Stats& s, size_t n) {
  std::printf("  %-10s %8.2f %8.2f %8.2f %8.2f %8.2f   %zu\n", name, s.median, s.mean, s.min, s.max,
              s.p90, n);
}

void print_memory(const char* when, pid_t pid) {
  auto m = proc_status(pid);
  std::printf(
      "  %-28s VmRSS %6.1f MB  VmHWM %6.1f MB  RssAnon %6.1f MB  RssFile %5.1f MB  "
      "threads %ld  VmSize %7.1f MB\n",
      when, static_cast<double>(m["VmRSS"]) / 1024, static_cast<double>(m["VmHWM"]) / 1024,
      static_cast<double>(m["RssAnon"]) / 1024, static_cast<double>(m["RssFile"]) / 1024,
      m["Threads"], static_cast<double>(m["VmSize"]) / 1024);
  std::fflush(stdout);
}

// ---- The benchmarks --------------------------------------------------------------------------

int bench_start(const Options& o) {
  Plugin plugin(o);
  set_config(plugin);
  std::string msgpack = task_config_msgpack(plugin, o);
  std::string log = o.work + "/pot-commands.log";
  std::vector<double> driver_ms, baseline_ms;
  // One untimed start of each first (warm-up: the image pot exists, the page cache is warm).
  for (int i = -1; i < o.runs; ++i) {
    int n = i + 2;
    // The driver.
    Task t = make_task(o, msgpack, n);
    auto start = Clock::now();
    check(start_task(plugin, t), "StartTask", plugin);
    double d = ms_since(start);
    check(stop_task(plugin, t), "StopTask", plugin);
    check(destroy_task(plugin, t), "DestroyTask", plugin);
    // The baseline: the same image, network and detached start by hand.
    std::string alloc = alloc_id("b1b1", n);
    std::string name = "web" + std::to_string(n);
    std::string pot = name + "_" + alloc;
    fs::path dir = fs::path(o.work) / ("base-" + std::to_string(n));
    fs::create_directories(dir);
    start = Clock::now();
    run_ok({o.pot, "prepare", "-U", o.url, "-p", o.image, "-t", o.tag, "-a", alloc, "-n", name,
            "-N", o.network},
           log);
    run_ok({o.pot, "start", "-O", (dir / "stdout").string(), "-E", (dir / "stderr").string(), pot},
           log);
    double b = ms_since(start);
    run_ok({o.pot, "stop", pot}, log);
    run_ok({o.pot, "destroy", "-F", "-p", pot}, log);
    if (i >= 0) {
      driver_ms.push_back(d);
      baseline_ms.push_back(b);
    }
  }
  print_memory("plugin after the runs:", plugin.pid());
  Stats ds = stats(driver_ms), bs = stats(baseline_ms);
  std::printf("\n== start to running, image cached (%d runs each, alternated, network %s), ms\n",
              o.runs, o.network.c_str());
  std::printf("  %-10s %8s %8s %8s %8s %8s   runs\n", "", "median", "mean", "min", "max", "p90");
  print_row("driver", ds, driver_ms.size());
  print_row("baseline", bs, baseline_ms.size());
  std::vector<double> diff;
  for (size_t i = 0; i < driver_ms.size(); ++i) diff.push_back(driver_ms[i] - baseline_ms[i]);
  Stats dd = stats(diff);
  std::printf(
      "\n  driver - baseline = %.2f ms (medians; median of the pairs' differences %.2f ms)"
      "   target <= 10 ms   %s\n",
      ds.median - bs.median, dd.median, ds.median - bs.median <= 10 ? "PASS" : "FAIL");
  std::printf("RESULT start driver_median=%.3f baseline_median=%.3f\n", ds.median, bs.median);
  return 0;
}

int bench_many(const Options& o) {
  Plugin plugin(o);
  set_config(plugin);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  print_memory("plugin at idle:", plugin.pid());
  std::string msgpack = task_config_msgpack(plugin, o);
  // One task first, untimed: the image is imported and the page cache warm.
  {
    Task t = make_task(o, msgpack, 9999);
    check(start_task(plugin, t), "StartTask (warm-up)", plugin);
    check(stop_task(plugin, t), "StopTask (warm-up)", plugin);
    check(destroy_task(plugin, t), "DestroyTask (warm-up)", plugin);
  }
  print_memory("plugin after one task:", plugin.pid());

  int n = o.runs;
  std::vector<Task> tasks;
  for (int i = 0; i < n; ++i) tasks.push_back(make_task(o, msgpack, i + 1));
  std::vector<double> start_ms(n), wait_done_ms(n);
  std::vector<std::string> errors(n);
  std::atomic<int> started{0};
  std::barrier<> go(n + 1);
  Clock::time_point t0;
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      go.arrive_and_wait();
      auto status = start_task(plugin, tasks[i]);
      start_ms[i] = ms_since(t0);
      if (!status.ok()) errors[i] = "StartTask: " + status.error_message();
      ++started;
      started.notify_all();
      if (!status.ok()) return;
      // As Nomad's client: a WaitTask open for the task's life.
      status = wait_task(plugin, tasks[i]);
      if (!status.ok()) errors[i] = "WaitTask: " + status.error_message();
    });
  }
  t0 = Clock::now();
  go.arrive_and_wait();
  for (int s = started.load(); s < n; s = started.load()) started.wait(s);
  double all_started = ms_since(t0);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));  // the WaitTasks arrive
  print_memory(("plugin, " + std::to_string(n) + " tasks running:").c_str(), plugin.pid());

  // Stop and destroy all at once.
  std::vector<double> stop_ms(n);
  std::vector<std::thread> stoppers;
  auto t1 = Clock::now();
  for (int i = 0; i < n; ++i) {
    stoppers.emplace_back([&, i] {
      if (!errors[i].empty()) return;
      auto status = stop_task(plugin, tasks[i]);
      if (status.ok()) status = destroy_task(plugin, tasks[i]);
      stop_ms[i] = ms_since(t1);
      if (!status.ok()) errors[i] = "Stop/DestroyTask: " + status.error_message();
    });
  }
  for (auto& t : stoppers) t.join();
  double all_stopped = ms_since(t1);
  for (auto& t : threads) t.join();
  print_memory("plugin after stop/destroy:", plugin.pid());
  int failed = 0;
  for (int i = 0; i < n; ++i) {
    if (errors[i].empty()) continue;
    if (++failed <= 5) std::fprintf(stderr, "task %d: %s\n", i + 1, errors[i].c_str());
  }
  Stats ss = stats(start_ms), ts = stats(stop_ms);
  std::printf("\n== %d tasks started at once (network %s), ms\n", n, o.network.c_str());
  std::printf(
      "  all running after %.1f ms (%.1f ms per task); StartTask answered: median %.1f,"
      " min %.1f, max %.1f\n",
      all_started, all_started / n, ss.median, ss.min, ss.max);
  std::printf("  all stopped and destroyed after %.1f ms; per task: median %.1f, max %.1f\n",
              all_stopped, ts.median, ts.max);
  std::printf("  failed tasks: %d/%d\n", failed, n);
  std::printf("RESULT many all_started=%.1f all_stopped=%.1f failed=%d\n", all_started, all_stopped,
              failed);
  return failed == 0 ? 0 : 1;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) die(flag + " needs a value");
    std::string value = argv[++i];
    if (flag == "--driver")
      o.driver = value;
    else if (flag == "--pot")
      o.pot = value;
    else if (flag == "--url")
      o.url = value;
    else if (flag == "--image")
      o.image = value;
    else if (flag == "--tag")
      o.tag = value;
    else if (flag == "--runs")
      o.runs = std::stoi(value);
    else if (flag == "--network")
      o.network = value;
    else if (flag == "--work")
      o.work = value;
    else if (flag == "--pidfile")
      o.pidfile = value;
    else
      die("unknown option " + flag);
  }
  if (o.driver.empty() || o.pot.empty() || o.url.empty() || o.image.empty() || o.tag.empty() ||
      o.work.empty() || o.runs < 1)
    die("usage: driver_start start|many --driver PATH --pot PATH --url URL --image POT --tag TAG"
        " --work DIR [--runs N] [--network inherit|none] [--pidfile FILE]");
  return o;
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  Options o = parse(argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  if (mode == "start") return bench_start(o);
  if (mode == "many") return bench_many(o);
  die("the mode is start or many, not `" + mode + "`");
}
