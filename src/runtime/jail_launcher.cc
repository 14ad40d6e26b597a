#include "runtime/jail_launcher.h"

#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <sstream>

#include "core/child_report.h"
#include "core/error.h"
#include "core/process_title.h"
#include "core/unique_fd.h"
#include "runtime/capabilities.h"
#include "runtime/loopback.h"
#include "runtime/pot_init.h"
#include "runtime/pot_user.h"
#include "runtime/root_mounts.h"
#include "runtime/root_path.h"
#include "runtime/seccomp_filter.h"

namespace pot {
namespace {

// fork() into new namespaces. clone3 with no stack behaves like fork in the child.
pid_t clone_into_namespaces(uint64_t flags, int cgroup_fd) {
  clone_args args{};
  args.flags = flags;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup_fd);
  }
  return static_cast<pid_t>(::syscall(SYS_clone3, &args, sizeof args));
}

// Everything the pot's init does before it runs the command; any failure is reported.
[[noreturn]] void become_pot_init(const JailSpec& spec, CgroupManager& cgroups, bool in_cgroup,
                                  int report_fd, int go_fd, int status_fd) {
  std::vector<std::string> env = spec.env;
  std::optional<PotUser> user;
  try {
    // Die with the monitor that launched us: a pot is never left without the process that
    // waits for it and cleans up after it.
    if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) throw_sys("PR_SET_PDEATHSIG");
    // The pot must not learn where pot lives on the host from its pid 1's command line.
    set_process_title("pot-init");
    // Non-dumpable: pot processes cannot open /proc/1/exe (our binary on the host) or ptrace
    // us; this is what stops the /proc/self/exe overwrite attack.
    if (::prctl(PR_SET_DUMPABLE, 0) != 0) throw_sys("PR_SET_DUMPABLE");
    if (in_cgroup) {
      cgroups.join_companions(spec.cgroup_name);  // clone3 placed us in the managed group
    } else {
      cgroups.join_self(spec.cgroup_name);
    }
    if (::unshare(CLONE_NEWCGROUP) != 0) throw_sys("unshare cgroup namespace");
    ::umask(022);
    setup_root_filesystem(spec);
    if (spec.user) {
      // Now `/` is the pot's root: its own /etc/passwd, with every mount of the pot in place.
      user = with_context("pot " + quote_name(spec.name), [&] {
        return resolve_pot_user_in_root(open_root_dir("/").get(), *spec.user);
      });
      add_user_environment(env, *user);
    }
    if (::sethostname(spec.hostname.data(), spec.hostname.size()) != 0)
      throw_sys("setting hostname " + quote_name(spec.hostname));
    if (spec.network == NetworkMode::kIsolated) bring_up_loopback();
    drop_capabilities();
    install_seccomp_filter();
    if (go_fd >= 0) {
      // The launcher is still setting up what it does from outside (the network).
      char go = 0;
      ssize_t n;
      do {
        n = ::read(go_fd, &go, 1);
      } while (n < 0 && errno == EINTR);
      if (n != 1) ::_exit(126);  // the launcher failed and reports why
      ::close(go_fd);
    }
  } catch (const std::exception& e) {
    ChildReporter(UniqueFd(report_fd)).fail(e.what());
    ::_exit(126);
  }
  // Only 0-2 reach the pot (the report and status pipes are close-on-exec).
  close_fds_except({report_fd, status_fd});
  run_pot_init(spec.argv, env, spec.workdir, report_fd, /*new_session=*/true, spec.persistent,
               status_fd, user ? &*user : nullptr);
}

// The init's report: nullopt when it is running, else why not (its own error, or its death).
std::optional<std::string> init_failure(int report_fd) {
  try {
    if (read_child_report(report_fd)) return std::nullopt;
    return "";  // died without a word
  } catch (const Error& e) {
    return std::string(e.what());
  }
}

}  // namespace

RunningJail launch_jail(const JailSpec& spec, CgroupManager& cgroups,
                        const NamespacesReady& namespaces_ready) {
  // Another pot of this root, ending now, removes the root's group when it was the last
  // one in it (destroy, a monitor leaving), maybe between our mkdirs: make it again.
  for (int attempt = 0;; ++attempt) {
    try {
      cgroups.create(spec.cgroup_name, spec.limits);
      break;
    } catch (const Error& e) {
      if (e.sys_errno() != ENOENT || attempt >= 50) throw;
    }
  }
  try {
    ReportPipe report = ReportPipe::make();
    int status_pipe[2];
    if (::pipe2(status_pipe, O_CLOEXEC) != 0) throw_sys("creating the pot's status pipe");
    UniqueFd status_read(status_pipe[0]), status_write(status_pipe[1]);
    UniqueFd go_read, go_write;
    if (namespaces_ready) {
      // A socket, not a pipe: sending to an init that already died must fail with EPIPE,
      // not kill us with SIGPIPE, so that its report can say why it died.
      int go[2];
      if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0) throw_sys("socketpair");
      go_read.reset(go[0]);
      go_write.reset(go[1]);
    }

    uint64_t flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
    if (spec.network == NetworkMode::kIsolated) flags |= CLONE_NEWNET;
    UniqueFd cgroup_dir;
    if (cgroups.can_clone_into()) {
      std::string dir = cgroups.path(spec.cgroup_name, "");
      cgroup_dir.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!cgroup_dir) throw_sys("opening cgroup " + quote_name(dir));
    }
    pid_t pid = clone_into_namespaces(flags, cgroup_dir.get());
    if (pid < 0) throw_sys("creating the pot's namespaces");
    if (pid == 0) {
      report.read_end.reset();
      go_write.reset();
      status_read.reset();
      become_pot_init(spec, cgroups, cgroup_dir.valid(), report.child.release(),
                      go_read.valid() ? go_read.release() : -1, status_write.release());
    }
    ChildGuard init(pid);
    report.child = ChildReporter();  // EOF must mean the child's
    status_write.reset();
    go_read.reset();
    // Read now: a command like /bin/true may be gone by the time init reports "running".
    auto start_time = process_start_time(pid);
    std::exception_ptr setup_error;
    if (namespaces_ready) {
      try {
        namespaces_ready(pid);
        // An init that failed meanwhile has reported why: read below.
        (void)::send(go_write.get(), "g", 1, MSG_NOSIGNAL);
      } catch (...) {
        setup_error = std::current_exception();
      }
      go_write.reset();  // an init still waiting for "g" sees EOF and exits
    }

    std::optional<std::string> failure = init_failure(report.read_end.get());
    if (setup_error) {
      init.wait();
      // The init's own failure came first and is the better reason.
      if (failure && !failure->empty()) throw Error(*failure);
      std::rethrow_exception(setup_error);
    }
    if (failure) {
      int code = init.wait();
      if (!failure->empty()) throw Error(*failure);
      throw Error("the pot's init exited with code " + std::to_string(code) + " while starting");
    }
    if (!start_time) throw Error("the pot's init vanished while starting");
    return RunningJail{init.release(), *start_time, std::move(status_read)};
  } catch (...) {
    try {
      cgroups.remove(spec.cgroup_name);
    } catch (const Error&) {
      // The start error is the one to report; the next command retries the removal.
    }
    throw;
  }
}

int run_in_jail(const RunningJail& jail, const std::vector<std::string>& cgroup_dirs,
                const std::vector<std::string>& argv, std::vector<std::string> env,
                const std::optional<std::string>& user_spec, bool own_network, int terminal_fd,
                const std::function<void()>& while_running) {
  UniqueFd pidfd = open_pidfd(jail.init_pid);
  if (!pidfd) throw_sys("opening the pot's init (pid " + std::to_string(jail.init_pid) + ")");
  // The pid could have been reused between reading the state and opening it.
  if (!process_alive(jail.init_pid, jail.init_start_time)) throw Error("the pot is not running");

  // Host paths of the pot's cgroups: opened now, while the host's /sys is still visible.
  std::vector<UniqueFd> cgroup_procs;
  for (const auto& dir : cgroup_dirs) {
    UniqueFd fd(::open((dir + "/cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) throw_sys("opening " + quote_name(dir + "/cgroup.procs"));
    cgroup_procs.push_back(std::move(fd));
  }

  ReportPipe report = ReportPipe::make();
  pid_t pid = ::fork();
  if (pid < 0) throw_sys("fork");
  if (pid == 0) {
    report.read_end.reset();
    std::optional<PotUser> user;
    try {
      if (::prctl(PR_SET_DUMPABLE, 0) != 0) throw_sys("PR_SET_DUMPABLE");
      for (auto& fd : cgroup_procs) {
        if (::write(fd.get(), "0", 1) < 0) throw_sys("joining the pot's cgroup");
      }
      cgroup_procs.clear();
      int ns = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP;
      if (own_network) ns |= CLONE_NEWNET;
      if (::setns(pidfd.get(), ns) != 0) throw_sys("entering the pot's namespaces");
      if (::chdir("/") != 0) throw_sys("chdir /");
      if (user_spec) {
        user = resolve_pot_user_in_root(open_root_dir("/").get(), *user_spec);
        add_user_environment(env, *user);
      }
      drop_capabilities();
      install_seccomp_filter();
    } catch (const std::exception& e) {
      report.child.fail(e.what());
      ::_exit(126);
    }
    if (terminal_fd >= 0) {
      for (int fd = 0; fd <= 2; ++fd) ::dup2(terminal_fd, fd);
    }
    close_fds_except({report.child.fd()});
    // setns(CLONE_NEWPID) applies to children: the init below is the one inside the pot.
    run_pot_init(argv, env, "/", report.child.release(), /*new_session=*/terminal_fd >= 0,
                 /*persistent=*/false, /*status_fd=*/-1, user ? &*user : nullptr);
  }
  ChildGuard child(pid);
  report.child = ChildReporter();  // EOF must mean the child's
  if (std::optional<std::string> failure = init_failure(report.read_end.get())) {
    child.wait();
    if (!failure->empty()) throw Error(*failure);
    throw Error("could not run the command in the pot");
  }
  if (while_running) while_running();
  return child.wait();
}

}  // namespace pot
