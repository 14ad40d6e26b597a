// The life of a pot. `pot start`, step by step:
//
//   1. start the pot's dependencies (pot.depend) that are not running;
//   2. take the pot's lock; clean up stale state a killed `pot` left; refuse a second start;
//   3. status -> starting, with this process recorded as the one in charge;
//   4. persistent: fork the monitor, a small process that outlives `pot start` and waits
//      for the pot; non-persistent: this process is the monitor;
//   5. the monitor launches the jail (cgroup, namespaces, root, privileges, init) and
//      reports "running" or the error;
//   6. status -> started (or doa -> stopping -> stopped, cleaned, on error); for a
//      persistent pot the monitor is released from dying with `pot start` only now;
//   7. unlock. When the pot's command ends, the monitor writes .last_run_stats, takes the
//      lock and, if it is still in charge, removes the cgroup and sets status stopped.
//
// Whoever dies at any step, the pot's init dies with the monitor (PDEATHSIG), and the
// next start, stop or destroy finds state whose processes are gone and finishes the cleanup.
#include "pot/lifecycle.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "core/process.h"
#include "core/size.h"
#include "core/unique_fd.h"
#include "pot/mounts_conf.h"
#include "pot/network.h"
#include "pot/run_state.h"
#include "runtime/jail_launcher.h"
#include "runtime/pot_terminal.h"

namespace pot {
namespace {

void write_last_run_stats(Context& ctx, const std::string& name, int code) {
  write_file_atomic(ctx.settings().jail_dir(name) / "conf" / ".last_run_stats",
                    "{\"ExitCode\":" + std::to_string(code) + "}\n", 0644, Durability::kVolatile);
}

// Waits until `pid` (started at `start_time`) has exited or `timeout_ms` passed.
bool wait_for_exit(pid_t pid, uint64_t start_time, int timeout_ms) {
  UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd || !process_alive(pid, start_time)) return true;
  pollfd entry{pidfd.get(), POLLIN, 0};
  int rc;
  do {
    rc = ::poll(&entry, 1, timeout_ms);
  } while (rc < 0 && errno == EINTR);
  return rc > 0 || !process_alive(pid, start_time);
}

// Ends the pot's processes and removes its cgroup; leaves the state for the caller.
void terminate_and_clean(Context& ctx, const std::string& name, const RunState& state,
                         bool graceful) {
  if (state.init_alive()) {
    if (graceful) {
      signal_process(state.init_pid, state.init_start, SIGTERM);
      if (!wait_for_exit(state.init_pid, state.init_start,
                         ctx.settings().stop_timeout_seconds * 1000))
        signal_process(state.init_pid, state.init_start, SIGKILL);
    } else {
      signal_process(state.init_pid, state.init_start, SIGKILL);
    }
    // SIGKILL of a pid namespace's init ends every process in it.
    wait_for_exit(state.init_pid, state.init_start, 10000);
  }
  // A monitor still in "starting" lost its `pot start`: it must not carry on.
  if (state.status == Status::kStarting && state.monitor_alive() &&
      state.monitor_pid != ::getpid()) {
    signal_process(state.monitor_pid, state.monitor_start, SIGKILL);
    wait_for_exit(state.monitor_pid, state.monitor_start, 10000);
  }
  release_pot_network(ctx, name, state.network);
  std::string group = ctx.cgroup_group(name);
  CgroupManager& cgroups = ctx.cgroups_for(state.cgroup_version);
  cgroups.remove(group);
}

// With the lock held: if the state says the pot is (re)starting, running or stopping but
// its processes are gone, finish the cleanup and mark it stopped.
void clean_stale_locked(Context& ctx, const std::string& name, RunState& state) {
  if (state.status == Status::kStopped) return;
  bool stale = state.status == Status::kStarting || state.status == Status::kDoa ||
               state.status == Status::kStopping || !state.init_alive();
  if (!stale) return;
  terminate_and_clean(ctx, name, state, /*graceful=*/false);
  state = RunState{};
  state.save(ctx.settings(), name);
}

// The monitor's end: the pot's init has exited with `code`.
void finish_run(Context& ctx, const std::string& name, int code) {
  try {
    // Under the lock, and only while the pot exists: a destroy must not see a file or a
    // lock appear again after it removed them.
    FileLock lock = lock_existing_pot(ctx.settings(), name);
    if (!lock.held() || !ctx.pot_exists(name)) return;
    write_last_run_stats(ctx, name, code);
    RunState state = RunState::load(ctx.settings(), name);
    // A stop did it, or is doing it: a `stopping` state belongs to the stop, and if that
    // stop was killed, the next `pot stop` finishes it (and succeeds).
    if (state.monitor_pid != ::getpid() || state.status == Status::kStopped ||
        state.status == Status::kStopping)
      return;
    terminate_and_clean(ctx, name, state, /*graceful=*/false);
    RunState{}.save(ctx.settings(), name);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pot: finishing the run of %s: %s\n", quote_name(name).c_str(), e.what());
  }
}

RunState starting_state(Context& ctx, pid_t monitor) {
  RunState state;
  state.cgroup_version = ctx.cgroups().version();
  state.status = Status::kStarting;
  state.monitor_pid = monitor;
  state.monitor_start = process_start_time(monitor).value_or(0);
  return state;
}

void redirect_stdio_to_log(const fs::path& log) {
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int log_fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (null_fd >= 0) ::dup2(null_fd, 0);
  if (log_fd >= 0) {
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
  }
  if (null_fd > 2) ::close(null_fd);
  if (log_fd > 2) ::close(log_fd);
}

// Persistent start: fork the monitor and hand the pot to it. Called with the lock held.
void start_with_monitor(Context& ctx, const std::string& name, const JailSpec& spec,
                        const PotNetworkPlan& network) {
  int result_pipe[2], go_pipe[2];
  if (::pipe2(result_pipe, O_CLOEXEC) != 0 || ::pipe2(go_pipe, O_CLOEXEC) != 0) throw_sys("pipe");
  UniqueFd result_read(result_pipe[0]), result_write(result_pipe[1]);
  UniqueFd go_read(go_pipe[0]), go_write(go_pipe[1]);
  pid_t parent = ::getpid();
  ::fflush(nullptr);
  pid_t monitor = ::fork();
  if (monitor < 0) throw_sys("fork of the monitor");
  if (monitor == 0) {
    result_read.reset();
    go_write.reset();
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    close_fds_except({result_write.get(), go_read.get()});  // above all, the pot's lock
    ::setsid();
    redirect_stdio_to_log(log_path(ctx.settings(), name));
    RunningJail jail;
    try {
      jail = launch_jail(spec, ctx.cgroups(),
                         [&](pid_t init) { attach_pot_network(ctx, name, network, init); });
    } catch (const std::exception& e) {
      std::string message = std::string("E") + e.what();
      (void)!::write(result_write.get(), message.data(), message.size());
      ::_exit(1);
    }
    std::string message =
        "R" + std::to_string(jail.init_pid) + " " + std::to_string(jail.init_start_time) + "\n";
    (void)!::write(result_write.get(), message.data(), message.size());
    char go = 0;
    if (::read(go_read.get(), &go, 1) != 1 || go != 'g') ::_exit(1);  // `pot start` died
    ::prctl(PR_SET_PDEATHSIG, 0);
    // Only now may `pot start` exit: before the acknowledgement its death would still take
    // the monitor, and the pot, with it.
    (void)!::write(result_write.get(), "a", 1);
    result_write.reset();
    if (::chdir("/") != 0) ::_exit(1);  // a monitor must not pin the caller's directory
    int code = wait_exit_code(jail.init_pid);
    finish_run(ctx, name, code);
    ::_exit(0);
  }
  ChildGuard monitor_guard(monitor);
  result_write.reset();
  go_read.reset();
  RunState state = starting_state(ctx, monitor);
  state.own_network = spec.network == NetworkMode::kIsolated;
  state.network = network.record().format();
  state.save(ctx.settings(), name);

  // "R<init pid> <start time>\n" (or "E<error>" and EOF), then, after our "g", an "a".
  auto read_until = [&](char stop) {
    std::string text;
    char c;
    ssize_t n;
    while ((n = ::read(result_read.get(), &c, 1)) != 0) {
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      text += c;
      if (c == stop) break;
    }
    return text;
  };
  auto fail = [&](const std::string& why) {
    monitor_guard.wait();
    state.status = Status::kDoa;  // recorded first: a crash from here on is cleaned as stale
    state.save(ctx.settings(), name);
    terminate_and_clean(ctx, name, state, /*graceful=*/false);
    RunState{}.save(ctx.settings(), name);
    throw Error(why);
  };
  std::string result = read_until('\n');
  if (result.empty() || result[0] != 'R')
    fail(result.size() > 1 ? result.substr(1) : "the pot's monitor died while starting");
  std::istringstream fields(result.substr(1));
  fields >> state.init_pid >> state.init_start;
  check_transition(name, state.status, Status::kStarted);
  state.status = Status::kStarted;
  state.save(ctx.settings(), name);
  if (::write(go_write.get(), "g", 1) != 1 || read_until('a') != "a")
    fail("the pot's monitor died while taking over the pot");
  monitor_guard.release();
}

// Signals that reach `pot start` in the foreground are passed to the pot instead.
pid_t g_foreground_init = -1;
void forward_to_init(int sig) {
  if (g_foreground_init > 0) ::kill(g_foreground_init, sig);
}

// Non-persistent start: this process is the monitor. Called with the lock held; releases it.
int run_in_foreground(Context& ctx, const std::string& name, const JailSpec& spec,
                      const PotNetworkPlan& network, FileLock& lock) {
  RunState state = starting_state(ctx, ::getpid());
  state.own_network = spec.network == NetworkMode::kIsolated;
  state.network = network.record().format();
  state.save(ctx.settings(), name);
  RunningJail jail;
  try {
    jail = launch_jail(spec, ctx.cgroups(),
                       [&](pid_t init) { attach_pot_network(ctx, name, network, init); });
  } catch (...) {
    state.status = Status::kDoa;
    state.save(ctx.settings(), name);
    clean_stale_locked(ctx, name, state);
    throw;
  }
  state.status = Status::kStarted;
  state.init_pid = jail.init_pid;
  state.init_start = jail.init_start_time;
  state.save(ctx.settings(), name);
  lock.release();

  g_foreground_init = jail.init_pid;
  struct sigaction forward {};
  forward.sa_handler = forward_to_init;
  sigemptyset(&forward.sa_mask);
  forward.sa_flags = SA_RESTART;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT}) ::sigaction(sig, &forward, nullptr);
  int code = wait_exit_code(jail.init_pid);
  g_foreground_init = -1;
  finish_run(ctx, name, code);
  return code;
}

int start_locked(Context& ctx, const std::string& name, std::set<std::string>& visiting,
                 const std::optional<std::vector<std::string>>& argv_override) {
  ctx.require_pot(name);
  PotConf conf = ctx.load_conf(name);
  if (!visiting.insert(name).second)
    throw Error("pot " + quote_name(name) + " depends on itself through pot.depend");
  for (const auto& dep : conf.get_all("pot.depend")) {
    if (!pot_is_running(ctx, dep)) {
      with_context("starting dependency " + quote_name(dep),
                   [&] { return start_locked(ctx, dep, visiting, std::nullopt); });
    }
  }

  FileLock lock = lock_pot(ctx.settings(), name);
  RunState state = RunState::load(ctx.settings(), name);
  clean_stale_locked(ctx, name, state);
  if (state.status != Status::kStopped)
    throw Error("pot " + quote_name(name) + " is already " + std::string(to_string(state.status)));
  JailSpec spec = build_jail_spec(ctx, name, conf);
  bool persistent = conf.attr("persistent", true);
  if (argv_override) {
    spec.argv = *argv_override;
    persistent = false;
  }
  spec.persistent = persistent;
  if (!persistent && spec.argv.empty())
    throw Error("pot " + quote_name(name) +
                " is not persistent and has no command: use `pot set-cmd`");
  PotNetworkPlan network = plan_pot_network(ctx, name, conf);
  spec.extra_hosts.insert(spec.extra_hosts.begin(), network.hosts.begin(), network.hosts.end());
  spec.resolv_conf = network.resolv_conf;
  prepare_pot_network(ctx, network);
  // As the original: a prunable pot is pruned only once it has run, so one prepared and not
  // yet started is safe from `pot prune`.
  if (conf.attr("prunable", false) && !conf.attr("to-be-pruned", false)) {
    PotConf current = ctx.load_conf(name);  // read again: under the lock now
    current.set_attr("to-be-pruned", true);
    ctx.save_conf(name, current);
  }
  if (persistent) {
    start_with_monitor(ctx, name, spec, network);
    return 0;
  }
  return run_in_foreground(ctx, name, spec, network, lock);
}

}  // namespace

// Adds VAR=value to env, replacing an earlier VAR.
static void override_env(std::vector<std::string>& env, const std::string& entry) {
  std::string key = entry.substr(0, entry.find('='));
  std::erase_if(env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  env.push_back(entry);
}

std::vector<std::string> pot_environment(const PotConf& conf, const std::string& hostname) {
  std::vector<std::string> env = default_pot_env(hostname);
  for (const auto& entry : conf.get_all("pot.env")) override_env(env, entry);
  return env;
}

RunState require_running(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  RunState state = RunState::load(ctx.settings(), name);
  if (!state.running()) throw Error("pot " + quote_name(name) + " is not running");
  return state;
}

JailSpec build_jail_spec(Context& ctx, const std::string& name, const PotConf& conf) {
  const Settings& settings = ctx.settings();
  JailSpec spec;
  spec.name = name;
  spec.hostname = conf.get_or("host.hostname", name);
  spec.root = settings.root_path(name).string();
  if (conf.get_or("pot.type", "single") == "multi") {
    fs::path upper = settings.jail_dir(name) / "upper";
    spec.overlay = OverlayRoot{settings.base_path(conf.get_or("pot.base", "")).string(),
                               (upper / "root").string(), (upper / "work").string()};
  }
  for (const auto& mount : load_mounts(settings, name)) spec.mounts.push_back(mount);
  spec.network = conf.get_or("network_type", "none") == "inherit" ? NetworkMode::kInherit
                                                                  : NetworkMode::kIsolated;
  if (auto cmd = conf.get("pot.cmd"); cmd && !cmd->empty()) spec.argv = command_to_argv(*cmd);
  spec.env = pot_environment(conf, spec.hostname);
  for (const auto& entry : conf.get_all("pot.hosts")) spec.extra_hosts.push_back(entry);
  spec.cgroup_name = ctx.cgroup_group(name);
  std::string in_conf = " in " + quote_name(settings.conf_path(name).string());
  if (auto memory = conf.get("pot.rss.memory")) {
    spec.limits.memory_bytes =
        with_context(quote_name("pot.rss.memory") + in_conf, [&] { return parse_size(*memory); });
  }
  auto number = [&](const char* key, const std::string& value) {
    return parse_unsigned(value, quote_name(key) + in_conf);
  };
  if (auto cpus = conf.get("pot.rss.cpus")) spec.limits.cpus = number("pot.rss.cpus", *cpus);
  if (auto pids = conf.get("pot.rss.pids")) spec.limits.pids = number("pot.rss.pids", *pids);
  return spec;
}

int start_pot(Context& ctx, const std::string& name) {
  std::set<std::string> visiting;
  int code = start_locked(ctx, name, visiting, std::nullopt);
  return code == 0 ? 0 : kExitApplicationError;
}

int run_pot_once(Context& ctx, const std::string& name, const std::vector<std::string>& argv) {
  std::set<std::string> visiting;
  return start_locked(ctx, name, visiting, argv);
}

void stop_pot(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  FileLock lock = lock_pot(ctx.settings(), name);
  RunState state = RunState::load(ctx.settings(), name);
  if (state.status == Status::kStopped) {
    // Nothing recorded, but a killed `pot` may have left a cgroup: finish that quietly.
    std::string group = ctx.cgroup_group(name);
    if (ctx.cgroups().exists(group)) {
      ctx.cgroups().remove(group);
      return;
    }
    throw Error("pot " + quote_name(name) + " is not running");
  }
  if (state.status == Status::kStarted || state.status == Status::kDoa) {
    check_transition(name, state.status, Status::kStopping);
    state.status = Status::kStopping;
    state.save(ctx.settings(), name);
  }
  terminate_and_clean(ctx, name, state, /*graceful=*/true);
  RunState{}.save(ctx.settings(), name);
  lock.release();
  // The monitor writes .last_run_stats once it gets the lock; wait for it, so that what
  // follows a stop (destroy, de-init's unmount) finds no process still using the pot.
  if (state.monitor_pid != ::getpid() && state.monitor_alive())
    wait_for_exit(state.monitor_pid, state.monitor_start, 5000);
}

bool refresh_pot_state(Context& ctx, const std::string& name) {
  FileLock lock = lock_pot(ctx.settings(), name);
  RunState state = RunState::load(ctx.settings(), name);
  clean_stale_locked(ctx, name, state);
  return state.running();
}

bool pot_is_running(Context& ctx, const std::string& name) {
  return RunState::load(ctx.settings(), name).running();
}

int exec_in_pot(Context& ctx, const std::string& name, const std::vector<std::string>& argv,
                const std::vector<std::string>& extra_env) {
  if (argv.empty()) throw Error("pot exec: no command given");
  RunState state = require_running(ctx, name);
  PotConf conf = ctx.load_conf(name);
  std::vector<std::string> env = pot_environment(conf, conf.get_or("host.hostname", name));
  for (const auto& entry : extra_env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=')
      throw Error("invalid environment variable " + quote_name(entry) + ": expected VAR=value");
    override_env(env, entry);
  }
  // Like system(3): ^C belongs to the command in the pot, not to us.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  return run_in_jail(RunningJail{state.init_pid, state.init_start},
                     ctx.cgroups_for(state.cgroup_version).dirs(ctx.cgroup_group(name)), argv, env,
                     state.own_network);
}

int open_shell_in_pot(Context& ctx, const std::string& name) {
  RunState state = require_running(ctx, name);
  PotConf conf = ctx.load_conf(name);
  PotTerminal terminal = open_pot_terminal(state.init_pid);
  return run_in_jail(RunningJail{state.init_pid, state.init_start},
                     ctx.cgroups_for(state.cgroup_version).dirs(ctx.cgroup_group(name)),
                     {"/bin/sh", "-l"}, pot_environment(conf, conf.get_or("host.hostname", name)),
                     state.own_network, terminal.slave.get(), [&] {
                       terminal.slave.reset();  // the shell's exit must reach us as EIO
                       relay_terminal(terminal.master.get());
                     });
}

void signal_pot(Context& ctx, const std::string& name, int signal) {
  RunState state = require_running(ctx, name);
  if (!signal_process(state.init_pid, state.init_start, signal))
    throw Error("pot " + quote_name(name) + " is not running");
}

}  // namespace pot
