// The FreeBSD runtime: a pot's run as a jail. The start, in the original's order (facts file
// "start", share/pot/start.sh): the pot's mounts (fscomp lines, mount-ins, a multi pot's
// base, tmpfs on /tmp), its /etc/hosts and resolv.conf, `jail -c`, lo0 up in a vnet jail,
// the limits (cpuset, rctl), the network (hooks.namespaces_ready), and the command through
// jexec, whose process the monitor waits for. What a failed start made is undone before
// the error goes up. The stop removes the jail (`jail -r` with the stop timeout); remove()
// takes away the jail, its rctl rules and its mounts as the host shows them, so it also
// cleans up after a crash.
//
// Deliberate differences from the original, beyond those in jail_params.h:
// - a persistent pot's command runs under a small keeper process of the monitor's (outside
//   the jail) that reports the command's exit status and stays until the pot is stopped,
//   as the jail does: the monitor's "first process" lives as long as the pot. A
//   non-persistent pot's first process is the jexec'd command itself.
// - rctl rules are removed with the jail (the original leaves them behind).
// - /etc/hosts and resolv.conf are written without following a symlink the pot planted,
//   and a mount whose target leads out of the pot's root is refused.
// - hooks.namespaces_ready gets 0: a FreeBSD pot's network is configured by jail name.
// - cpu_shares and memory_reservation have no rctl counterpart and are not applied; the
//   memory limit has no kill counter, so oom_kills is always 0.
#pragma once

#include <memory>

#include "core/settings.h"
#include "freebsd/system_command.h"
#include "runtime/runtime.h"

namespace pot::freebsd {

// `commands` must outlive the runtime.
std::unique_ptr<Runtime> make_jail_runtime(const Settings& settings, SystemCommands& commands);

}  // namespace pot::freebsd
