// init, de-init, bases, and making, copying, listing and removing pots.
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <iostream>
#include <sstream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/file_util.h"
#include "pot/bases.h"
#include "pot/lifecycle.h"
#include "pot/pots.h"
#include "pot/run_state.h"
#include "pot/settings_ops.h"

namespace pot {
namespace {

int cmd_init(Invocation& inv) {
  Options::parse(inv.name, "v", inv.args);
  inv.ctx.storage().init();
  inv.ctx.network().init_host();
  return 0;
}

int cmd_deinit(Invocation& inv) {
  Options::parse(inv.name, "fv", inv.args);
  Context& ctx = inv.ctx;
  const fs::path& root = ctx.settings().fs_root;
  if (!fs::exists(root)) return 0;
  ctx.storage().ensure_ready();
  for (const auto& pot : list_pots(ctx)) destroy_pot(ctx, pot, /*force=*/true);
  for (const auto& base : list_bases(ctx)) ctx.storage().destroy(ctx.settings().base_path(base));
  remove_root_network(ctx);
  ctx.runtime().remove_root_leftovers(ctx.settings().root_tag());
  ctx.storage().deinit();
  for (const auto& dir :
       {ctx.settings().bases_dir(), ctx.settings().jails_dir(), ctx.settings().cache_dir(),
        ctx.settings().bridges_dir(), ctx.settings().run_dir()})
    remove_tree(dir);
  std::error_code ec;
  fs::remove(root, ec);  // only when empty: never someone else's files
  return 0;
}

int cmd_create_base(Invocation& inv) {
  Options o = Options::parse(inv.name, "vb:r:i:", inv.args);
  std::string source = o.require('r', "SOURCE");
  // A FreeBSD release names its base, as in the original: `pot create-base -r 14.1`.
  bool release = std::isdigit(static_cast<unsigned char>(source.front())) != 0;
  BaseOptions options{release ? o.get('b').value_or(source) : o.require('b', "BASE"), source, {}};
  for (const auto& list : o.all('i')) {
    std::istringstream items(list);
    std::string item;
    while (std::getline(items, item, ',')) {
      if (!item.empty()) options.packages.push_back(item);
    }
  }
  create_base(inv.ctx, options);
  return 0;
}

int cmd_create(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:b:t:f:N:i:B:d:", inv.args);
  CreateOptions options;
  options.name = o.require('p', "NAME");
  options.base = o.require('b', "BASE");
  options.type = o.get('t').value_or("single");
  options.network = NetworkRequest{o.get('N').value_or("none"), o.all('i'), o.get('B').value_or(""),
                                   o.get('d').value_or("")};
  options.flavours = o.all('f');
  create_pot(inv.ctx, options,
             [&](const std::vector<std::string>& argv) { dispatch(inv.ctx, argv); });
  return 0;
}

int cmd_clone(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:P:i:N:B:", inv.args);
  CloneNetwork network{o.get('N').value_or(""), o.all('i'), o.get('B').value_or("")};
  clone_pot(inv.ctx, o.require('P', "SOURCE"), o.require('p', "NAME"), network);
  return 0;
}

int cmd_rename(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:n:", inv.args);
  rename_pot(inv.ctx, o.require('p', "NAME"), o.require('n', "NEWNAME"));
  return 0;
}

int cmd_destroy(Invocation& inv) {
  Options o = Options::parse(inv.name, "vqFp:b:", inv.args);
  if (auto base = o.get('b')) {
    destroy_base(inv.ctx, *base);
    return 0;
  }
  destroy_pot(inv.ctx, o.require('p', "NAME"), o.has('F'));
  return 0;
}

int cmd_ls(Invocation& inv) {
  Options o = Options::parse(inv.name, "vqpbB", inv.args);
  Context& ctx = inv.ctx;
  if (o.has('B')) {
    for (const auto& bridge : list_private_bridges(ctx)) {
      if (o.has('q')) {
        std::cout << bridge.name << '\n';
        continue;
      }
      std::cout << "bridge: " << bridge.name << "\n\tnetwork: " << bridge.network4.str()
                << "\n\tgateway: " << bridge.gateway4.str();
      if (bridge.network6) std::cout << "\n\tnetwork6: " << bridge.network6->str();
      std::cout << "\n\n";
    }
    return 0;
  }
  if (o.has('b')) {
    for (const auto& base : list_bases(ctx))
      std::cout << (o.has('q') ? "" : "bases: ") << base << '\n';
    return 0;
  }
  auto pots = list_pots(ctx);
  if (o.has('q')) {
    for (const auto& pot : pots) std::cout << pot << '\n';
    return 0;
  }
  if (pots.empty()) std::cout << "No pot created yet...\n";
  for (const auto& pot : pots) {
    PotConf conf = ctx.load_conf(pot);
    std::cout << "pot name : " << pot << "\n\tnetwork : " << conf.get_or("network_type", "none")
              << "\n\tactive : " << (pot_is_running(ctx, pot) ? "true" : "false") << "\n\n";
  }
  return 0;
}

int cmd_info(Invocation& inv) {
  Options o = Options::parse(inv.name, "vqrsEp:", inv.args);
  Context& ctx = inv.ctx;
  std::string name = o.require('p', "NAME");
  if (o.has('q') || o.has('r')) {
    if (!ctx.pot_exists(name)) return 1;
    return o.has('r') && !pot_is_running(ctx, name) ? 1 : 0;
  }
  ctx.require_pot(name);
  if (o.has('s')) {
    for (const auto& snapshot : list_snapshots(ctx, name)) std::cout << snapshot << '\n';
    return 0;
  }
  PotConf conf = ctx.load_conf(name);
  RunState state = RunState::load(ctx.settings(), name);
  if (o.has('E')) {
    std::cout << "export _POT_NAME=" << name << '\n';
    if (state.running()) std::cout << "export _POT_JID=" << state.init_pid << '\n';
    return 0;
  }
  std::cout << "pot name : " << name << "\n\ttype : " << conf.get_or("pot.type", "single")
            << "\n\tbase : " << conf.get_or("pot.base", "")
            << "\n\tlevel : " << conf.get_or("pot.level", "0")
            << "\n\tnetwork_type : " << conf.get_or("network_type", "none")
            << "\n\tactive : " << (state.running() ? "true" : "false")
            << "\n\tstatus : " << to_string(state.status);
  if (auto ip = conf.get("ip")) std::cout << "\n\tip : " << *ip;
  if (auto bridge = conf.get("bridge")) std::cout << "\n\tbridge : " << *bridge;
  if (auto ports = conf.get("pot.export.ports")) std::cout << "\n\texported ports : " << *ports;
  std::cout << "\n\tattributes:";
  for (const auto& attr : known_attrs())
    std::cout << "\n\t\t" << attr.name << ": "
              << (conf.attr(attr.name, attr.default_value) ? "YES" : "NO");
  std::cout << "\n\tresource limits:\n\t\tmax amount cpus: "
            << conf.get_or("pot.rss.cpus", "unlimited")
            << "\n\t\tmax amount memory: " << conf.get_or("pot.rss.memory", "unlimited")
            << "\n\t\tmax processes: " << conf.get_or("pot.rss.pids", "unlimited");
  auto snapshots = list_snapshots(ctx, name);
  std::cout << "\n\tsnapshots:";
  if (snapshots.empty()) std::cout << "\n\t\tno snapshots";
  for (const auto& snapshot : snapshots) std::cout << "\n\t\t" << snapshot;
  std::cout << "\n\n";
  return 0;
}

int cmd_snapshot(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:", inv.args);
  std::cout << snapshot_pot(inv.ctx, o.require('p', "NAME")) << '\n';
  return 0;
}

int cmd_revert(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:", inv.args);
  revert_pot(inv.ctx, o.require('p', "NAME"));
  return 0;
}

}  // namespace

void register_pot_commands(std::vector<Command>& table) {
  table.insert(
      table.end(),
      {
          {"init", "", "prepare POT_FS_ROOT (a btrfs pool when the root is not btrfs)", cmd_init},
          {"de-init", "", "remove every pot, base, mount and file pot made under POT_FS_ROOT",
           cmd_deinit},
          {"create-base", "-b BASE -r busybox|debian:SUITE|tar:PATH|RELEASE [-i PKG,...]",
           "create a base (RELEASE: a FreeBSD release such as 14.1, on FreeBSD)", cmd_create_base},
          {"create",
           "-p NAME -b BASE [-t single|multi] [-N TYPE] [-i auto|ADDR]... [-B BRIDGE] "
           "[-d DNS] [-f FLAVOUR]...",
           "create a pot (TYPE: none, inherit, alias, public-bridge, private-bridge)", cmd_create},
          {"clone", "-P SOURCE -p NAME [-N TYPE] [-i auto|ADDR]... [-B BRIDGE]", "clone a pot",
           cmd_clone},
          {"rename", "-p NAME -n NEWNAME", "rename a stopped pot", cmd_rename},
          {"destroy", "-p NAME [-F] | -b BASE", "destroy a pot (-F: stop it first) or a base",
           cmd_destroy},
          {"ls", "[-q] [-b|-B]", "list pots (or bases, or private bridges)", cmd_ls},
          {"list", "[-q] [-b|-B]", "list pots (or bases, or private bridges)", cmd_ls},
          {"info", "-p NAME [-q|-r|-s|-E]", "show a pot", cmd_info},
          {"snapshot", "-p NAME", "snapshot a stopped pot", cmd_snapshot},
          {"snap", "-p NAME", "snapshot a stopped pot", cmd_snapshot},
          {"revert", "-p NAME", "roll a stopped pot back to its last snapshot", cmd_revert},
          {"rollback", "-p NAME", "roll a stopped pot back to its last snapshot", cmd_revert},
      });
}

}  // namespace pot
