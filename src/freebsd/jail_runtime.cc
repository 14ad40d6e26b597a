#include "freebsd/jail_runtime.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <optional>
#include <sstream>
#include <utility>

#include "core/error.h"
#include "core/process.h"
#include "core/unique_fd.h"
#include "freebsd/jail_limits.h"
#include "freebsd/jail_params.h"
#include "freebsd/jail_process.h"
#include "freebsd/mount_table.h"
#include "runtime/root_path.h"

namespace pot::freebsd {
namespace {

namespace fs = std::filesystem;

std::string trimmed(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  size_t end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

// What a start has made so far, undone in reverse order unless the start went through.
class StartUndo {
 public:
  explicit StartUndo(SystemCommands& commands) : commands_(commands) {}
  StartUndo(const StartUndo&) = delete;
  StartUndo& operator=(const StartUndo&) = delete;
  ~StartUndo() {
    for (auto it = steps_.rbegin(); it != steps_.rend(); ++it) (*it)();
  }
  void add(std::vector<std::string> argv) {
    steps_.emplace_back([this, argv = std::move(argv)] { commands_.attempt(argv); });
  }
  // A step that decides when it runs what to undo (from the host's state).
  void add(std::function<void()> step) { steps_.push_back(std::move(step)); }
  void commit() { steps_.clear(); }

 private:
  SystemCommands& commands_;
  std::vector<std::function<void()>> steps_;
};

// `pot_path` (absolute, in the pot) on the host, refused when a symlink in the pot would
// take it out of the pot's root.
fs::path host_target(const fs::path& root, const std::string& pot_path) {
  fs::path target = root / fs::path(pot_path).relative_path();
  fs::path real_root = fs::weakly_canonical(root);
  fs::path real_target = fs::weakly_canonical(target);
  auto [root_end, ignored] =
      std::mismatch(real_root.begin(), real_root.end(), real_target.begin(), real_target.end());
  if (root_end != real_root.end())
    throw Error("mount point " + quote_name(pot_path) + " leads out of the pot's root " +
                quote_name(root.string()));
  return target;
}

// Makes the mount point when it is missing: a directory, or an empty file for a file.
void make_mount_point(const fs::path& target, bool for_file) {
  std::error_code ec;
  if (fs::exists(target, ec)) return;
  if (!for_file) {
    fs::create_directories(target, ec);
  } else {
    fs::create_directories(target.parent_path(), ec);
    UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644));
  }
}

// Writes `text` to the pot's /etc/NAME from the host without following a symlink the pot
// planted (at etc or at the file): a link there is replaced, never written through. Nothing
// when the pot has no /etc.
void write_pot_etc_file(const std::string& root, const char* name, const std::string& text) {
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) throw_sys("opening the pot's root " + quote_name(root));
  UniqueFd etc_fd(::openat(root_fd.get(), "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!etc_fd) return;
  int flags = O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC;
  UniqueFd fd(::openat(etc_fd.get(), name, flags, 0644));
  if (!fd && errno == ELOOP && ::unlinkat(etc_fd.get(), name, 0) == 0)
    fd = UniqueFd(::openat(etc_fd.get(), name, flags | O_EXCL, 0644));
  std::string path = root + "/etc/" + name;
  if (!fd) throw_sys("writing " + quote_name(path));
  if (::write(fd.get(), text.data(), text.size()) != static_cast<ssize_t>(text.size()))
    throw_sys("writing " + quote_name(path));
}

// The release the pot's /bin/freebsd-version says (the original's _get_os_release), read
// without following a symlink the pot planted there; nullopt without one.
std::optional<std::string> pot_userland_version(const std::string& root) {
  UniqueFd root_fd(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd) return std::nullopt;
  UniqueFd bin_fd(::openat(root_fd.get(), "bin", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!bin_fd) return std::nullopt;
  UniqueFd fd(::openat(bin_fd.get(), "freebsd-version", O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return std::nullopt;
  std::string text(64 * 1024, '\0');  // the script is a few kilobytes
  ssize_t got = ::read(fd.get(), text.data(), text.size());
  if (got <= 0) return std::nullopt;
  text.resize(static_cast<std::size_t>(got));
  return userland_version(text);
}

class JailRuntime : public Runtime {
 public:
  JailRuntime(Settings settings, SystemCommands& commands)
      : settings_(std::move(settings)), commands_(commands) {}

  std::string name() const override { return "freebsd"; }

  std::string group_name(const std::string& /*root_tag*/, const std::string& pot) const override {
    return jail_name_for_pot(pot);
  }

  std::string run_tag() override { return "jail"; }

  CommandExit run(const JailSpec& spec, const MonitorHooks& hooks,
                  const PotOutput& output) override {
    const std::string jail = jail_name_for_pot(spec.name);
    StartUndo undo(commands_);
    mount_filesystems(spec, undo);
    write_etc_files(spec);
    JailSpec created = spec;
    if (created.freebsd.osrelease.empty())
      created.freebsd.osrelease = pot_userland_version(spec.root).value_or("");
    commands_.check(jail_create_argv(created, jail, settings_.stop_timeout_seconds));
    // jail(8) mounted devfs (and fdescfs, procfs); `jail -r` without a configuration may
    // leave them: those still in the mount table are unmounted, as the original's stop
    // unmounts them "if left" (an unconditional umount of one that went would fail the
    // undo's report with a second error line).
    undo.add([this, root = fs::path(spec.root)] { unmount_left_by_jail(root); });
    undo.add({"jail", "-r", jail});
    if (jail_has_vnet(spec))
      commands_.check({"jexec", jail, "ifconfig", "lo0", "inet", "127.0.0.1", "up"});
    apply_limits(spec.limits, jail, undo);

    LaunchPot launch = [&]() -> RunningJail {
      if (hooks.namespaces_ready) hooks.namespaces_ready(0);
      auto argv = jexec_argv(jail, spec.user, spec.env, spec.argv, spec.workdir);
      RunningJail running;
      if (spec.persistent) {
        running = spawn_kept(argv);
      } else {
        running.init_pid = spawn_child(argv);
        running.init_start_time = process_start_time(running.init_pid).value_or(0);
      }
      undo.commit();
      return running;
    };
    return run_monitor(launch, hooks, output);
  }

  void detach_monitor(const std::string& /*root_tag*/, const std::string& /*pot*/,
                      std::initializer_list<int> keep) override {
    detach_process(keep);
  }
  void leave_monitor(const std::string& /*root_tag*/, const std::string& /*pot*/) override {}
  void remove_monitor_leftovers(const std::string& /*root_tag*/, const std::string& /*pot*/,
                                bool /*for_destroy*/) override {}

  // The jail goes as the original's stop takes it (jail(8) sends SIGTERM to its processes
  // and SIGKILL after stop.timeout); not graceful, `jail -R` kills them at once. Then the
  // first process, a persistent pot's keeper, is told to go.
  void stop(const JailHandle& handle, bool graceful, int timeout_seconds) override {
    const std::string& jail = handle.group;
    JailOwner owner = jail_owner(handle);
    if (owner == JailOwner::kThisPot) {
      if (graceful) {
        commands_.attempt({"jail", "-f", "-", "-q", "-r", jail},
                          jail_stop_config(jail, timeout_seconds));
      } else {
        commands_.attempt({"jail", "-R", jail});
      }
    }
    if (handle.init_pid > 0 && process_alive(handle.init_pid, handle.init_start)) {
      signal_process(handle.init_pid, handle.init_start, graceful ? SIGTERM : SIGKILL);
      if (!wait_for_process_exit(handle.init_pid, handle.init_start, 5000))
        signal_process(handle.init_pid, handle.init_start, SIGKILL);
    }
  }

  void remove(const JailHandle& handle) override {
    const std::string& jail = handle.group;
    JailOwner owner = jail_owner(handle);
    if (owner == JailOwner::kThisPot) commands_.attempt({"jail", "-r", jail});
    if (owner != JailOwner::kAnother && has_rctl_rules(jail))
      commands_.attempt({"rctl", "-r", rctl_subject(jail)});
    const fs::path root = settings_.root_path(handle.pot);
    for (const auto& mount : pot_mounts(root)) {
      if (mount.fstype == "zfs") {
        // A zfs-remount fscomp goes back where the original's stop puts it: J/<dataset's
        // last component>.
        std::string back = (root.parent_path() / fs::path(mount.source).filename()).string();
        commands_.attempt({"zfs", "set", "mountpoint=" + back, mount.source});
      } else {
        commands_.attempt({"umount", "-f", mount.mount_point});
      }
    }
  }

  bool has_leftovers(const JailHandle& handle) override {
    JailOwner owner = jail_owner(handle);
    return owner == JailOwner::kThisPot ||
           (owner == JailOwner::kNone && has_rctl_rules(handle.group)) ||
           !pot_mounts(settings_.root_path(handle.pot)).empty();
  }

  int exec(const JailHandle& handle, const ExecRequest& request) override {
    std::vector<std::string> argv = request.argv;
    if (argv.empty() && request.terminal) argv = {"/bin/sh", "-l"};
    if (argv.empty()) throw Error("exec in pot " + quote_name(handle.pot) + ": no command");
    pid_t pid = spawn_child(jexec_argv(handle.group, request.user, request.env, argv));
    return wait_exit_code(pid);
  }

  bool signal(const JailHandle& handle, int sig) override {
    return signal_process(handle.init_pid, handle.init_start, sig);
  }

  CgroupStats stats(const JailHandle& handle) override {
    CommandResult usage = commands_.run({"rctl", "-u", rctl_subject(handle.group)});
    if (usage.exit_code != 0) return {};  // racct disabled: nothing measured
    return stats_from_rctl_usage(usage.out);
  }

  // rctl's deny has no counter of what it refused.
  uint64_t oom_kills(const JailHandle& /*handle*/) override { return 0; }

  // A stopped multi pot's m is only where its layers are mounted at start: what goes into
  // the pot goes into its own layer (ours), and a multi pot of the original's, whose base
  // and datasets are mounted only while it runs, is written to while it runs.
  void with_root(const JailSpec& spec, const JailHandle* running,
                 const std::function<void(int root_fd)>& fn) override {
    if (running == nullptr && spec.overlay) {
      UniqueFd layer = open_root_dir(spec.overlay->upper.c_str());
      fn(layer.get());
      return;
    }
    bool layered = std::any_of(spec.freebsd.fscomp.begin(), spec.freebsd.fscomp.end(),
                               [](const std::string& line) {
                                 std::string source, target;
                                 std::istringstream(line) >> source >> target;
                                 return target == "/";
                               });
    if (running == nullptr && layered)
      throw Error("pot " + quote_name(spec.name) +
                  " is a multi pot of the original's: its files are reachable while it runs");
    Runtime::with_root(spec, running, fn);
  }

 private:
  // Which pot a jail of this name is: jail names leave out what pot names may hold (a dot)
  // and the root, so `web.1` and `web_1`, or `web` of two roots, share one. A stop or cleanup
  // acts only on the jail whose path is this pot's root.
  enum class JailOwner { kNone, kThisPot, kAnother };
  JailOwner jail_owner(const JailHandle& handle) {
    CommandResult path = commands_.run({"jls", "-j", handle.group, "path"});
    if (path.exit_code != 0) return JailOwner::kNone;
    return trimmed(path.out) == settings_.root_path(handle.pot).string() ? JailOwner::kThisPot
                                                                         : JailOwner::kAnother;
  }

  bool has_rctl_rules(const std::string& jail) {
    CommandResult rules = commands_.run({"rctl", rctl_subject(jail)});
    return rules.exit_code == 0 && !trimmed(rules.out).empty();
  }

  std::vector<MountEntry> pot_mounts(const fs::path& root) {
    CommandResult table = commands_.run({"mount", "-p"});
    if (table.exit_code != 0) return {};
    return pot_mounts_to_undo(parse_mount_p(table.out), root.string());
  }

  // The pseudo filesystems jail(8) mounts (mount.devfs, mount.fdescfs, mount.procfs) that
  // are still mounted on the pot's root, unmounted.
  void unmount_left_by_jail(const fs::path& root) {
    const std::string dev = (root / "dev").string(), fd = (root / "dev" / "fd").string(),
                      proc = (root / "proc").string();
    for (const auto& mount : pot_mounts(root)) {
      const std::string& point = mount.mount_point;
      if (point == dev || point == fd || point == proc) commands_.attempt({"umount", "-f", point});
    }
  }

  void mount_nullfs(const std::string& source, const fs::path& target, bool read_only,
                    StartUndo& undo) {
    commands_.check({"mount_nullfs", "-o", read_only ? "ro" : "rw", source, target.string()});
    undo.add({"umount", "-f", target.string()});
  }

  // The original's _pot_mount order: the fscomp lines (a multi pot's base first), then
  // tmpfs; the pot's mount-ins after the fscomp lines. A mount-in is itself an fscomp line
  // (mounts_conf.h keeps them in conf/fscomp.conf, which the spec reads both ways): it is
  // mounted once, as that line.
  void mount_filesystems(const JailSpec& spec, StartUndo& undo) {
    const fs::path root = spec.root;
    if (spec.overlay) {
      // A multi pot: the base read-only, and the pot's own layer (its `upper` dataset) over
      // it with unionfs, FreeBSD's counterpart of the Linux overlay. The original instead
      // remounts usr.local and custom datasets of its own base layout; without a writable
      // layer the pot could not even be given its /etc/hosts.
      mount_nullfs(spec.overlay->lower, root, /*read_only=*/true, undo);
      commands_.check(
          {"mount", "-t", "unionfs", "-o", "noatime", spec.overlay->upper, root.string()});
      undo.add({"umount", "-f", root.string()});
    }
    for (const auto& line : spec.freebsd.fscomp) mount_fscomp(root, line, undo);
    for (const auto& mount : spec.mounts) {
      if (is_fscomp_line(spec, mount)) continue;
      fs::path target = host_target(root, mount.pot_path);
      std::error_code ec;
      make_mount_point(target, !fs::is_directory(mount.host_path, ec));
      mount_nullfs(mount.host_path, target, mount.read_only, undo);
    }
    if (spec.freebsd.tmpfs) {
      fs::path tmp = host_target(root, "/tmp");
      make_mount_point(tmp, /*for_file=*/false);
      commands_.check({"mount", "-t", "tmpfs", "tmpfs", tmp.string()});
      undo.add({"umount", "-f", tmp.string()});
    }
  }

  static bool is_fscomp_line(const JailSpec& spec, const BindMount& mount) {
    return std::any_of(spec.freebsd.fscomp.begin(), spec.freebsd.fscomp.end(),
                       [&](const std::string& line) {
                         std::istringstream fields(line);
                         std::string source, pot_path;
                         return fields >> source >> pot_path && source == mount.host_path &&
                                pot_path == mount.pot_path;
                       });
  }

  // "SOURCE MOUNTPOINT [ro|rw|zfs-remount]": SOURCE a directory, a file or a dataset.
  void mount_fscomp(const fs::path& root, const std::string& line, StartUndo& undo) {
    std::istringstream fields(line);
    std::string source, pot_path, option;
    if (!(fields >> source >> pot_path)) return;  // an empty line, as the original skips
    fields >> option;
    fs::path target = host_target(root, pot_path);
    if (option == "zfs-remount") {
      commands_.check({"zfs", "set", "mountpoint=" + target.string(), source});
      std::string back = (root.parent_path() / fs::path(source).filename()).string();
      undo.add({"zfs", "set", "mountpoint=" + back, source});
      return;
    }
    std::string from = source;
    if (source.empty() || source[0] != '/')
      from = trimmed(commands_.check({"zfs", "list", "-H", "-o", "mountpoint", source}));
    std::error_code ec;
    make_mount_point(target, /*for_file=*/fs::exists(from, ec) && !fs::is_directory(from, ec));
    mount_nullfs(from, target, option == "ro", undo);
  }

  void write_etc_files(const JailSpec& spec) {
    std::string hosts =
        "::1 localhost " + spec.hostname + "\n127.0.0.1 localhost " + spec.hostname + "\n";
    for (const auto& line : spec.extra_hosts) hosts += line + "\n";
    write_pot_etc_file(spec.root, "hosts", hosts);
    if (spec.resolv_conf) write_pot_etc_file(spec.root, "resolv.conf", *spec.resolv_conf);
  }

  // The original's _js_rss order: cpuset, then rctl (only when racct is enabled, else said
  // and skipped, as the original does).
  void apply_limits(const ResourceLimits& limits, const std::string& jail, StartUndo& undo) {
    if (limits.cpus) {
      std::string jid = trimmed(commands_.check({"jls", "-j", jail, "jid"}));
      uint64_t host_cpus = 1;
      std::istringstream(commands_.check({"sysctl", "-n", "hw.ncpu"})) >> host_cpus;
      commands_.check({"cpuset", "-l", cpuset_list(*limits.cpus, host_cpus), "-j", jid});
    }
    if (!limits.memory_bytes && !limits.pids) return;
    if (trimmed(commands_.run({"sysctl", "-n", "kern.racct.enable"}).out) != "1") {
      std::fprintf(stderr,
                   "pot: rctl is not enabled (kern.racct.enable): the memory and process "
                   "limits of jail %s are not applied\n",
                   quote_name(jail).c_str());
      return;
    }
    undo.add({"rctl", "-r", rctl_subject(jail)});
    if (limits.memory_bytes)
      commands_.check({"rctl", "-a", rctl_memory_rule(jail, *limits.memory_bytes)});
    if (limits.pids) commands_.check({"rctl", "-a", rctl_pids_rule(jail, *limits.pids)});
  }

  Settings settings_;
  SystemCommands& commands_;
};

}  // namespace

std::unique_ptr<Runtime> make_jail_runtime(const Settings& settings, SystemCommands& commands) {
  return std::make_unique<JailRuntime>(settings, commands);
}

}  // namespace pot::freebsd
