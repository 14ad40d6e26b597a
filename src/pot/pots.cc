#include "pot/pots.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/number.h"
#include "core/process.h"
#include "pot/flavour.h"
#include "pot/leftovers.h"
#include "pot/lifecycle.h"
#include "pot/run_state.h"

namespace pot {
namespace {

void make_dir(const fs::path& path) {
  if (::mkdir(path.c_str(), 0755) != 0) throw_sys("creating " + quote_name(path.string()));
}

}  // namespace

PotConf new_pot_conf(const std::string& type, const std::string& base) {
  PotConf conf;
  conf.set("pot.level", type == "single" ? "0" : "1");
  conf.set("pot.type", type);
  conf.set("pot.base", base);
  conf.set("pot.potbase", "");
  conf.set("pot.dns", "inherit");
  for (const auto& attr : known_attrs()) {
    if (attr.name == "early-start-at-boot" || attr.name == "localhost-tunnel" ||
        attr.name == "no-etc-hosts")
      continue;  // the original leaves these unset until asked
    conf.set_attr(attr.name, attr.default_value);
  }
  conf.set("pot.stack", "ipv4");
  return conf;
}

namespace {

void stop_if_running_or_refuse(Context& ctx, const std::string& name, bool force,
                               const char* what) {
  if (!refresh_pot_state(ctx, name)) return;
  if (!force) throw Error("pot " + quote_name(name) + " is running: stop it first" + what);
  stop_pot(ctx, name);
}

// With the pot's lock held: refuses a running pot (a stale state counts as stopped).
void require_stopped_locked(Context& ctx, const std::string& name) {
  if (pot_is_running(ctx, name))
    throw Error("pot " + quote_name(name) + " is running: stop it first");
}

void require_stopped(Context& ctx, const std::string& name) {
  if (refresh_pot_state(ctx, name))
    throw Error("pot " + quote_name(name) + " is running: stop it first");
}

}  // namespace

void move_pot_into_place(Context& ctx, const fs::path& from, const fs::path& to) {
  FileLock network_lock = lock_network(ctx.settings());
  with_context("renaming into place", [&] { ctx.storage().rename(from, to); });
}

void create_pot(Context& ctx, const CreateOptions& options,
                const FlavourCommandRunner& run_command) {
  const std::string& name = options.name;
  validate_name("pot", name);
  if (options.type != "single" && options.type != "multi")
    throw Error("invalid pot type " + quote_name(options.type) + ": expected single or multi");
  validate_network_type(options.network.type);
  ctx.storage().ensure_ready();
  ctx.require_base(options.base);
  std::vector<Flavour> flavours;
  for (const auto& flavour : options.flavours)
    flavours.push_back(find_flavour(ctx.settings(), flavour));

  const Settings& s = ctx.settings();
  {
    FileLock lock = lock_new_pot(s, name);
    if (ctx.pot_exists(name)) throw Error("pot " + quote_name(name) + " already exists");
    remove_abandoned_pots(ctx, name);
    fs::path tmp = creation_path(s.jails_dir(), name);
    try {
      ctx.storage().create_jail_dir(tmp);
      make_dir(tmp / "conf");
      PotConf conf = new_pot_conf(options.type, options.base);
      {
        // Saved under the lock: the next allocation sees this pot's addresses.
        FileLock network_lock = lock_network(s);
        assign_network(ctx, options.network, conf);
        conf.save(tmp / "conf" / "pot.conf");
      }
      if (options.type == "single") {
        ctx.storage().clone(s.base_path(options.base), tmp / "m", /*read_only=*/false);
      } else {
        make_dir(tmp / "m");
        ctx.storage().create(tmp / "upper");
        make_dir(tmp / "upper" / "root");
        make_dir(tmp / "upper" / "work");
      }
      move_pot_into_place(ctx, tmp, s.jail_dir(name));
    } catch (...) {
      ctx.storage().destroy(tmp);
      remove_pot_lock_file(s, name);  // no pot came of it
      throw;
    }
  }
  try {
    for (const auto& flavour : flavours) apply_flavour(ctx, name, flavour, run_command);
  } catch (const Error& e) {
    destroy_pot(ctx, name, /*force=*/true);
    throw e.wrapped("creating pot " + quote_name(name));
  }
}

void clone_pot(Context& ctx, const std::string& source, const std::string& name,
               const CloneNetwork& network, const std::function<void(PotConf&)>& finish_conf) {
  ctx.storage().ensure_ready();
  ctx.require_pot(source);
  validate_name("pot", name);
  const Settings& s = ctx.settings();
  FileLock lock = lock_new_pot(s, name);
  if (ctx.pot_exists(name)) throw Error("pot " + quote_name(name) + " already exists");
  remove_abandoned_pots(ctx, name);
  PotConf conf = ctx.load_conf(source);
  // Its fscomp.conf names the source's own datasets; the original clones multi pots through
  // snapshots of each (not done here).
  if (ctx.platform_name() == "freebsd" && conf.get_or("pot.type", "single") == "multi")
    throw Error("cloning multi pot " + quote_name(source) + ": not supported on FreeBSD");
  conf.remove("host.hostname");
  fs::path tmp = creation_path(s.jails_dir(), name);
  try {
    ctx.storage().create_jail_dir(tmp);
    make_dir(tmp / "conf");
    {
      FileLock network_lock = lock_network(s);
      NetworkRequest request{
          network.type.empty() ? conf.get_or("network_type", "none") : network.type,
          network.addresses, network.bridge, conf.get_or("pot.dns", "inherit")};
      if (request.bridge.empty() && request.type == "private-bridge")
        request.bridge = conf.get_or("bridge", "");
      assign_network(ctx, request, conf);
      if (finish_conf) finish_conf(conf);
      conf.save(tmp / "conf" / "pot.conf");
    }
    if (conf.get_or("pot.type", "single") == "multi") {
      make_dir(tmp / "m");
      ctx.storage().clone(s.jail_dir(source) / "upper", tmp / "upper", false);
    } else {
      ctx.storage().clone(s.root_path(source), tmp / "m", false);
    }
    if (auto fscomp = read_file_if_exists(s.jail_dir(source) / "conf" / "fscomp.conf"))
      write_file_atomic(tmp / "conf" / "fscomp.conf", *fscomp);
    move_pot_into_place(ctx, tmp, s.jail_dir(name));
  } catch (...) {
    ctx.storage().destroy(tmp);
    remove_pot_lock_file(s, name);  // no pot came of it
    throw;
  }
}

void rename_pot(Context& ctx, const std::string& from, const std::string& to) {
  ctx.require_pot(from);
  validate_name("pot", to);
  require_stopped(ctx, from);
  const Settings& s = ctx.settings();
  // Two locks, always taken in name order, so two renames cannot deadlock.
  FileLock first = from < to ? lock_pot(s, from) : lock_new_pot(s, to);
  FileLock second = from < to ? lock_new_pot(s, to) : lock_pot(s, from);
  if (ctx.pot_exists(to)) throw Error("pot " + quote_name(to) + " already exists");
  require_stopped_locked(ctx, from);
  // Veths named after the old name (kept alive by something) would outlive the pot.
  PotConf conf = ctx.load_conf(from);
  if (is_bridge_network(conf.get_or("network_type", "none"))) remove_pot_links(ctx, from);
  // The hostname first: a kill before the rename leaves pot `from` whole, and running the
  // rename again finishes it. The directory's rename is the one step that makes it `to`.
  if (conf.get("host.hostname") == from) {
    conf.set("host.hostname", to);
    ctx.save_conf(from, conf);
  }
  {
    FileLock network_lock = lock_network(s);  // see move_pot_into_place
    with_context("renaming pot " + quote_name(from) + " to " + quote_name(to),
                 [&] { ctx.storage().rename(s.jail_dir(from), s.jail_dir(to)); });
  }
  std::error_code ec;
  if (fs::exists(log_path(s, from))) fs::rename(log_path(s, from), log_path(s, to), ec);
  remove_run_files(s, from);  // its state among them
  remove_pot_lock_file(s, from);
}

void destroy_pot(Context& ctx, const std::string& name, bool force) {
  validate_name("pot", name);
  ctx.storage().ensure_ready();
  const Settings& s = ctx.settings();
  if (!ctx.pot_exists(name)) {
    // A destroy killed after its first step left the pot hidden, not gone: finish it.
    FileLock lock = lock_new_pot(s, name);
    bool finished = remove_abandoned_pots(ctx, name);
    if (!ctx.pot_exists(name)) {
      remove_pot_lock_file(s, name);
      if (finished) return;
      throw Error("pot " + quote_name(name) + " not found");
    }
  }
  stop_if_running_or_refuse(ctx, name, force, " or use -F");
  FileLock lock = lock_pot(s, name);
  if (pot_is_running(ctx, name))
    throw Error("pot " + quote_name(name) + " was started again meanwhile");
  // What the pot made on the host first, while the pot is still there to destroy again.
  ctx.runtime().remove_monitor_leftovers(s.root_tag(), name, /*for_destroy=*/true);
  if (is_bridge_network(ctx.load_conf(name).get_or("network_type", "none")))
    remove_pot_links(ctx, name);
  // Then the pot goes in one step (a rename to a hidden name, under the network lock so an
  // address scan sees it or not), and what is left is removed; after a kill from here on,
  // the next destroy of this name, or any create, finishes the removal.
  fs::path hidden = destruction_path(s.jails_dir(), name);
  {
    FileLock network_lock = lock_network(s);
    with_context("destroying pot " + quote_name(name),
                 [&] { ctx.storage().rename(s.jail_dir(name), hidden); });
  }
  // The lock file before the dataset: the hidden entry is removed last of all, so a kill
  // at any point before the end leaves it for the next destroy of this name to find.
  remove_run_files(s, name);
  remove_pot_lock_file(s, name);  // while we still hold it
  ctx.storage().destroy(hidden);
  remove_abandoned_pots(ctx, name);
}

std::vector<std::string> list_snapshots(const Context& ctx, const std::string& name) {
  return ctx.storage().snapshots(ctx.settings().jail_dir(name));
}

std::string snapshot_pot(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  FileLock lock = lock_pot(ctx.settings(), name);
  require_stopped_locked(ctx, name);
  auto existing = list_snapshots(ctx, name);
  auto stamp = static_cast<unsigned long long>(std::time(nullptr));
  while (std::find(existing.begin(), existing.end(), std::to_string(stamp)) != existing.end())
    ++stamp;
  std::string snapshot = std::to_string(stamp);
  with_context("snapshotting " + quote_name(name),
               [&] { ctx.storage().snapshot(ctx.settings().jail_dir(name), snapshot); });
  return snapshot;
}

void revert_pot(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  FileLock lock = lock_pot(ctx.settings(), name);
  require_stopped_locked(ctx, name);
  auto snapshots = list_snapshots(ctx, name);
  if (snapshots.empty()) throw Error("pot " + quote_name(name) + " has no snapshot to revert to");
  with_context("reverting " + quote_name(name),
               [&] { ctx.storage().rollback(ctx.settings().jail_dir(name), snapshots.back()); });
}

std::vector<std::string> list_pots(const Context& ctx) {
  std::vector<std::string> pots;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.settings().jails_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (is_valid_name(name) && ctx.pot_exists(name)) pots.push_back(name);
  }
  std::sort(pots.begin(), pots.end());
  return pots;
}

}  // namespace pot
