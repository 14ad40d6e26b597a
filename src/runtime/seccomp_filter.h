// The system calls a pot may not make. The filter is a deny list on top of the capability
// cut: calls that reach kernel surfaces a pot has no business with (keys, modules, kexec,
// bpf, perf, userfaultfd), and calls that would let it rearrange its own isolation (mount,
// pivot_root, unshare, setns, clone with namespace flags), and the terminal ioctls that
// inject input (TIOCSTI, TIOCLINUX). Denied calls fail with EPERM.
#pragma once

#include <string>
#include <vector>

namespace pot {

// Names of the calls that always fail inside a pot.
const std::vector<std::string>& denied_syscalls();

// Loads the filter into the calling process (requires no_new_privs or CAP_SYS_ADMIN).
void install_seccomp_filter();

}  // namespace pot
