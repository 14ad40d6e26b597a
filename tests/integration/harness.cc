#include "harness.h"

#include "core/settings.h"
#include "helpers/require.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

extern char** environ;

namespace potit {

const char* pot_binary() {
  return POT_BINARY;
}
const char* probe_binary() {
  return POT_PROBE;
}

namespace {

using Clock = std::chrono::steady_clock;

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int ms_left(Clock::time_point deadline) {
  auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left < 0 ? 0 : static_cast<int>(left);
}

std::vector<char*> c_strings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// A command line made ready for exec before the fork: the child of a multithreaded test
// (CpuLoad's threads, ASan's) may only make system calls, since another thread can hold the
// allocator's lock at the moment of the fork, and a child that allocates then waits forever.
struct ExecArgs {
  ExecArgs(const std::vector<std::string>& argv, const std::vector<std::string>& env)
      : args(c_strings(argv)), vars(c_strings(env)) {}
  std::vector<char*> args, vars;
};

// In a forked child: never returns, and allocates nothing.
[[noreturn]] void exec_child(const ExecArgs& exec) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGINT, SIGQUIT, SIGTERM, SIGCHLD}) ::signal(sig, SIG_DFL);
  ::close_range(3, ~0U, 0);
  ::execvpe(exec.args[0], exec.args.data(), exec.vars.data());
  const char message[] = "harness: cannot run the command\n";
  (void)!::write(2, message, sizeof message - 1);
  ::_exit(127);
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos)
    return word;
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// RunResult
// ---------------------------------------------------------------------------------------------

std::vector<std::string> RunResult::err_lines() const {
  return split_lines(err);
}
std::vector<std::string> RunResult::out_lines() const {
  return split_lines(out);
}

std::string RunResult::describe() const {
  std::ostringstream os;
  os << "$";
  for (const auto& a : argv) os << " " << shell_quote(a);
  os << "\n  exit code: " << code;
  if (timed_out) os << " (timed out, killed)";
  if (output_held_open) os << " (its stdout/stderr stayed open after it exited)";
  os << "\n  time: " << seconds << " s";
  os << "\n  stdout: " << (out.empty() ? "(empty)" : "\n" + out);
  os << "\n  stderr: " << (err.empty() ? "(empty)" : "\n" + err);
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const RunResult& result) {
  return os << result.describe();
}

const RunResult& expect_ok(const RunResult& result) {
  if (!result.ok()) throw StepFailed("a step of the test failed:\n" + result.describe());
  return result;
}

// ---------------------------------------------------------------------------------------------
// run_process
// ---------------------------------------------------------------------------------------------

std::vector<std::string> base_environment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    if (std::strncmp(*e, "POT_", 4) != 0) env.emplace_back(*e);
  }
  return env;
}

RunResult run_process(const std::vector<std::string>& argv, const RunOptions& options) {
  RunResult result;
  result.argv = argv;
  auto started = Clock::now();
  int out_pipe[2], err_pipe[2], in_pipe[2] = {-1, -1};
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  if (!options.input.empty() && ::pipe2(in_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  ExecArgs exec(argv, options.env);
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    int in = in_pipe[0] >= 0 ? in_pipe[0] : ::open("/dev/null", O_RDONLY);
    ::dup2(in, 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    exec_child(exec);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (in_pipe[0] >= 0) {
    ::signal(SIGPIPE, SIG_IGN);  // a child that does not read its input must not kill us
    ::close(in_pipe[0]);
    // Small inputs only: the pipe buffer holds them without a reader.
    (void)!::write(in_pipe[1], options.input.data(), options.input.size());
    ::close(in_pipe[1]);
  }
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));

  auto deadline = started + std::chrono::seconds(options.timeout_seconds);
  int fds[2] = {out_pipe[0], err_pipe[0]};
  std::string* sinks[2] = {&result.out, &result.err};
  bool open[2] = {true, true};
  bool exited = false;
  int status = 0;
  Clock::time_point drain_deadline{};
  for (;;) {
    if (!exited) {
      pid_t reaped = ::waitpid(pid, &status, WNOHANG);
      if (reaped == pid) {
        exited = true;
        // Output written just before exit is still in the pipes; a daemon that inherited
        // them keeps them open: give that a short grace, then note it.
        drain_deadline = Clock::now() + std::chrono::seconds(2);
      }
    }
    if (exited && !open[0] && !open[1]) break;
    Clock::time_point until = exited ? drain_deadline : deadline;
    int wait_ms = ms_left(until);
    if (wait_ms == 0) {
      if (exited) {
        result.output_held_open = true;
        break;
      }
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      ::waitpid(pid, &status, 0);
      exited = true;
      drain_deadline = Clock::now() + std::chrono::seconds(1);
      continue;
    }
    pollfd entries[3];
    int n = 0, index[3];
    for (int i = 0; i < 2; ++i) {
      if (open[i]) {
        entries[n] = {fds[i], POLLIN, 0};
        index[n++] = i;
      }
    }
    if (!exited && pidfd >= 0) {
      entries[n] = {pidfd, POLLIN, 0};
      index[n++] = -1;
    }
    // Without a pidfd, look at the child every 50 ms.
    int rc = ::poll(entries, static_cast<nfds_t>(n),
                    pidfd >= 0 || exited ? wait_ms : std::min(wait_ms, 50));
    if (rc < 0 && errno != EINTR) break;
    for (int i = 0; i < n && rc > 0; ++i) {
      if (index[i] < 0 || entries[i].revents == 0) continue;
      char buf[65536];
      ssize_t got = ::read(entries[i].fd, buf, sizeof buf);
      if (got > 0) {
        sinks[index[i]]->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        open[index[i]] = false;
      }
    }
  }
  if (!exited) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  if (pidfd >= 0) ::close(pidfd);
  result.code = exit_code_of(status);
  result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return result;
}

// ---------------------------------------------------------------------------------------------
// Background
// ---------------------------------------------------------------------------------------------

Background::Background(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                       const fs::path& out, const fs::path& err)
    : out_(out), err_(err) {
  ExecArgs exec(argv, env);
  std::fflush(nullptr);
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid_ == 0) {
    int in = ::open("/dev/null", O_RDONLY);
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0) ::_exit(127);
    ::dup2(in, 0);
    ::dup2(o, 1);
    ::dup2(e, 2);
    exec_child(exec);
  }
}

Background::~Background() {
  if (!code_) {
    ::kill(pid_, SIGKILL);
    int status;
    ::waitpid(pid_, &status, 0);
  }
}

std::optional<int> Background::wait(int timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!code_) {
    int status = 0;
    pid_t reaped = ::waitpid(pid_, &status, WNOHANG);
    if (reaped == pid_) {
      code_ = exit_code_of(status);
      break;
    }
    if (Clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return code_;
}

bool Background::running() {
  return !wait(0).has_value();
}

void Background::kill(int sig) {
  if (!code_) ::kill(pid_, sig);
}

std::string Background::out() const {
  return read_text(out_);
}
std::string Background::err() const {
  return read_text(err_);
}

// ---------------------------------------------------------------------------------------------
// Host helpers
// ---------------------------------------------------------------------------------------------

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "";
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

void write_text(const fs::path& path, const std::string& text, mode_t mode) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("creating " + path.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fchmod(fd, mode);
  ::close(fd);
  if (!ok) throw std::runtime_error("writing " + path.string());
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::map<std::string, std::string> parse_assignments(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& line : split_lines(text)) {
    size_t eq = line.find('=');
    if (eq == std::string::npos || eq == 0) continue;
    out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

bool process_running(pid_t pid) {
  if (pid <= 0) return false;
  std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  char state = stat[close + 2];
  return state != 'Z' && state != 'X';
}

bool wait_until(const std::function<bool()>& pred, int timeout_ms, int step_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (pred()) return true;
    if (Clock::now() >= deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
  }
}

std::string sha256_of(const fs::path& path) {
  RunResult r = run_process({"sha256sum", path.string()}, {base_environment(), 60, ""});
  if (!r.ok()) throw std::runtime_error("sha256sum failed:\n" + r.describe());
  return r.out.substr(0, r.out.find(' '));
}

std::set<std::string> dir_entries(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    names.insert(entry.path().filename().string());
  return names;
}

fs::path make_temp_dir(const std::string& prefix) {
  std::string templ = "/tmp/" + prefix + ".XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr)
    throw std::runtime_error("mkdtemp: " + std::string(std::strerror(errno)));
  return templ;
}

namespace {

// Mount points (as /proc/self/mountinfo writes them, octal escapes decoded) at or under dir.
std::vector<std::string> mount_points_under(const fs::path& dir) {
  std::vector<std::string> points;
  std::string prefix = dir.string();
  for (const auto& line : split_lines(read_text("/proc/self/mountinfo"))) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, point;
    if (!(fields >> id >> parent >> devno >> root >> point)) continue;
    std::string decoded;
    for (size_t i = 0; i < point.size(); ++i) {
      if (point[i] == '\\' && i + 3 < point.size()) {
        decoded += static_cast<char>(std::stoi(point.substr(i + 1, 3), nullptr, 8));
        i += 3;
      } else {
        decoded += point[i];
      }
    }
    if (decoded == prefix || decoded.rfind(prefix + "/", 0) == 0) points.push_back(decoded);
  }
  return points;
}

}  // namespace

std::vector<std::string> mounts_under(const fs::path& dir) {
  return mount_points_under(dir);
}

std::vector<std::string> detach_mounts_under(const fs::path& dir) {
  std::vector<std::string> found = mount_points_under(dir);
  // Deepest (longest) first; repeat while the kernel still lists some (stacked mounts).
  for (int round = 0; round < 10; ++round) {
    auto points = mount_points_under(dir);
    if (points.empty()) break;
    std::sort(points.begin(), points.end(),
              [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& point : points) ::umount2(point.c_str(), MNT_DETACH);
  }
  return found;
}

std::set<std::string> interfaces_in(const std::string& proc_net_dev) {
  std::set<std::string> names;
  for (const auto& line : split_lines(proc_net_dev)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos || line.find('|') != std::string::npos) continue;
    names.insert(trim(line.substr(0, colon)));
  }
  return names;
}

// ---------------------------------------------------------------------------------------------
// PotRoot
// ---------------------------------------------------------------------------------------------

PotRoot::PotRoot(RootOptions options) : options_(std::move(options)) {
  tmp_ = make_temp_dir("potit");
  fs_root_ = tmp_ / "root";
  binary_ = pot_binary();
  if (options_.private_binary) {
    fs::path copy = tmp_ / "pot";
    std::error_code ec;
    fs::copy_file(pot_binary(), copy, ec);
    if (!ec) fs::permissions(copy, fs::perms(0755), ec);
    if (ec) {
      fs::remove_all(tmp_);  // the destructor does not run for a constructor that throws
      throw std::runtime_error("copying " + std::string(pot_binary()) + ": " + ec.message());
    }
    binary_ = copy.string();
  }
}

PotRoot::~PotRoot() {
  if (!torn_down_) teardown();
}

std::vector<std::string> PotRoot::env(const std::vector<std::string>& extra) const {
  std::vector<std::string> env = base_environment();
  std::vector<std::string> ours = {"POT_FS_ROOT=" + fs_root_.string(), "POT_POOL_SIZE=1G",
                                   "POT_STORAGE=" + options_.storage};
  ours.insert(ours.end(), options_.env.begin(), options_.env.end());
  ours.insert(ours.end(), extra.begin(), extra.end());
  for (const auto& entry : ours) {
    std::string key = entry.substr(0, entry.find('=') + 1);
    std::erase_if(env, [&](const std::string& e) { return e.rfind(key, 0) == 0; });
    env.push_back(entry);
  }
  return env;
}

RunResult PotRoot::pot(const std::vector<std::string>& args, RunOptions options) const {
  std::vector<std::string> argv = {binary_};
  argv.insert(argv.end(), args.begin(), args.end());
  if (options.env.empty()) options.env = env();
  return run_process(argv, options);
}

std::unique_ptr<Background> PotRoot::pot_background(const std::vector<std::string>& args) const {
  static std::atomic<int> counter{0};
  std::vector<std::string> argv = {binary_};
  argv.insert(argv.end(), args.begin(), args.end());
  int n = ++counter;
  return std::make_unique<Background>(argv, env(), tmp_ / ("bg" + std::to_string(n) + ".out"),
                                      tmp_ / ("bg" + std::to_string(n) + ".err"));
}

void PotRoot::init_with_base() {
  expect_ok(pot({"init"}));
  expect_ok(pot({"create-base", "-b", "bb", "-r", "busybox"}));
}

std::map<std::string, std::string> PotRoot::state(const std::string& pot) const {
  return parse_assignments(read_text(fs_root_ / "run" / (pot + ".state")));
}

std::string PotRoot::status(const std::string& pot) const {
  auto values = state(pot);
  return values.count("status") ? values["status"] : "stopped";
}

std::string PotRoot::root_tag() const {
  // The same tag pot computes, from the library itself.
  pot::Settings settings;
  settings.apply({{"POT_FS_ROOT", fs_root_.string()}});
  return settings.root_tag();
}

namespace {

std::vector<fs::path> cgroup_candidates(const std::string& relative) {
  std::vector<fs::path> out;
  std::set<fs::path> seen;
  auto consider = [&](const fs::path& hierarchy) {
    fs::path dir = hierarchy / relative;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return;
    fs::path canonical = fs::canonical(dir, ec);
    if (ec || !seen.insert(canonical).second) return;
    out.push_back(dir);
  };
  consider("/sys/fs/cgroup");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/fs/cgroup", ec)) {
    if (entry.is_directory(ec)) consider(entry.path());
  }
  return out;
}

// Kills what is left in a cgroup directory (and its children) and removes it.
bool force_remove_cgroup(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> children;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) children.push_back(entry.path());
  }
  for (const auto& child : children) force_remove_cgroup(child);
  for (int attempt = 0; attempt < 200; ++attempt) {
    for (const auto& line : split_lines(read_text(dir / "cgroup.procs"))) {
      pid_t pid = static_cast<pid_t>(std::strtol(line.c_str(), nullptr, 10));
      if (pid > 0) ::kill(pid, SIGKILL);
    }
    if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::vector<std::string> loop_devices_backed_under(const fs::path& dir) {
  std::vector<std::string> devices;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/sys/block", ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("loop", 0) != 0) continue;
    std::string backing = trim(read_text(entry.path() / "loop" / "backing_file"));
    if (backing.rfind(dir.string() + "/", 0) == 0)
      devices.push_back("/dev/" + name + " (" + backing + ")");
  }
  return devices;
}

}  // namespace

std::vector<fs::path> PotRoot::root_cgroup_dirs() const {
  return cgroup_candidates("pot-" + root_tag());
}

std::vector<fs::path> PotRoot::pot_cgroup_dirs(const std::string& pot) const {
  return cgroup_candidates("pot-" + root_tag() + "/" + pot);
}

std::vector<std::string> PotRoot::teardown() {
  std::vector<std::string> problems;
  if (torn_down_) return problems;
  torn_down_ = true;
  std::error_code ec;
  if (fs::exists(fs_root_, ec)) {
    RunResult r = pot({"de-init"});
    if (!r.ok()) problems.push_back("pot de-init failed:\n" + r.describe());
    if (fs::exists(fs_root_, ec)) {
      std::set<std::string> left = dir_entries(fs_root_);
      std::string names;
      for (const auto& n : left) names += " " + n;
      problems.push_back("pot de-init left " + fs_root_.string() + " behind, with:" + names);
    }
  }
  for (const auto& point : detach_mounts_under(tmp_))
    problems.push_back("mount left behind: " + point);
  // A loop device is released when its last mount goes; a lazily detached one may take a moment.
  if (!wait_until([&] { return loop_devices_backed_under(tmp_).empty(); }, 3000, 50)) {
    for (const auto& device : loop_devices_backed_under(tmp_)) {
      problems.push_back("loop device left behind: " + device);
      std::string path = device.substr(0, device.find(' '));
      run_process({"losetup", "-d", path}, {base_environment(), 30, ""});
    }
  }
  for (const auto& dir : root_cgroup_dirs()) {
    std::string children;
    for (const auto& name : dir_entries(dir)) {
      if (fs::is_directory(dir / name, ec)) children += " " + name;
    }
    problems.push_back("cgroup left behind: " + dir.string() +
                       (children.empty() ? "" : " with groups:" + children));
    if (!force_remove_cgroup(dir)) problems.push_back("could not remove cgroup " + dir.string());
  }
  fs::remove_all(tmp_, ec);
  if (ec) problems.push_back("removing " + tmp_.string() + ": " + ec.message());
  return problems;
}

// ---------------------------------------------------------------------------------------------
// PotTest
// ---------------------------------------------------------------------------------------------

std::map<std::string, std::unique_ptr<PotRoot>>& PotTest::roots() {
  static std::map<std::string, std::unique_ptr<PotRoot>> kRoots;
  return kRoots;
}

void PotTest::SetUpTestSuite() {}

void PotTest::TearDownTestSuite() {
  for (auto& [key, root] : roots()) {
    for (const auto& problem : root->teardown()) ADD_FAILURE() << "[" << key << "] " << problem;
  }
  roots().clear();
}

void PotTest::SetUp() {
  POT_REQUIRE_ROOT("pot integration tests");
  std::string key = storage_backend() + (private_binary() ? "+private-binary" : "");
  for (const auto& var : root_env()) key += "+" + var;
  auto& all = roots();
  if (!all.count(key)) {
    auto made =
        std::make_unique<PotRoot>(RootOptions{storage_backend(), private_binary(), root_env()});
    try {
      made->init_with_base();
    } catch (const std::exception& e) {
      for (const auto& problem : made->teardown()) ADD_FAILURE() << problem;
      FAIL() << "setting up a POT_FS_ROOT with storage " << storage_backend() << ": " << e.what();
    }
    all[key] = std::move(made);
  }
  root_ = all[key].get();
}

void PotTest::TearDown() {
  if (root_ == nullptr) return;
  for (auto it = tracked_.rbegin(); it != tracked_.rend(); ++it) {
    const std::string& name = *it;
    if (pot({"info", "-q", "-p", name}).code == 0) {
      RunResult r = pot({"destroy", "-F", "-p", name});
      EXPECT_TRUE(r.ok()) << "cleaning up pot " << name << ":\n" << r;
    }
    for (const auto& dir : root_->pot_cgroup_dirs(name))
      ADD_FAILURE() << "pot " << name << " was destroyed but its cgroup " << dir
                    << " is still there";
    std::error_code ec;
    EXPECT_FALSE(fs::exists(root_->jail_dir(name), ec))
        << "pot " << name << " was destroyed but " << root_->jail_dir(name) << " is still there";
  }
  tracked_.clear();
}

void PotTest::kill_stop_midway(const std::string& pot) {
  Background stop({root_->binary(), "stop", pot}, root_->env({"POT_STOP_TIMEOUT=60"}),
                  root_->tmp() / "stop.out", root_->tmp() / "stop.err");
  if (!wait_until([&] { return root_->status(pot) == "stopping"; }, 10000))
    throw StepFailed("`pot stop " + pot + "` never reached stopping:\n" + stop.err());
  stop.kill(SIGKILL);
  stop.wait(5000);
}

std::string PotTest::unique_name(const std::string& prefix) {
  static int counter = 0;
  return prefix + "-" + std::to_string(++counter);
}

std::string PotTest::create_pot(const std::string& prefix, const std::vector<std::string>& extra) {
  std::string name = unique_name(prefix);
  track(name);
  std::vector<std::string> args = {"create", "-p", name, "-b", "bb"};
  args.insert(args.end(), extra.begin(), extra.end());
  expect_ok(pot(args));
  return name;
}

std::string PotTest::create_one_shot(const std::string& prefix, const std::string& cmd,
                                     const std::vector<std::string>& extra) {
  std::string name = create_pot(prefix, extra);
  expect_ok(pot({"set-attr", "-p", name, "-A", "persistent", "-V", "NO"}));
  expect_ok(pot({"set-cmd", "-p", name, "-c", cmd}));
  return name;
}

void PotTest::copy_probe(const std::string& pot_name) {
  expect_ok(pot({"copy-in", "-p", pot_name, "-s", probe_binary(), "-d", "/probe"}));
}

RunResult PotTest::run_once(const std::string& pot_name, const std::string& cmd) {
  expect_ok(pot({"set-cmd", "-p", pot_name, "-c", cmd}));
  return pot({"start", pot_name});
}

bool PotTest::is_running(const std::string& pot_name) const {
  return pot({"info", "-r", "-p", pot_name}).code == 0;
}

fs::path PotTest::host_file(const std::string& name, const std::string& content) {
  fs::path dir = root_->tmp() / "files";
  fs::create_directories(dir);
  fs::path path = dir / name;
  write_text(path, content);
  return path;
}

}  // namespace potit

namespace potit {

ServedImage serve_httpd_image(const PotRoot& root, const std::string& pot, const std::string& tag) {
  expect_ok(root.pot({"create", "-p", pot, "-b", "bb", "-N", "public-bridge"}));
  fs::path site = root.tmp() / ("site-" + pot);
  fs::create_directories(site);
  write_text(site / "index.html", "page from the image\n");
  expect_ok(root.pot({"copy-in", "-p", pot, "-s", site.string(), "-d", "/www"}));
  expect_ok(root.pot({"set-cmd", "-p", pot, "-c", "httpd -f -p 80 -h /www"}));
  fs::path registry = root.tmp() / ("registry-" + pot);
  fs::create_directories(registry);
  expect_ok(root.pot({"export", "-p", pot, "-t", tag, "-D", registry.string()}));
  expect_ok(root.pot({"destroy", "-p", pot, "-F"}));
  ServedImage image;
  image.pot = pot;
  image.server =
      root.pot_background({"registry", "serve", "-D", registry.string(), "-l", "127.0.0.1:0"});
  std::smatch url;
  std::string out;
  std::regex serving(R"(serving .* on (http://127\.0\.0\.1:[1-9][0-9]*)\n)");
  bool up = wait_until(
      [&] {
        out = image.server->out();
        return std::regex_search(out, url, serving);
      },
      10000, 50);
  if (!up) throw StepFailed("registry server did not start: " + image.server->err());
  image.url = url[1].str();
  return image;
}

}  // namespace potit
