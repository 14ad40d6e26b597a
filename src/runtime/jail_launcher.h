// Bringing a pot up: the cgroup, then a child cloned into new mount, PID, UTS, IPC (and,
// unless inherited, network) namespaces that joins the cgroup, unshares a cgroup namespace,
// builds the root (root_mounts.h), drops privileges and becomes the pot's init. The caller
// learns "running" or the reason it is not through a pipe, so a failed start returns a
// precise error and leaves no process and no cgroup behind.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/process.h"
#include "core/unique_fd.h"
#include "runtime/cgroup.h"
#include "runtime/jail_spec.h"
#include "runtime/running_jail.h"

namespace pot {

// Starts the pot. On success the caller is the parent of init and must reap it (see
// wait_jail). Throws Error (after removing what it made) on failure.
RunningJail launch_jail(const JailSpec& spec, CgroupManager& cgroups,
                        const NamespacesReady& namespaces_ready = nullptr);

// Runs argv inside the running pot whose init is `jail` (same namespaces, cgroup,
// capabilities and seccomp filter as the pot's own processes) and returns its exit code.
// With `terminal_fd` (a pty slave of the pot's devpts) the command runs in a session of its
// own with it as stdio and controlling terminal, and `while_running` is called once the
// command runs (to relay the terminal). With `user` (pot.user) the command runs as that
// user of the pot, and gets its HOME, USER and LOGNAME unless `env` sets them.
int run_in_jail(const RunningJail& jail, const std::vector<std::string>& cgroup_dirs,
                const std::vector<std::string>& argv, std::vector<std::string> env,
                const std::optional<std::string>& user, bool own_network, int terminal_fd = -1,
                const std::function<void()>& while_running = nullptr);

}  // namespace pot
