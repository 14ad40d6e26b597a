// Making, copying, renaming and removing pots, and their snapshots.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pot/context.h"
#include "pot/network.h"

namespace pot {

struct CreateOptions {
  std::string name;
  std::string base;
  std::string type = "single";  // single | multi
  NetworkRequest network;       // -N, -i, -B, -d (network.h)
  std::vector<std::string> flavours;
};

// The pot.conf a new pot starts from, before its network is assigned: the original's keys
// and attribute defaults for a pot of `type` (single or multi) on `base`.
PotConf new_pot_conf(const std::string& type, const std::string& base);

// Runs one flavour command line (argv of a pot command, `-p <pot>` already added).
using FlavourCommandRunner = std::function<void(const std::vector<std::string>&)>;

// Creates the pot in a hidden temporary directory and renames it into place, so a failed
// or killed create never leaves a half-made pot; a failing flavour removes the pot again.
void create_pot(Context& ctx, const CreateOptions& options,
                const FlavourCommandRunner& run_command);
// What a clone changes of its source's network (the original's clone -N/-i/-B); an empty
// field keeps the source's. The clone always gets addresses of its own: `addresses`, or new
// ones picked as create does.
struct CloneNetwork {
  std::string type;
  std::vector<std::string> addresses;
  std::string bridge;
};
// `finish_conf`, when given, completes the clone's pot.conf before the clone exists (under
// the network lock): a prepare that is killed leaves no half-prepared pot.
void clone_pot(Context& ctx, const std::string& source, const std::string& name,
               const CloneNetwork& network = {},
               const std::function<void(PotConf&)>& finish_conf = nullptr);
void rename_pot(Context& ctx, const std::string& from, const std::string& to);
void destroy_pot(Context& ctx, const std::string& name, bool force);

// Snapshots are named by their creation time in seconds, as the original's ZFS snapshots.
std::string snapshot_pot(Context& ctx, const std::string& name);
void revert_pot(Context& ctx, const std::string& name);
std::vector<std::string> list_snapshots(const Context& ctx, const std::string& name);

std::vector<std::string> list_pots(const Context& ctx);

// Renames a finished creation directory to jails/<pot>, under the network lock (a scan of
// the pots' addresses, which holds that lock, could otherwise miss a directory mid-rename).
void move_pot_into_place(Context& ctx, const fs::path& from, const fs::path& to);

}  // namespace pot
