#include "driver/pot_command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

#include "core/error.h"
#include "core/process.h"

extern char** environ;

namespace pot::driver {

namespace fs = std::filesystem;

PotProgram::PotProgram(std::string path, std::map<std::string, std::string> env_overrides)
    : path_(std::move(path)), env_overrides_(std::move(env_overrides)) {}

std::vector<std::string> pot_start_argv(const TaskRequest& request, const std::string& pot_name) {
  std::vector<std::string> argv = {"start", "-O", request.stdout_path, "-E", request.stderr_path};
  if (request.log_rotation) {
    argv.insert(argv.end(), {"-N", std::to_string(request.log_rotation->max_files), "-Z",
                             std::to_string(request.log_rotation->max_file_size_mb) + "M"});
  }
  argv.push_back(pot_name);
  return argv;
}

std::string default_pot_path() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path beside = self.parent_path() / "pot";
    if (::access(beside.c_str(), X_OK) == 0) return beside.string();
  }
  if (::access(POT_INSTALLED_BINARY, X_OK) == 0) return POT_INSTALLED_BINARY;
  return "pot";
}

std::vector<std::string> PotProgram::environment() const {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string key = entry.substr(0, entry.find('='));
    if (env_overrides_.count(key) == 0) env.push_back(std::move(entry));
  }
  for (const auto& [key, value] : env_overrides_) env.push_back(key + "=" + value);
  return env;
}

namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

struct SpawnActions {
  posix_spawn_file_actions_t actions{};
  posix_spawnattr_t attr{};
  SpawnActions() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attr);
  }
  ~SpawnActions() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
};

struct Pipe {
  UniqueFd read, write;
};
Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw_sys("pipe");
  return {UniqueFd(fds[0]), UniqueFd(fds[1])};
}

// The last non-empty line pot wrote to stderr: its one-line error.
std::string last_line(const std::string& text) {
  size_t end = text.find_last_not_of("\n ");
  if (end == std::string::npos) return "";
  size_t start = text.rfind('\n', end);
  return text.substr(start == std::string::npos ? 0 : start + 1, end + 1 - (start + 1));
}

std::string strip_pot_prefix(std::string line) {
  if (line.rfind("pot: ", 0) == 0) line.erase(0, 5);
  return line;
}

}  // namespace

SpawnedPot PotProgram::spawn(const std::vector<std::string>& args, bool tty) const {
  std::vector<std::string> argv = {path_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = environment();
  SpawnActions sa;
  SpawnedPot spawned;
  UniqueFd child_side[3];  // kept open until the child has them
  if (tty) {
    // Close-on-exec from the start: a spawn on another thread must not inherit it. The
    // child opens the terminal by name, so we never hold its other end.
    UniqueFd master_fd(::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master_fd || ::grantpt(master_fd.get()) != 0 || ::unlockpt(master_fd.get()) != 0)
      throw_sys("opening a pseudo-terminal");
    char slave_path[128];
    if (::ptsname_r(master_fd.get(), slave_path, sizeof slave_path) != 0) throw_sys("ptsname");
    // A new session whose first tty opened becomes its controlling terminal.
    posix_spawnattr_setflags(&sa.attr, POSIX_SPAWN_SETSID);
    posix_spawn_file_actions_addopen(&sa.actions, 0, slave_path, O_RDWR, 0);
    posix_spawn_file_actions_adddup2(&sa.actions, 0, 1);
    posix_spawn_file_actions_adddup2(&sa.actions, 0, 2);
    spawned.stdout_fd = UniqueFd(::fcntl(master_fd.get(), F_DUPFD_CLOEXEC, 3));
    spawned.stdin_fd = std::move(master_fd);
  } else {
    Pipe in = make_pipe();
    Pipe out = make_pipe();
    Pipe err = make_pipe();
    posix_spawn_file_actions_adddup2(&sa.actions, in.read.get(), 0);
    posix_spawn_file_actions_adddup2(&sa.actions, out.write.get(), 1);
    posix_spawn_file_actions_adddup2(&sa.actions, err.write.get(), 2);
    spawned.stdin_fd = std::move(in.write);
    spawned.stdout_fd = std::move(out.read);
    spawned.stderr_fd = std::move(err.read);
    child_side[0] = std::move(in.read);
    child_side[1] = std::move(out.write);
    child_side[2] = std::move(err.write);
  }
  // Default signal dispositions and an empty mask for the child, whatever our threads set.
  sigset_t all;
  sigset_t none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&sa.attr, &all);
  posix_spawnattr_setsigmask(&sa.attr, &none);
  short flags = 0;
  posix_spawnattr_getflags(&sa.attr, &flags);
  flags |= POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
  // A process group of its own (a session, with a tty), so that a kill reaches `pot exec`'s
  // helper and the command in the pot too, not only `pot`.
  if ((flags & POSIX_SPAWN_SETSID) == 0) {
    flags |= POSIX_SPAWN_SETPGROUP;
    posix_spawnattr_setpgroup(&sa.attr, 0);
  }
  posix_spawnattr_setflags(&sa.attr, flags);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  pid_t pid = -1;
  int rc = ::posix_spawnp(&pid, path_.c_str(), &sa.actions, &sa.attr, c_argv.data(), c_env.data());
  if (rc != 0) {
    errno = rc;
    throw_sys("running " + path_);
  }
  spawned.pid = pid;
  return spawned;
}

bool read_until_eof(int out_fd, int err_fd, std::string& out, std::string& err,
                    std::optional<std::chrono::steady_clock::time_point> deadline) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  std::string* sinks[2] = {&out, &err};
  char buffer[16384];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    int timeout = -1;
    if (deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          *deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      timeout = static_cast<int>(left.count());
    }
    int ready = ::poll(fds, 2, timeout);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) throw_sys("poll");
    if (ready == 0) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        fds[i].fd = -1;  // EOF (EIO: a pty whose other side closed)
      }
    }
  }
  return true;
}

CapturedRun PotProgram::capture(const std::vector<std::string>& args,
                                std::optional<std::chrono::milliseconds> timeout) const {
  SpawnedPot child = spawn(args, /*tty=*/false);
  ChildGuard guard(child.pid);
  child.stdin_fd.reset();  // no input: EOF at once
  CapturedRun run;
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (timeout) deadline = std::chrono::steady_clock::now() + *timeout;
  if (!read_until_eof(child.stdout_fd.get(), child.stderr_fd.get(), run.stdout_data,
                      run.stderr_data, deadline)) {
    run.timed_out = true;
    ::kill(-child.pid, SIGKILL);  // its group: pot, its helper and the command
  }
  run.exit_code = guard.wait();
  return run;
}

void PotProgram::run(const std::vector<std::string>& args) const {
  CapturedRun result = capture(args, std::nullopt);
  if (result.exit_code == 0) return;
  std::string message = strip_pot_prefix(last_line(result.stderr_data));
  if (message.empty())
    message = "pot " + (args.empty() ? std::string() : args[0]) + " failed with exit code " +
              std::to_string(result.exit_code);
  throw Error(message);
}

}  // namespace pot::driver
