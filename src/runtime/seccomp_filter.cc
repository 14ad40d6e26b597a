#include "runtime/seccomp_filter.h"

#include <sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>

#include "core/error.h"

namespace pot {

const std::vector<std::string>& denied_syscalls() {
  static const std::vector<std::string> kDenied = {
      "keyctl",
      "add_key",
      "request_key",
      "kexec_load",
      "kexec_file_load",
      "init_module",
      "finit_module",
      "delete_module",
      "open_by_handle_at",
      "name_to_handle_at",
      "bpf",
      "perf_event_open",
      "userfaultfd",
      "mount",
      "umount2",
      "pivot_root",
      "unshare",
      "setns",
      "fsopen",
      "fsmount",
      "fsconfig",
      "move_mount",
      "open_tree",
      "mount_setattr",
      "swapon",
      "swapoff",
      "reboot",
      "acct",
      "lookup_dcookie",
      "quotactl",
      "iopl",
      "ioperm",
      "personality",
      "syslog",
      // io_uring does its work in kernel threads, past a filter like this one, and has been
      // a steady source of kernel exploits; Docker's and podman's default profiles deny it.
      "io_uring_setup",
      "io_uring_enter",
      "io_uring_register",
  };
  return kDenied;
}

namespace {

struct SeccompContext {
  scmp_filter_ctx ctx;
  ~SeccompContext() { seccomp_release(ctx); }
};

void check(int rc, const std::string& what) {
  if (rc < 0) throw_sys("seccomp: " + what, -rc);
}

}  // namespace

void install_seccomp_filter() {
  SeccompContext filter{seccomp_init(SCMP_ACT_ALLOW)};
  if (filter.ctx == nullptr) throw Error("seccomp: cannot create a filter");
  const uint32_t deny = SCMP_ACT_ERRNO(EPERM);
  for (const auto& name : denied_syscalls()) {
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    check(seccomp_rule_add(filter.ctx, deny, nr, 0), "denying " + name);
  }
  // clone: the flags are the first argument; a rule per namespace flag denies any of them.
  // (scmp_arg_cmp{...} rather than SCMP_A0: that macro is a C99 compound literal, not C++.)
  for (uint64_t flag : {CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID,
                        CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME}) {
    check(seccomp_rule_add(filter.ctx, deny, SCMP_SYS(clone), 1,
                           scmp_arg_cmp{0, SCMP_CMP_MASKED_EQ, flag, flag}),
          "filtering clone");
  }
  // TIOCSTI pushes input into a terminal: a pot holding the host's terminal (pot exec from a
  // shell) could type commands into the host shell. TIOCLINUX can do the same on a console.
  for (unsigned long request :
       {static_cast<unsigned long>(TIOCSTI), static_cast<unsigned long>(TIOCLINUX)}) {
    check(seccomp_rule_add(filter.ctx, deny, SCMP_SYS(ioctl), 1,
                           scmp_arg_cmp{1, SCMP_CMP_MASKED_EQ, 0xffffffffUL, request}),
          "filtering ioctl");
  }
  // clone3 passes its flags in memory, where a filter cannot look: refuse it with ENOSYS so
  // that libc falls back to clone, which the rule above does check.
  check(seccomp_rule_add(filter.ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0),
        "filtering clone3");
  check(seccomp_load(filter.ctx), "loading the filter");
}

}  // namespace pot
