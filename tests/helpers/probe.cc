// pot_probe: a tiny static program that integration tests copy into a pot (pot copy-in) and
// run there (pot exec, or as the pot's command) to look at the pot from the inside.
//
// Built -static against libc only (no libstdc++ use beyond what the compiler needs), so it
// runs in any base, busybox included. Every subcommand prints plain lines a test can parse.
//
//   probe syscalls        for each syscall a pot must not make: "NAME ok" or "NAME errno=N"
//   probe io_uring        the same for io_uring_setup, io_uring_enter and io_uring_register
//   probe forkbomb N      fork N children that pause(); "forked=K first_errno=E"; kill them
//   probe alloc MB        malloc+memset MB megabytes, 1 MB at a time, printing progress
//   probe write PATH      open PATH O_WRONLY and write to it: "write ok" or "open errno=N"
//   probe sleep SECONDS   sleep, then exit 0 (a long-running command that is not busybox)
//   probe exit CODE       exit with CODE
#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace {

int usage() {
  fprintf(stderr,
          "usage: probe syscalls | io_uring | forkbomb N | alloc MB | write PATH | sleep SECONDS | "
          "exit CODE\n");
  return 2;
}

// Prints "name ok" or "name errno=N" for the result of a raw syscall.
void report(const char* name, long rc, int err) {
  if (rc < 0) {
    printf("%s errno=%d\n", name, err);
  } else {
    printf("%s ok\n", name);
  }
  fflush(stdout);
}

// A raw clone/clone3 that, if it succeeds, makes a child that exits at once.
void report_fork_like(const char* name, long rc, int err) {
  if (rc == 0) _exit(0);  // the child: never return into the probe
  if (rc > 0) {
    int status = 0;
    waitpid(static_cast<pid_t>(rc), &status, 0);
  }
  report(name, rc, err);
}

// Runs fn in a forked child and waits for it; fn's output goes to the same stdout.
template <typename Fn>
void in_child(Fn fn) {
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    fn();
    fflush(stdout);
    _exit(0);
  }
  if (pid > 0) waitpid(pid, nullptr, 0);
}

// Makes the raw syscall and reports it; a returned file descriptor is closed again.
#define PROBE(name, returns_fd, ...)                            \
  do {                                                          \
    errno = 0;                                                  \
    long rc_ = syscall(__VA_ARGS__);                            \
    int err_ = errno;                                           \
    if ((returns_fd) && rc_ >= 0) close(static_cast<int>(rc_)); \
    report(name, rc_, err_);                                    \
  } while (0)

// Each call uses arguments that are harmless when the call is allowed: invalid flags, bad
// file descriptors, paths that do not exist, so that on a host without the filter the call
// fails with an errno other than EPERM (or succeeds without effect) and only a filter (or a
// missing capability) yields EPERM.
int probe_syscalls() {
  PROBE("keyctl", false, SYS_keyctl, 0 /*KEYCTL_GET_KEYRING_ID*/, -3 /*KEY_SPEC_SESSION_KEYRING*/,
        0);
  PROBE("add_key", false, SYS_add_key, nullptr, nullptr, nullptr, 0,
        -2 /*KEY_SPEC_PROCESS_KEYRING*/);
  PROBE("request_key", false, SYS_request_key, "user", "pot-probe-no-such-key", nullptr, 0);
  // Flags with an unknown architecture: rejected (EINVAL) before anything is loaded or unloaded.
  PROBE("kexec_load", false, SYS_kexec_load, 0UL, 0UL, nullptr, 0xffff0000UL);
  PROBE("init_module", false, SYS_init_module, nullptr, 0UL, "");
  PROBE("finit_module", false, SYS_finit_module, -1, "", 0);
  PROBE("delete_module", false, SYS_delete_module, "pot_probe_no_such_module", O_NONBLOCK);
  PROBE("open_by_handle_at", true, SYS_open_by_handle_at, -1, nullptr, 0);
  PROBE("bpf", false, SYS_bpf, -1, nullptr, 0);
  PROBE("perf_event_open", true, SYS_perf_event_open, nullptr, 0, -1, -1, 0);
  PROBE("userfaultfd", true, SYS_userfaultfd, O_CLOEXEC);
  PROBE("mount", false, SYS_mount, "none", "/pot-probe-no-such-dir", "tmpfs", 0UL, nullptr);
  PROBE("umount2", false, SYS_umount2, "/pot-probe-no-such-dir", 0);
  PROBE("pivot_root", false, SYS_pivot_root, "/pot-probe-no-such-dir", "/pot-probe-no-such-dir");
  // unshare changes the caller: each runs in a child of its own, so that one that is
  // allowed cannot change how the calls after it behave.
  in_child([] { PROBE("unshare", false, SYS_unshare, CLONE_NEWNS); });
  in_child([] { PROBE("unshare_newuser", false, SYS_unshare, CLONE_NEWUSER); });
  PROBE("setns", false, SYS_setns, -1, 0);

  errno = 0;
  long rc = syscall(SYS_clone, static_cast<unsigned long>(CLONE_NEWNS | SIGCHLD), 0UL, nullptr,
                    nullptr, 0UL);
  report_fork_like("clone", rc, errno);

  errno = 0;
  rc = syscall(SYS_clone, static_cast<unsigned long>(CLONE_NEWUSER | SIGCHLD), 0UL, nullptr,
               nullptr, 0UL);
  report_fork_like("clone_newuser", rc, errno);

  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_NEWUSER;
  args.exit_signal = SIGCHLD;
  errno = 0;
  rc = syscall(SYS_clone3, &args, sizeof args);
  report_fork_like("clone3", rc, errno);
  return 0;
}

// io_uring: a ring of one entry (closed again when made), and enter and register on no ring,
// which fail with EBADF where io_uring is allowed. Only a filter makes enter and register
// EPERM; setup is EPERM also where the host disables io_uring (kernel.io_uring_disabled).
int probe_io_uring() {
  struct io_uring_params params;
  memset(&params, 0, sizeof params);
  PROBE("io_uring_setup", true, SYS_io_uring_setup, 1U, &params);
  PROBE("io_uring_enter", false, SYS_io_uring_enter, -1, 0U, 0U, 0U, nullptr, 0UL);
  PROBE("io_uring_register", false, SYS_io_uring_register, -1, 0U, nullptr, 0U);
  return 0;
}

int probe_forkbomb(long count) {
  if (count <= 0 || count > 100000) return usage();
  pid_t* children = static_cast<pid_t*>(calloc(static_cast<size_t>(count), sizeof(pid_t)));
  if (children == nullptr) return 1;
  long forked = 0;
  int first_errno = 0;
  pid_t parent = getpid();
  for (long i = 0; i < count; ++i) {
    pid_t pid = fork();
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(0);
      for (;;) pause();
    }
    if (pid < 0) {
      if (first_errno == 0) first_errno = errno;
      continue;  // keep trying: a limit must hold for every attempt, not just the first
    }
    children[forked++] = pid;
  }
  printf("forked=%ld first_errno=%d\n", forked, first_errno);
  fflush(stdout);
  for (long i = 0; i < forked; ++i) kill(children[i], SIGKILL);
  for (long i = 0; i < forked; ++i) waitpid(children[i], nullptr, 0);
  free(children);
  return 0;
}

int probe_alloc(long megabytes) {
  if (megabytes <= 0) return usage();
  const size_t chunk = 1 << 20;
  for (long i = 1; i <= megabytes; ++i) {
    char* block = static_cast<char*>(malloc(chunk));
    if (block == nullptr) {
      printf("malloc failed after %ld MB\n", i - 1);
      fflush(stdout);
      return 1;
    }
    memset(block, static_cast<int>(i & 0xff) | 1, chunk);  // touch every page
    if (i % 8 == 0 || i == megabytes) {
      printf("allocated %ld MB\n", i);
      fflush(stdout);
    }
  }
  printf("done\n");
  return 0;
}

int probe_write(const char* path) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    printf("open errno=%d\n", errno);
    return 1;
  }
  static const char kText[] = "pot-probe\n";
  ssize_t n = write(fd, kText, sizeof kText - 1);
  int err = errno;
  close(fd);
  if (n < 0) {
    printf("write errno=%d\n", err);
    return 1;
  }
  printf("write ok\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const char* cmd = argv[1];
  if (strcmp(cmd, "syscalls") == 0) return probe_syscalls();
  if (strcmp(cmd, "io_uring") == 0) return probe_io_uring();
  if (argc < 3) return usage();
  if (strcmp(cmd, "forkbomb") == 0) return probe_forkbomb(strtol(argv[2], nullptr, 10));
  if (strcmp(cmd, "alloc") == 0) return probe_alloc(strtol(argv[2], nullptr, 10));
  if (strcmp(cmd, "write") == 0) return probe_write(argv[2]);
  if (strcmp(cmd, "sleep") == 0) {
    sleep(static_cast<unsigned>(strtoul(argv[2], nullptr, 10)));
    return 0;
  }
  if (strcmp(cmd, "exit") == 0) return static_cast<int>(strtol(argv[2], nullptr, 10));
  return usage();
}
