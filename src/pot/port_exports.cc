// `pot export-ports`: checking the specs and picking free host ports.
#include <cstdio>
#include <map>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "net/port_spec.h"
#include "pot/leftovers.h"
#include "pot/network.h"
#include "pot/pots.h"
#include "pot/run_state.h"

namespace pot {

namespace {

constexpr uint16_t kFirstAutoPort = 30000;  // host ports pot picks: 30000-32767
constexpr uint16_t kLastAutoPort = 32767;

std::string port_key(const std::string& protocol, uint16_t port) {
  return protocol + ":" + std::to_string(port);
}

// Host ports other pots export (theirs even while they are stopped, and those of pots being
// made: a parallel prepare picks its ports before its pot is in place), and which pot has
// each.
std::map<std::string, std::string> ports_of_other_pots(Context& ctx, const std::string& pot) {
  std::map<std::string, std::string> taken;
  for (const auto& [other, conf] : confs_of_pots_and_creations(ctx)) {
    if (other == pot) continue;
    for (const auto& port : net::parse_port_exports(conf.get_or("pot.export.ports", "")))
      taken[port_key(port.protocol, port.host_port.value_or(port.pot_port))] = other;
  }
  return taken;
}

}  // namespace

void export_ports(Context& ctx, const std::string& pot, const std::vector<std::string>& specs) {
  for (const auto& spec : specs) net::PortExport::parse(spec);  // bad input: before any lock
  ctx.require_pot(pot);
  // The pot's lock, then the network lock (the order every command takes them in), both
  // held until pot.conf is saved: a parallel export cannot pick the same free port.
  FileLock pot_lock = lock_pot(ctx.settings(), pot);
  FileLock network_lock = lock_network(ctx.settings());
  PotConf conf = ctx.load_conf(pot);
  assign_exported_ports(ctx, pot, conf, specs);
  ctx.save_conf(pot, conf);
}

void assign_exported_ports(Context& ctx, const std::string& pot, PotConf& conf,
                           const std::vector<std::string>& specs) {
  std::vector<net::PortExport> exports;
  for (const auto& spec : specs) exports.push_back(net::PortExport::parse(spec));
  std::string type = conf.get_or("network_type", "none");
  // As the original: recorded all the same (a note, not an error), and ignored at start.
  if (!is_bridge_network(type))
    std::fprintf(stderr,
                 "pot: note: pot %s has network type %s: only public-bridge and private-bridge "
                 "pots export ports; recorded, ignored at start\n",
                 quote_name(pot).c_str(), type.c_str());
  std::map<std::string, std::string> taken = ports_of_other_pots(ctx, pot);
  for (auto& port : exports) {
    if (port.host_port) {
      std::string key = port_key(port.protocol, *port.host_port);
      if (auto owner = taken.find(key); owner != taken.end())
        throw Error("host port " + key + " is already exported by " +
                    (owner->second.empty() ? std::string("this command")
                                           : "pot " + quote_name(owner->second)));
      if (!ctx.network().host_port_free(port.protocol, *port.host_port))
        throw Error("host port " + key + " is in use on the host");
    } else {
      for (uint32_t candidate = kFirstAutoPort; candidate <= kLastAutoPort; ++candidate) {
        auto host_port = static_cast<uint16_t>(candidate);
        if (taken.count(port_key(port.protocol, host_port)) == 0 &&
            ctx.network().host_port_free(port.protocol, host_port)) {
          port.host_port = host_port;
          break;
        }
      }
      if (!port.host_port) throw Error("no free host port left for " + port.str());
    }
    taken[port_key(port.protocol, *port.host_port)] = "";  // given twice in this command
  }
  conf.set("pot.export.ports", net::format_port_exports(exports));
}

}  // namespace pot
