// Hidden work entries, and finishing what a killed command left of them.
//
// Every step that makes or unmakes a pot, base, snapshot or image file in one go works under
// a hidden name in the same directory and renames, so a reader (or a kill) sees it whole or
// not at all:
//   `.creating.<pid>.<start>.<name>`    create, clone, import, revert, snapshot, export build
//                                       here and rename into place when complete;
//   `.destroying.<pid>.<start>.<name>`  destroy renames a pot here first (the pot is gone in
//                                       that one step) and then removes it.
// The pid and its kernel start time name the process at work; an entry whose process is gone
// was abandoned, and the next command that sweeps the directory removes it.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/file_util.h"
#include "pot/context.h"

namespace pot {

struct CreationEntry {
  std::string name;
  bool creator_alive = false;
  bool destroying = false;  // a `.destroying.` entry: what it holds is no longer a pot
};
std::optional<CreationEntry> parse_creation_entry(const std::string& file);

// A hidden path in `dir` for `name`, owned by this process.
fs::path creation_path(const fs::path& dir, const std::string& name);
fs::path destruction_path(const fs::path& dir, const std::string& name);

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
