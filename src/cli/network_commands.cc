// Commands about bridges and what pots expose: create-private-bridge, vnet-start,
// vnet-stop, show.
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/number.h"
#include "net/port_spec.h"
#include "pot/lifecycle.h"
#include "pot/network.h"
#include "pot/pots.h"

namespace pot {
namespace {

int cmd_create_private_bridge(Invocation& inv) {
  Options o = Options::parse(inv.name, "vB:S:", inv.args);
  std::string name = o.require('B', "NAME");
  std::string size = o.require('S', "HOSTS");
  std::optional<uint64_t> hosts = to_unsigned(size);
  if (!hosts || *hosts == 0 || *hosts > (1U << 20))
    throw Error("bridge size -S " + quote_name(size) + ": expected 1 to 1048576 hosts");
  create_private_bridge(inv.ctx, name, *hosts);
  return 0;
}

int cmd_vnet_start(Invocation& inv) {
  Options o = Options::parse(inv.name, "vB:", inv.args);
  vnet_start(inv.ctx, o.get('B').value_or(""));
  return 0;
}

int cmd_vnet_stop(Invocation& inv) {
  Options o = Options::parse(inv.name, "vB:", inv.args);
  vnet_stop(inv.ctx, o.get('B').value_or(""));
  return 0;
}

// The original's `pot show`: what running pots (or one pot) use, ports included.
int cmd_show(Invocation& inv) {
  Options o = Options::parse(inv.name, "vqp:", inv.args);
  Context& ctx = inv.ctx;
  std::vector<std::string> pots;
  if (auto name = o.get('p')) {
    ctx.require_pot(*name);
    pots.push_back(*name);
  } else {
    for (const auto& pot : list_pots(ctx))
      if (pot_is_running(ctx, pot)) pots.push_back(pot);
  }
  for (const auto& pot : pots) {
    PotConf conf = ctx.load_conf(pot);
    std::cout << "pot " << pot << "\n\tnetwork_type: " << conf.get_or("network_type", "none");
    if (auto ip = conf.get("ip")) std::cout << "\n\tip: " << *ip;
    if (auto bridge = conf.get("bridge")) std::cout << "\n\tbridge: " << *bridge;
    for (const auto& port : net::parse_port_exports(conf.get_or("pot.export.ports", ""))) {
      std::cout << "\n\tport: " << port.protocol << " host "
                << port.host_port.value_or(port.pot_port) << " -> pot " << port.pot_port;
    }
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

void register_network_commands(std::vector<Command>& table) {
  table.insert(
      table.end(),
      {
          {"create-private-bridge", "-B NAME -S HOSTS",
           "make a private bridge with room for HOSTS pots", cmd_create_private_bridge},
          {"vnet-start", "[-B BRIDGE]", "bring up the public bridge (or a private one)",
           cmd_vnet_start},
          {"vnet-stop", "[-B BRIDGE]", "take down a bridge no running pot uses", cmd_vnet_stop},
          {"show", "[-p NAME]", "show the addresses and ports of running pots (or one pot)",
           cmd_show},
      });
}

}  // namespace pot
