// The monitor's own control groups. A process started by a service lives in that service's
// cgroups, and stopping the service (systemd, a CI job, a Nomad client) kills every process
// in them. A persistent pot must live until `pot stop`, so its monitor moves itself into
// `pot-<tag>/.monitors/<pot>` in every cgroup hierarchy mounted (each v1 controller,
// name=systemd, the v2 tree), before it clones the pot's init, which starts out there too.
// (`.monitors` can never be a pot's group: pot names do not start with a dot.)
#pragma once

#include <string>
#include <vector>

namespace pot {

std::string monitor_group_name(const std::string& root_tag, const std::string& pot);

// Moves the calling process into the group in every hierarchy (made as needed).
void join_monitor_groups(const std::string& group);
// At the monitor's end: moves the calling process to each hierarchy's root and removes
// the groups.
void leave_monitor_groups(const std::string& group);
// Removes the groups of a monitor that is gone (killed), and `.monitors` when it was the
// last; missing is fine. For a destroy: `and_root_group` removes `pot-<tag>` too when
// nothing else is left in it, and `kill_members` first kills a monitor still in its group
// (one whose stop was killed, waiting for the lock the destroy holds: the pot it would
// finish is going away).
void remove_monitor_groups(const std::string& group, bool and_root_group = false,
                           bool kill_members = false);

// At de-init: `pot-<tag>/.monitors`, `pot-<tag>/.pots` and `pot-<tag>` where they are empty,
// in every hierarchy.
void remove_root_monitor_groups(const std::string& root_tag);

}  // namespace pot
