#include "plugin_harness.h"

#include <fcntl.h>
#include <google/protobuf/util/json_util.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "harness.h"

namespace potit {

const char* plugin_binary() {
  return NOMAD_POT_DRIVER;
}

const char* go_client_binary() {
#ifdef NOMAD_PLUGIN_CLIENT
  return NOMAD_PLUGIN_CLIENT;
#else
  return "";
#endif
}

namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Reads one line from fd within timeout_ms ("" on timeout or EOF).
std::string read_line(int fd, int timeout_ms) {
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    deadline - std::chrono::steady_clock::now())
                                    .count());
    if (::poll(&p, 1, std::max(left, 1)) <= 0) continue;
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n <= 0) return "";
    if (c == '\n') return line;
    line += c;
  }
  return "";
}

}  // namespace

PluginProcess::PluginProcess(const std::vector<std::string>& env, bool via_go_plugin) {
  stderr_file_ = make_temp_dir("pot-plugin-log") / "stderr";
  std::vector<std::string> argv;
  if (via_go_plugin) {
    argv = {go_client_binary(), "launch", plugin_binary()};
  } else {
    argv = {plugin_binary()};
  }
  std::vector<std::string> full_env = env;
  if (!via_go_plugin) {
    // What go-plugin's client sets (the Go tool sets it itself).
    full_env.push_back(
        "NOMAD_PLUGIN_MAGIC_COOKIE="
        "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255");
    full_env.push_back("PLUGIN_PROTOCOL_VERSIONS=2");
    full_env.push_back("PLUGIN_MIN_PORT=10000");
    full_env.push_back("PLUGIN_MAX_PORT=25000");
  }
  int in[2];
  int out[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0) throw StepFailed("pipe failed");
  int err_fd = ::open(stderr_file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(full_env);
  child_ = ::fork();
  if (child_ == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err_fd, 2);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err_fd);
  to_child_ = in[1];
  from_child_ = out[0];
  std::string line = read_line(from_child_, 60000);
  if (via_go_plugin) {
    // {"network":"unix","addr":"...","pid":N,...}
    try {
      auto j = nlohmann::json::parse(line);
      socket_ = j.at("addr").get<std::string>();
      plugin_pid_ = j.at("pid").get<pid_t>();
    } catch (const std::exception& e) {
      throw StepFailed("go-plugin client did not report the plugin (" + std::string(e.what()) +
                       "): " + line + "\n" + log());
    }
  } else {
    // 1|2|unix|/path|grpc|
    std::vector<std::string> fields;
    size_t pos = 0;
    while (pos <= line.size()) {
      size_t bar = line.find('|', pos);
      if (bar == std::string::npos) bar = line.size();
      fields.push_back(line.substr(pos, bar - pos));
      pos = bar + 1;
    }
    if (fields.size() < 5 || fields[0] != "1" || fields[1] != "2" || fields[2] != "unix" ||
        fields[4] != "grpc")
      throw StepFailed("bad handshake line `" + line + "`; stderr:\n" + log());
    socket_ = fields[3];
    plugin_pid_ = child_;
  }
  channel_ = grpc::CreateChannel("unix:" + socket_, grpc::InsecureChannelCredentials());
  if (!channel_->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10)))
    throw StepFailed("cannot connect to the plugin at " + socket_);
}

PluginProcess::~PluginProcess() {
  channel_.reset();
  if (plugin_pid_ > 0) ::kill(plugin_pid_, SIGTERM);
  if (to_child_ >= 0) ::close(to_child_);
  if (child_ > 0) {
    bool done = wait_until([&] { return ::waitpid(child_, nullptr, WNOHANG) == child_; }, 10000);
    if (!done) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
  }
  if (plugin_pid_ > 0 && plugin_pid_ != child_) {
    wait_until([&] { return !process_running(plugin_pid_); }, 5000);
  }
  if (from_child_ >= 0) ::close(from_child_);
  std::error_code ec;
  fs::remove_all(stderr_file_.parent_path(), ec);
}

std::unique_ptr<base::BasePlugin::Stub> PluginProcess::base_stub() const {
  return base::BasePlugin::NewStub(channel_);
}

std::unique_ptr<drivers::Driver::Stub> PluginProcess::driver_stub() const {
  return drivers::Driver::NewStub(channel_);
}

void PluginProcess::kill_hard() {
  ::kill(plugin_pid_, SIGKILL);
  if (plugin_pid_ == child_) {
    ::waitpid(child_, nullptr, 0);
    child_ = -1;
  } else {
    wait_until([&] { return !process_running(plugin_pid_); }, 5000);
  }
  plugin_pid_ = -1;
}

int PluginProcess::shutdown_via_go_plugin() {
  // Ours is a second client; go-plugin's own connection is the one Nomad would have.
  channel_.reset();
  if (::write(to_child_, "kill\n", 5) != 5) throw StepFailed("cannot talk to the Go client");
  std::string line = read_line(from_child_, 30000);
  if (line.rfind("killed ", 0) != 0) throw StepFailed("go client said `" + line + "`\n" + log());
  ::waitpid(child_, nullptr, 0);
  child_ = -1;
  plugin_pid_ = -1;
  return std::stoi(line.substr(7));
}

std::string PluginProcess::log() const {
  return read_text(stderr_file_);
}

std::string spec_json(const hclspec::Spec& spec) {
  std::string json;
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;
  auto status = google::protobuf::util::MessageToJsonString(spec, &json, options);
  if (!status.ok()) throw StepFailed("spec to JSON: " + status.ToString());
  return json;
}

std::string encode_with_hcl(const hclspec::Spec& spec, const std::string& hcl_body,
                            std::string* error) {
  fs::path dir = make_temp_dir("pot-hcl");
  write_text(dir / "spec.json", spec_json(spec));
  write_text(dir / "config.hcl", hcl_body);
  RunOptions options;
  options.env = base_environment();
  options.timeout_seconds = 60;
  RunResult run = run_process(
      {go_client_binary(), "encode", (dir / "spec.json").string(), (dir / "config.hcl").string()},
      options);
  std::error_code ec;
  fs::remove_all(dir, ec);
  if (!run.ok()) {
    if (error != nullptr) {
      *error = run.err;
      return "";
    }
    throw StepFailed("HCL refused the config:\n" + hcl_body + "\n" + run.describe());
  }
  return run.out;
}

FifoReader::FifoReader(fs::path path) : path_(std::move(path)) {
  if (::mkfifo(path_.c_str(), 0600) != 0) throw StepFailed("mkfifo " + path_.string());
  thread_ = std::thread([this] { run(); });
}

FifoReader::~FifoReader() {
  stop_ = true;
  thread_.join();
  ::unlink(path_.c_str());
}

std::string FifoReader::text() const {
  std::lock_guard lock(mutex_);
  return data_;
}

void FifoReader::pause() {
  paused_ = true;
}
void FifoReader::resume() {
  paused_ = false;
}

void FifoReader::run() {
  int fd = -1;
  char buffer[4096];
  while (!stop_) {
    if (paused_) {
      if (fd >= 0) ::close(fd);
      fd = -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    if (fd < 0) fd = ::open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n > 0) {
      std::lock_guard lock(mutex_);
      data_.append(buffer, static_cast<size_t>(n));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // no writer right now
    }
  }
  if (fd >= 0) ::close(fd);
}

}  // namespace potit
