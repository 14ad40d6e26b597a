#include "core/process.h"

#include <poll.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"

extern char** environ;

namespace pot {

int exit_code_from_wait_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

int wait_exit_code(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw_sys("waiting for process " + std::to_string(pid));
  }
  return exit_code_from_wait_status(status);
}

void report_exec_errno(int pipe_write_fd, int err) {
  (void)!::write(pipe_write_fd, &err, sizeof err);
}

int read_exec_errno(int pipe_read_fd) {
  int err = 0;
  ssize_t n;
  do {
    n = ::read(pipe_read_fd, &err, sizeof err);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof err) ? err : 0;
}

int run_program(const std::vector<std::string>& argv, const RunOptions& options) {
  if (argv.empty()) throw Error("run_program: empty command");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  auto overridden = [&](std::string_view entry) {
    std::string_view key = entry.substr(0, entry.find('='));
    return std::any_of(options.env.begin(), options.env.end(), [&](const std::string& e) {
      return std::string_view(e).substr(0, e.find('=')) == key;
    });
  };
  for (char** e = environ; e && *e; ++e) {
    if (!overridden(*e)) env_storage.emplace_back(*e);
  }
  for (const auto& e : options.env) env_storage.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);

  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0) throw_sys("pipe");
  pid_t pid = ::fork();
  if (pid < 0) {
    int err = errno;
    ::close(error_pipe[0]);
    ::close(error_pipe[1]);
    throw_sys("fork for " + quote_name(argv[0]), err);
  }
  if (pid == 0) {
    if (options.quiet) {
      int null_fd = ::open("/dev/null", O_WRONLY);
      if (null_fd >= 0) {
        ::dup2(null_fd, 1);
        ::dup2(null_fd, 2);
      }
    }
    ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
    ::execvpe(args[0], args.data(), env.data());
    report_exec_errno(error_pipe[1], errno);
    ::_exit(127);
  }
  ::close(error_pipe[1]);
  int child_errno = read_exec_errno(error_pipe[0]);
  ::close(error_pipe[0]);
  int code = wait_exit_code(pid);
  if (child_errno != 0) throw_sys("running " + quote_name(argv[0]), child_errno);
  return code;
}

int parse_signal(std::string_view text) {
  static const struct {
    const char* name;
    int number;
  } kSignals[] = {{"HUP", SIGHUP},   {"INT", SIGINT},   {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                  {"USR1", SIGUSR1}, {"USR2", SIGUSR2}, {"TERM", SIGTERM}, {"CONT", SIGCONT},
                  {"STOP", SIGSTOP}, {"TSTP", SIGTSTP}, {"ALRM", SIGALRM}, {"WINCH", SIGWINCH},
                  {"PIPE", SIGPIPE}, {"ABRT", SIGABRT}, {"CHLD", SIGCHLD}};
  std::string upper;
  for (char c : text) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (upper.rfind("SIG", 0) == 0) upper = upper.substr(3);
  if (!upper.empty() && std::isdigit(static_cast<unsigned char>(upper[0]))) {
    int number = 0;
    for (char c : upper) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || number > 64) {
        number = -1;
        break;
      }
      number = number * 10 + (c - '0');
    }
    if (number >= 1 && number <= 64) return number;
  }
  for (const auto& s : kSignals) {
    if (upper == s.name) return s.number;
  }
  throw Error("invalid signal " + quote_name(text));
}

namespace {

struct ProcStat {
  char state;
  uint64_t start_time;
};

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::optional<std::string> stat;
  try {
    stat = read_file_if_exists("/proc/" + std::to_string(pid) + "/stat");
  } catch (const Error&) {
    return std::nullopt;
  }
  if (!stat) return std::nullopt;
  // The command name may hold spaces and parentheses: fields start after the last ')'.
  size_t close = stat->rfind(')');
  if (close == std::string::npos || close + 2 >= stat->size()) return std::nullopt;
  const char* p = stat->c_str() + close + 2;
  char state = *p;
  // Field 3 is the state; the start time is field 22.
  for (int field = 3; field < 22 && *p; ++field) {
    p = std::strchr(p, ' ');
    if (!p) return std::nullopt;
    ++p;
  }
  return ProcStat{state, std::strtoull(p, nullptr, 10)};
}

}  // namespace

std::optional<uint64_t> process_start_time(pid_t pid) {
  auto stat = read_proc_stat(pid);
  if (!stat) return std::nullopt;
  return stat->start_time;
}

bool process_alive(pid_t pid, uint64_t start_time) {
  auto stat = read_proc_stat(pid);
  // A zombie has finished running: only its parent's wait is missing.
  return stat && stat->start_time == start_time && stat->state != 'Z' && stat->state != 'X';
}

void close_fds_except(std::initializer_list<int> keep) {
  std::vector<int> sorted(keep);
  std::sort(sorted.begin(), sorted.end());
  unsigned int from = 3;
  for (int fd : sorted) {
    if (fd < static_cast<int>(from)) continue;
    if (static_cast<unsigned int>(fd) > from)
      ::close_range(from, static_cast<unsigned int>(fd) - 1, 0);
    from = static_cast<unsigned int>(fd) + 1;
  }
  ::close_range(from, ~0U, 0);
}

UniqueFd open_pidfd(pid_t pid) {
  return UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
}

bool wait_for_process_exit(pid_t pid, uint64_t start_time, int timeout_ms) {
  UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd || !process_alive(pid, start_time)) return true;
  pollfd entry{pidfd.get(), POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&entry, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 || !process_alive(pid, start_time);
}

bool signal_process(pid_t pid, uint64_t start_time, int sig) {
  UniqueFd pidfd = open_pidfd(pid);
  if (!pidfd) return false;
  // Checked after the pidfd pins the process: it is the one we mean, and stays so.
  return process_alive(pid, start_time) &&
         ::syscall(SYS_pidfd_send_signal, pidfd.get(), sig, nullptr, 0) == 0;
}

std::string boot_id() {
  static const std::string kBootId = [] {
    auto id = read_file_if_exists("/proc/sys/kernel/random/boot_id");
    std::string value = id ? *id : "";
    while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
    return value;
  }();
  return kBootId;
}

ChildGuard& ChildGuard::operator=(ChildGuard&& other) noexcept {
  if (this != &other) {
    this->~ChildGuard();
    pid_ = other.release();
  }
  return *this;
}

ChildGuard::~ChildGuard() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

int ChildGuard::wait() {
  return wait_exit_code(release());
}

}  // namespace pot
