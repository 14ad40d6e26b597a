#include "pot/pots.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <ctime>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/process.h"
#include "pot/flavour.h"
#include "pot/lifecycle.h"
#include "pot/run_state.h"

namespace pot {
namespace {

constexpr const char* kCreatingPrefix = ".creating.";

void make_dir(const fs::path& path) {
  if (::mkdir(path.c_str(), 0755) != 0) throw_sys("creating " + quote_name(path.string()));
}

// The pot's writable dataset: its root (single) or its overlay upper layer (multi).
fs::path writable_dataset(const Context& ctx, const std::string& name, const PotConf& conf) {
  const Settings& s = ctx.settings();
  return conf.get_or("pot.type", "single") == "multi" ? s.jail_dir(name) / "upper"
                                                      : s.root_path(name);
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

void move_pot_into_place(const Settings& settings, const fs::path& from, const fs::path& to) {
  FileLock network_lock = lock_network(settings);
  if (::rename(from.c_str(), to.c_str()) != 0) throw_sys("renaming into place");
}

fs::path creation_path(const fs::path& dir, const std::string& name) {
  pid_t pid = ::getpid();
  return dir / (std::string(kCreatingPrefix) + std::to_string(pid) + "." +
                std::to_string(process_start_time(pid).value_or(0)) + "." + name);
}

std::optional<CreationEntry> parse_creation_entry(const std::string& file) {
  if (file.rfind(kCreatingPrefix, 0) != 0) return std::nullopt;
  // .creating.<pid>.<start time>.<name>
  char* end = nullptr;
  unsigned long long pid = std::strtoull(file.c_str() + std::strlen(kCreatingPrefix), &end, 10);
  if (*end != '.') return std::nullopt;
  unsigned long long start = std::strtoull(end + 1, &end, 10);
  if (*end != '.') return std::nullopt;
  return CreationEntry{std::string(end + 1), process_alive(static_cast<pid_t>(pid), start)};
}

void remove_abandoned_creations(Context& ctx, const fs::path& dir) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    auto creation = parse_creation_entry(entry.path().filename().string());
    if (creation && !creation->creator_alive) ctx.storage().destroy(entry.path());
  }
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
    FileLock lock = lock_pot(s, name);
    if (ctx.pot_exists(name)) throw Error("pot " + quote_name(name) + " already exists");
    remove_abandoned_creations(ctx, s.jails_dir());
    fs::path tmp = creation_path(s.jails_dir(), name);
    try {
      make_dir(tmp);
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
      move_pot_into_place(s, tmp, s.jail_dir(name));
    } catch (...) {
      ctx.storage().destroy(tmp);
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
               const CloneNetwork& network) {
  ctx.storage().ensure_ready();
  ctx.require_pot(source);
  validate_name("pot", name);
  const Settings& s = ctx.settings();
  FileLock lock = lock_pot(s, name);
  if (ctx.pot_exists(name)) throw Error("pot " + quote_name(name) + " already exists");
  PotConf conf = ctx.load_conf(source);
  conf.remove("host.hostname");
  fs::path tmp = creation_path(s.jails_dir(), name);
  try {
    make_dir(tmp);
    make_dir(tmp / "conf");
    {
      FileLock network_lock = lock_network(s);
      NetworkRequest request{
          network.type.empty() ? conf.get_or("network_type", "none") : network.type,
          network.addresses, network.bridge, conf.get_or("pot.dns", "inherit")};
      if (request.bridge.empty() && request.type == "private-bridge")
        request.bridge = conf.get_or("bridge", "");
      assign_network(ctx, request, conf);
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
    move_pot_into_place(s, tmp, s.jail_dir(name));
  } catch (...) {
    ctx.storage().destroy(tmp);
    throw;
  }
}

void rename_pot(Context& ctx, const std::string& from, const std::string& to) {
  ctx.require_pot(from);
  validate_name("pot", to);
  require_stopped(ctx, from);
  const Settings& s = ctx.settings();
  // Two locks, always taken in name order, so two renames cannot deadlock.
  FileLock first = lock_pot(s, std::min(from, to));
  FileLock second = lock_pot(s, std::max(from, to));
  if (ctx.pot_exists(to)) throw Error("pot " + quote_name(to) + " already exists");
  require_stopped_locked(ctx, from);
  // Veths named after the old name (kept alive by something) would outlive the pot.
  if (is_bridge_network(ctx.load_conf(from).get_or("network_type", "none")))
    remove_pot_links(ctx, from);
  FileLock network_lock = lock_network(s);  // see move_pot_into_place
  if (::rename(s.jail_dir(from).c_str(), s.jail_dir(to).c_str()) != 0)
    throw_sys("renaming pot " + quote_name(from) + " to " + quote_name(to));
  std::error_code ec;
  fs::remove(state_path(s, from), ec);
  if (fs::exists(log_path(s, from))) fs::rename(log_path(s, from), log_path(s, to), ec);
  PotConf conf = ctx.load_conf(to);
  if (conf.get("host.hostname") == from) {
    conf.set("host.hostname", to);
    ctx.save_conf(to, conf);
  }
}

void destroy_pot(Context& ctx, const std::string& name, bool force) {
  ctx.require_pot(name);
  stop_if_running_or_refuse(ctx, name, force, " or use -F");
  const Settings& s = ctx.settings();
  FileLock lock = lock_pot(s, name);
  if (pot_is_running(ctx, name))
    throw Error("pot " + quote_name(name) + " was started again meanwhile");
  std::string group = ctx.cgroup_group(name);
  ctx.cgroups().remove(group);
  ctx.cgroups().remove_parent_if_empty(group);
  if (is_bridge_network(ctx.load_conf(name).get_or("network_type", "none")))
    remove_pot_links(ctx, name);
  ctx.storage().destroy(s.jail_dir(name));
  std::error_code ec;
  fs::remove(state_path(s, name), ec);
  fs::remove(log_path(s, name), ec);
  fs::remove(s.run_dir() / (name + ".lock"), ec);  // last, while we still hold it
}

std::vector<std::string> list_snapshots(const Context& ctx, const std::string& name) {
  std::vector<std::string> snapshots;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(ctx.settings().jail_dir(name) / "snap", ec))
    snapshots.push_back(entry.path().filename().string());
  std::sort(snapshots.begin(), snapshots.end(), [](const std::string& a, const std::string& b) {
    return std::stoull(a) < std::stoull(b);
  });
  return snapshots;
}

std::string snapshot_pot(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  FileLock lock = lock_pot(ctx.settings(), name);
  require_stopped_locked(ctx, name);
  PotConf conf = ctx.load_conf(name);
  fs::path dir = ctx.settings().jail_dir(name) / "snap";
  make_dirs(dir);
  auto stamp = static_cast<unsigned long long>(std::time(nullptr));
  while (fs::exists(dir / std::to_string(stamp))) ++stamp;
  std::string snapshot = std::to_string(stamp);
  ctx.storage().clone(writable_dataset(ctx, name, conf), dir / snapshot, /*read_only=*/true);
  return snapshot;
}

void revert_pot(Context& ctx, const std::string& name) {
  ctx.require_pot(name);
  FileLock lock = lock_pot(ctx.settings(), name);
  require_stopped_locked(ctx, name);
  remove_abandoned_creations(ctx, ctx.settings().jail_dir(name));
  auto snapshots = list_snapshots(ctx, name);
  if (snapshots.empty()) throw Error("pot " + quote_name(name) + " has no snapshot to revert to");
  PotConf conf = ctx.load_conf(name);
  fs::path dataset = writable_dataset(ctx, name, conf);
  fs::path snapshot = ctx.settings().jail_dir(name) / "snap" / snapshots.back();
  // Clone under a temporary name, move the old dataset aside, move the clone in, then drop
  // the old one: at every step the pot has a root, and leftovers carry a creation name
  // that the next revert removes.
  fs::path fresh = creation_path(ctx.settings().jail_dir(name), "revert");
  fs::path old = creation_path(ctx.settings().jail_dir(name), "replaced");
  try {
    ctx.storage().clone(snapshot, fresh, /*read_only=*/false);
    if (::rename(dataset.c_str(), old.c_str()) != 0) throw_sys("reverting " + quote_name(name));
    if (::rename(fresh.c_str(), dataset.c_str()) != 0) {
      int err = errno;
      ::rename(old.c_str(), dataset.c_str());
      throw_sys("reverting " + quote_name(name), err);
    }
  } catch (...) {
    ctx.storage().destroy(fresh);
    throw;
  }
  ctx.storage().destroy(old);
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
