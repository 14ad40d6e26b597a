// The life of a pot. `pot start`, step by step:
//
//   1. start the pot's dependencies (pot.depend) that are not running;
//   2. take the pot's lock (which re-checks that the pot exists); clean up stale state a
//      killed `pot` left; refuse a second start;
//   3. plan: the jail spec and the network; bring up the bridge and the firewall;
//   4. persistent, or a task (start_pot_detached): fork the monitor, which cuts itself loose
//      (its own session and cgroups) and inherits our hold on the lock; in the foreground
//      this process is the monitor;
//   5. the monitor records `starting` naming itself, launches the jail (cgroup, namespaces,
//      root, privileges, network, init), records `started` and lets the lock go, and
//      reports "running" (or the error, after recording `doa` and cleaning up);
//   6. the monitor waits for the pot (pumping a persistent pot's output into its rotated
//      logs, a task's into its two files); when the command ends it reads the cgroup's OOM
//      kills, writes .last_run_stats, takes the lock and, if still in charge, removes the
//      cgroup and the network forwards and records `stopped`.
//
// Whoever dies at any step, the pot's init dies with the monitor (PDEATHSIG), and the
// next start, stop or destroy finds state whose processes are gone and finishes the cleanup.
#include "pot/lifecycle.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>
#include <variant>

#include "core/child_report.h"
#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "core/process.h"
#include "core/process_title.h"
#include "core/size.h"
#include "pot/last_run.h"
#include "pot/mounts_conf.h"
#include "pot/network.h"
#include "pot/run_state.h"

namespace pot {
namespace {

// Ends the pot's processes and removes what its run made; leaves the state for the caller.
void terminate_and_clean(Context& ctx, const std::string& name, const RunState& state,
                         bool graceful) {
  JailHandle jail = jail_handle(ctx, name, state);
  ctx.runtime().stop(jail, graceful, ctx.settings().stop_timeout_seconds);
  // A monitor still in "starting" that does not hold the lock (we do) is stuck or lost.
  if (state.status == Status::kStarting && state.monitor_alive() &&
      state.monitor_pid != ::getpid()) {
    signal_process(state.monitor_pid, state.monitor_start, SIGKILL);
    wait_for_process_exit(state.monitor_pid, state.monitor_start, 10000);
  }
  release_pot_network(ctx, name, state.network);
  ctx.runtime().remove(jail);
  // A live monitor leaves its own groups on its way out; a killed one left them to us.
  if (!state.monitor_alive())
    ctx.runtime().remove_monitor_leftovers(ctx.settings().root_tag(), name, /*for_destroy=*/false);
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

// The monitor's end: the pot's init has exited, its command as `run` says.
void finish_run(Context& ctx, const std::string& name, const LastRun& run) {
  try {
    // Under the lock, and only while the pot exists: a destroy must not see a file or a
    // lock appear again after it removed them.
    FileLock lock = lock_existing_pot(ctx.settings(), name);
    if (!lock.held() || !ctx.pot_exists(name)) return;
    write_last_run(ctx, name, run);
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

// Whether the run's command ran into the pot's memory limit, from the cgroup (read before
// it is removed); an unreadable count is reported and taken as no.
bool oom_killed(Context& ctx, const std::string& name) {
  try {
    return ctx.runtime().oom_kills(jail_handle(ctx, name, RunState{})) > 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pot: reading the OOM kills of pot %s: %s\n", quote_name(name).c_str(),
                 e.what());
    return false;
  }
}

// How a start runs the pot, and what it changes.
struct StartRequest {
  std::optional<std::vector<std::string>> argv;  // a one-shot command instead of pot.cmd
  const TaskOutput* task = nullptr;              // a detached, non-persistent task
};

// Everything a start decided before any process runs.
struct StartPlan {
  JailSpec spec;
  PotNetworkPlan network;
  bool persistent = true;
  PotOutput output;  // monostate: the pot runs in the foreground, with our stdout and stderr
  bool detached() const { return !std::holds_alternative<std::monostate>(output); }
};

StartPlan plan_start(Context& ctx, const std::string& name, const PotConf& conf,
                     const StartRequest& request) {
  StartPlan plan;
  plan.spec = build_jail_spec(ctx, name, conf);
  plan.persistent = conf.attr("persistent", true);
  if (request.argv) {
    plan.spec.argv = *request.argv;
    plan.persistent = false;
  }
  // A task ends with its command, whatever the pot's own setting: Nomad restarts it.
  if (request.task) plan.persistent = false;
  plan.spec.persistent = plan.persistent;
  if (request.task && plan.spec.argv.empty())
    throw Error("pot " + quote_name(name) + " has no command to run as a task: use `pot set-cmd`");
  if (!plan.persistent && plan.spec.argv.empty())
    throw Error("pot " + quote_name(name) +
                " is not persistent and has no command: use `pot set-cmd`");
  if (request.task) {
    plan.output = *request.task;
  } else if (plan.persistent) {
    const Settings& s = ctx.settings();
    plan.output = LogRotation{log_path(s, name), s.log_max_bytes, s.log_max_files};
  }
  plan.network = plan_pot_network(ctx, name, conf);
  plan.spec.extra_hosts.insert(plan.spec.extra_hosts.begin(), plan.network.hosts.begin(),
                               plan.network.hosts.end());
  plan.spec.resolv_conf = plan.network.resolv_conf;
  return plan;
}

// As the original: a prunable pot is pruned only once it has run, so one prepared and not
// yet started is safe from `pot prune`. Called with the pot's lock held.
void mark_to_be_pruned(Context& ctx, const std::string& name, const PotConf& conf) {
  if (!conf.attr("prunable", false) || conf.attr("to-be-pruned", false)) return;
  PotConf current = ctx.load_conf(name);  // read again: under the lock now
  current.set_attr("to-be-pruned", true);
  ctx.save_conf(name, current);
}

// The monitor's whole life, in this process (a pot in the foreground) or in a detached
// child (a persistent pot, a task): record `starting` naming this process, launch, record
// `started` and let the lock go, wait, record the end. A kill at any step leaves a state
// whose processes are gone, which the next command cleans.
int monitor_pot(Context& ctx, const std::string& name, StartPlan plan, FileLock& lock,
                ChildReporter* reporter) {
  const Settings& s = ctx.settings();
  RunState state;
  state.cgroup_version = ctx.runtime().run_tag();
  state.status = Status::kStarting;
  state.monitor_pid = ::getpid();
  state.monitor_start = process_start_time(state.monitor_pid).value_or(0);
  state.own_network = plan.spec.network == NetworkMode::kIsolated;
  state.network = plan.network.record().format();
  state.save(s, name);

  MonitorHooks hooks;
  hooks.namespaces_ready = [&](pid_t init) { attach_pot_network(ctx, name, plan.network, init); };
  hooks.running = [&](const RunningJail& jail) {
    check_transition(name, state.status, Status::kStarted);
    state.status = Status::kStarted;
    state.init_pid = jail.init_pid;
    state.init_start = jail.init_start_time;
    state.save(s, name);
    lock.release();
    if (reporter) reporter->ready();
  };
  CommandExit exit;
  try {
    create_pot_links(ctx, name, plan.network, plan.spec);
    exit = ctx.runtime().run(plan.spec, hooks, plan.output);
  } catch (...) {
    if (state.status == Status::kStarting) {
      state.status = Status::kDoa;  // recorded first: a kill from here on is cleaned as stale
      state.save(s, name);
      clean_stale_locked(ctx, name, state);
    }
    throw;
  }
  finish_run(ctx, name, LastRun{exit.code, exit.signal, oom_killed(ctx, name)});
  return exit.code;
}

// A persistent start or a task's: the monitor is a child cut loose from us (its own session and
// cgroups), which inherits our hold on the pot's lock; we return once it reports the pot
// running, or throw its error.
void start_detached(Context& ctx, const std::string& name, const StartPlan& plan, FileLock& lock) {
  const std::string& root_tag = ctx.settings().root_tag();
  fork_and_wait_ready("the monitor of pot " + quote_name(name), [&](ChildReporter& reporter) {
    with_context("detaching the monitor of pot " + quote_name(name), [&] {
      ctx.runtime().detach_monitor(root_tag, name, {reporter.fd(), lock.fd()});
    });
    set_process_title("pot-monitor " + name);
    struct LeaveMonitor {
      Context& ctx;
      const std::string& root_tag;
      const std::string& name;
      ~LeaveMonitor() {
        try {
          ctx.runtime().leave_monitor(root_tag, name);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "pot: %s\n", e.what());  // the next command removes them
        }
      }
    } leave{ctx, root_tag, name};
    monitor_pot(ctx, name, plan, lock, &reporter);
  });
}

void start_dependencies(Context& ctx, const std::string& name, const PotConf& conf,
                        std::set<std::string>& visiting);

int start_locked(Context& ctx, const std::string& name, std::set<std::string>& visiting,
                 const StartRequest& request) {
  ctx.require_pot(name);
  PotConf conf = ctx.load_conf(name);
  start_dependencies(ctx, name, conf, visiting);

  FileLock lock = lock_pot(ctx.settings(), name);
  RunState state = RunState::load(ctx.settings(), name);
  clean_stale_locked(ctx, name, state);
  if (state.status != Status::kStopped)
    throw Error("pot " + quote_name(name) + " is already " + std::string(to_string(state.status)));
  StartPlan plan = plan_start(ctx, name, conf, request);
  prepare_pot_network(ctx, plan.network);
  mark_to_be_pruned(ctx, name, conf);
  if (!plan.detached()) return monitor_pot(ctx, name, plan, lock, /*reporter=*/nullptr);
  start_detached(ctx, name, plan, lock);
  return 0;
}

void start_dependencies(Context& ctx, const std::string& name, const PotConf& conf,
                        std::set<std::string>& visiting) {
  if (!visiting.insert(name).second)
    throw Error("pot " + quote_name(name) + " depends on itself through pot.depend");
  for (const auto& dep : conf.get_all("pot.depend")) {
    if (!pot_is_running(ctx, dep)) {
      with_context("starting dependency " + quote_name(dep),
                   [&] { return start_locked(ctx, dep, visiting, StartRequest{}); });
    }
  }
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

// pot.user, when set: the user the pot's command runs as. HOME then comes from the user's
// passwd entry in the pot (at start, pot_user.h), unless pot.env sets it: the default
// HOME=/root is taken out of `env`.
static std::optional<std::string> pot_user(const PotConf& conf, std::vector<std::string>& env) {
  auto user = conf.get("pot.user");
  if (!user || user->empty()) return std::nullopt;
  bool home_set = std::ranges::any_of(
      conf.get_all("pot.env"), [](const std::string& entry) { return entry.starts_with("HOME="); });
  if (!home_set) std::erase_if(env, [](const std::string& e) { return e.starts_with("HOME="); });
  return user;
}

JailHandle jail_handle(Context& ctx, const std::string& name, const RunState& state) {
  return JailHandle{name,           ctx.jail_group(name), state.cgroup_version,
                    state.init_pid, state.init_start,     state.own_network};
}

RunState require_running(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  RunState state = RunState::load(ctx.settings(), name);
  if (!state.running()) throw Error("pot " + quote_name(name) + " is not running");
  return state;
}

// A fscomp.conf source that is a host path (a mount-in), not a dataset name.
static bool is_host_path(const std::string& source) {
  return source.starts_with('/');
}

JailSpec root_spec(Context& ctx, const std::string& name, const PotConf& conf) {
  const Settings& settings = ctx.settings();
  JailSpec spec;
  spec.name = name;
  spec.hostname = conf.get_or("host.hostname", name);
  spec.root = settings.root_path(name).string();
  // conf/fscomp.conf holds the mount-ins (host directories: spec.mounts) and, in a pot the
  // original made on FreeBSD, dataset lines (spec.freebsd.fscomp: its base on `/`, its
  // usr.local and custom with `zfs-remount`). Each line goes to one of the two, or the
  // FreeBSD runtime would mount a mount-in twice.
  for (const auto& mount : load_mounts(settings, name)) {
    if (is_host_path(mount.host_path)) spec.mounts.push_back(mount);
  }
  bool base_in_fscomp = false;
  if (ctx.platform_name() == "freebsd") {
    if (auto fscomp = read_file_if_exists(settings.jail_dir(name) / "conf" / "fscomp.conf")) {
      std::istringstream lines(*fscomp);
      for (std::string line; std::getline(lines, line);) {
        std::string source, target;
        if (!(std::istringstream(line) >> source >> target) || is_host_path(source)) continue;
        base_in_fscomp = base_in_fscomp || target == "/";
        spec.freebsd.fscomp.push_back(line);
      }
    }
  }
  // Ours: the base read-only under the pot's own layer (Linux overlayfs, FreeBSD unionfs).
  if (conf.get_or("pot.type", "single") == "multi" && !base_in_fscomp) {
    fs::path upper = settings.jail_dir(name) / "upper";
    spec.overlay = OverlayRoot{settings.base_path(conf.get_or("pot.base", "")).string(),
                               (upper / "root").string(), (upper / "work").string()};
  }
  return spec;
}

JailSpec build_jail_spec(Context& ctx, const std::string& name, const PotConf& conf) {
  const Settings& settings = ctx.settings();
  JailSpec spec = root_spec(ctx, name, conf);
  spec.network = conf.get_or("network_type", "none") == "inherit" ? NetworkMode::kInherit
                                                                  : NetworkMode::kIsolated;
  if (auto cmd = conf.get("pot.cmd"); cmd && !cmd->empty()) spec.argv = command_to_argv(*cmd);
  spec.env = pot_environment(conf, spec.hostname);
  spec.user = pot_user(conf, spec.env);
  for (const auto& entry : conf.get_all("pot.hosts")) spec.extra_hosts.push_back(entry);
  spec.cgroup_name = ctx.jail_group(name);
  for (const auto& known : known_attrs()) {
    if (conf.attr(known.name, known.default_value))
      spec.freebsd.enabled_attributes.emplace_back(known.name);
  }
  spec.freebsd.osrelease = conf.get_or("osrelease", "");
  spec.freebsd.tmpfs = !conf.attr("no-tmpfs", false);
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
  if (auto reservation = conf.get("pot.rss.memory_reservation")) {
    spec.limits.memory_reservation_bytes =
        with_context(quote_name("pot.rss.memory_reservation") + in_conf,
                     [&] { return parse_size(*reservation); });
  }
  if (auto shares = conf.get("pot.rss.cpu_shares")) {
    uint64_t value = number("pot.rss.cpu_shares", *shares);
    if (value < kMinCpuShares || value > kMaxCpuShares)
      throw Error("invalid " + quote_name("pot.rss.cpu_shares") + in_conf + ": " +
                  quote_name(*shares) + " is not in 2..262144");
    spec.limits.cpu_shares = value;
  }
  return spec;
}

int start_pot(Context& ctx, const std::string& name) {
  std::set<std::string> visiting;
  int code = start_locked(ctx, name, visiting, StartRequest{});
  return code == 0 ? 0 : kExitApplicationError;
}

void start_pot_detached(Context& ctx, const std::string& name, const TaskOutput& output) {
  if (output.stdout_path.empty() || output.stderr_path.empty())
    throw Error("starting pot " + quote_name(name) + " as a task: both output paths are needed");
  std::set<std::string> visiting;
  start_locked(ctx, name, visiting, StartRequest{std::nullopt, &output});
}

int run_pot_once(Context& ctx, const std::string& name, const std::vector<std::string>& argv) {
  std::set<std::string> visiting;
  return start_locked(ctx, name, visiting, StartRequest{argv, nullptr});
}

void stop_pot(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  FileLock lock = lock_pot(ctx.settings(), name);
  RunState state = RunState::load(ctx.settings(), name);
  if (state.status == Status::kStopped) {
    // Nothing recorded, but a killed `pot` may have left a cgroup or a jail: finish that
    // quietly.
    JailHandle jail = jail_handle(ctx, name, state);
    if (ctx.runtime().has_leftovers(jail)) {
      ctx.runtime().remove(jail);
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
    wait_for_process_exit(state.monitor_pid, state.monitor_start, 5000);
  if (!state.monitor_alive())
    ctx.runtime().remove_monitor_leftovers(ctx.settings().root_tag(), name, /*for_destroy=*/false);
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
  std::optional<std::string> user = pot_user(conf, env);
  for (const auto& entry : extra_env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=')
      throw Error("invalid environment variable " + quote_name(entry) + ": expected VAR=value");
    override_env(env, entry);
  }
  // Like system(3): ^C belongs to the command in the pot, not to us.
  ::signal(SIGINT, SIG_IGN);
  ::signal(SIGQUIT, SIG_IGN);
  return with_context("pot " + quote_name(name), [&] {
    return ctx.runtime().exec(jail_handle(ctx, name, state), ExecRequest{argv, env, user, false});
  });
}

int open_shell_in_pot(Context& ctx, const std::string& name) {
  RunState state = require_running(ctx, name);
  PotConf conf = ctx.load_conf(name);
  return ctx.runtime().exec(jail_handle(ctx, name, state),
                            ExecRequest{{"/bin/sh", "-l"},
                                        pot_environment(conf, conf.get_or("host.hostname", name)),
                                        std::nullopt,
                                        /*terminal=*/true});
}

void signal_pot(Context& ctx, const std::string& name, int signal) {
  RunState state = require_running(ctx, name);
  if (!ctx.runtime().signal(jail_handle(ctx, name, state), signal))
    throw Error("pot " + quote_name(name) + " is not running");
}

}  // namespace pot
