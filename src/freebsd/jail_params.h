// The command lines that make, enter and remove a pot's jail: jail(8) and jexec(8) argv built
// from a JailSpec, in the order the original pot gives them (share/pot/start.sh _js_start,
// share/pot/stop.sh _js_stop). Pure functions, unit tested; jail_runtime.cc runs them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runtime/jail_spec.h"

namespace pot::freebsd {

// The jail's name for a pot. jail(8) takes a '.' as a level of the jail hierarchy and an
// all-digit name as a jid, so dots become '_' and an all-digit name gets a "pot_" prefix;
// every other pot name is its jail's name, as in the original.
std::string jail_name_for_pot(const std::string& pot);

// `jail -c ...` for the pot. Parameters in the original's order: the fixed allow/exec/mount
// ones, then its jail attributes in the order of its attribute table (enforce_statfs, mount,
// fdescfs, linprocfs, nullfs, procfs, tmpfs, zfs, raw_sockets, sysvshm, sysvsem, sysvmsg,
// children, mlock, devfs_ruleset, exec_stop, stop_timeout), then name, host.hostname,
// osrelease (when set), path, persist, the network. spec.freebsd.enabled_attributes holds
// the names of the boolean attributes set to YES; an entry "NAME=VALUE" sets one of the
// valued ones (enforce_statfs=1, children=2, exec_stop=..., ...) instead of its default.
// `stop_timeout` is the default of stop.timeout (POT_STOP_TIMEOUT).
//
// Deliberate differences from the original: always `persist` (the jail must outlive the
// moment between `jail -c` and the jexec of the command; a non-persistent pot's jail is
// removed when its command ends, by the stop that follows), and no `exec.start` (the
// original's `sleep 1234` placeholder is not needed: the command is jexec'd and waited for).
// A pot with no network of its own and no addresses gets `vnet` alone (an empty stack, as
// a Linux pot without a network gets an empty namespace); an inherit pot gets both
// ip4=inherit and ip6=inherit (the original's dual stack).
std::vector<std::string> jail_create_argv(const JailSpec& spec, const std::string& jail_name,
                                          int stop_timeout);

// The release a pot's userland says it is, from its /bin/freebsd-version script
// (`USERLAND_VERSION="14.1-RELEASE-p5"`), as the original's _get_os_release gives jail(8)'s
// osrelease; nullopt when the script has no such line.
std::optional<std::string> userland_version(const std::string& freebsd_version_script);

// True when the jail has a network stack of its own (vnet), whose lo0 must be brought up.
bool jail_has_vnet(const JailSpec& spec);

// What `jail -f - -q -r NAME` reads on stdin to stop the jail with this timeout (the
// original's stop.sh): `NAME { stop.timeout=N; }`.
std::string jail_stop_config(const std::string& jail_name, int stop_timeout);

// `jexec [-U USER] NAME /usr/bin/env -i VAR=value... ARGV...`: the command with exactly
// `env` as its environment. A workdir other than / goes through `/bin/sh -c 'cd ...'`,
// because jexec(8) has no working-directory option before FreeBSD 14 and env(1) -C is as
// recent. pot.user's group part (NAME:GROUP) is not passed: jexec -U takes a user only, and
// the user's own groups apply.
std::vector<std::string> jexec_argv(const std::string& jail_name,
                                    const std::optional<std::string>& user,
                                    const std::vector<std::string>& env,
                                    const std::vector<std::string>& argv,
                                    const std::string& workdir = "/");

}  // namespace pot::freebsd
