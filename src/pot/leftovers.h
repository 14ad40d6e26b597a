// Finishing what a killed command left of its hidden work entries (core/work_entries.h):
// create, clone, import, revert, snapshot and export build under `.creating.` names; destroy
// renames a pot to a `.destroying.` name first (the pot is gone in that one step). The next
// command that sweeps the directory removes the entries whose process is gone.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/file_util.h"
#include "core/work_entries.h"
#include "pot/context.h"

namespace pot {

// The pot.conf of every pot, and of every pot a live command is making (it holds its
// addresses and host ports already; one being destroyed holds them no more), by pot name.
// What allocation of addresses and host ports must treat as taken.
std::vector<std::pair<std::string, PotConf>> confs_of_pots_and_creations(const Context& ctx);

// Removes the abandoned entries of `dir` (datasets or files); returns the names they were for.
std::vector<std::string> remove_abandoned_entries(Context& ctx, const fs::path& dir);

// Sweeps jails/: removes abandoned entries and, for each pot name they were for that is not
// a pot (any more), its run files (state, logs, lock), unless another command holds its
// lock. `locked_pot` is a name whose lock the caller holds: its lock file stays. Returns
// true when something was left for `locked_pot` (a killed destroy of it, say).
bool remove_abandoned_pots(Context& ctx, const std::string& locked_pot = {});

}  // namespace pot
