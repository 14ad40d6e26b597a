// Making, copying, renaming and removing pots, and their snapshots.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "pot/context.h"

namespace pot {

struct CreateOptions {
  std::string name;
  std::string base;
  std::string type = "single";   // single | multi
  std::string network = "none";  // none (own namespace, lo only) | inherit
  std::vector<std::string> flavours;
};

// Runs one flavour command line (argv of a pot command, `-p <pot>` already added).
using FlavourCommandRunner = std::function<void(const std::vector<std::string>&)>;

// Creates the pot in a hidden temporary directory and renames it into place, so a failed
// or killed create never leaves a half-made pot; a failing flavour removes the pot again.
void create_pot(Context& ctx, const CreateOptions& options,
                const FlavourCommandRunner& run_command);
void clone_pot(Context& ctx, const std::string& source, const std::string& name);
void rename_pot(Context& ctx, const std::string& from, const std::string& to);
void destroy_pot(Context& ctx, const std::string& name, bool force);

// Snapshots are named by their creation time in seconds, as the original's ZFS snapshots.
std::string snapshot_pot(Context& ctx, const std::string& name);
void revert_pot(Context& ctx, const std::string& name);
std::vector<std::string> list_snapshots(const Context& ctx, const std::string& name);

std::vector<std::string> list_pots(const Context& ctx);

// Removes hidden temporary directories whose creating process is gone.
void remove_abandoned_creations(Context& ctx, const fs::path& dir);
// A hidden temporary path in `dir` for `name`, owned by this process.
fs::path creation_path(const fs::path& dir, const std::string& name);

}  // namespace pot
