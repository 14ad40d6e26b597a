// Interface names for one POT_FS_ROOT: derived from a hash of the root's tag and the
// pot or bridge name, so two roots never collide and a name always fits IFNAMSIZ.
#pragma once

#include <string>

namespace pot::net {

// "potbr" + 8 hex digits: the root's public bridge.
std::string public_bridge_interface(const std::string& root_tag);
// "potpb" + 10 hex digits: a private bridge.
std::string private_bridge_interface(const std::string& root_tag, const std::string& bridge);
// "potv" + 7 hex digits: what the host ends of a pot's veth pairs start with.
std::string pot_veth_prefix(const std::string& root_tag, const std::string& pot);
// The prefix + 4 hex digits of `run` (the init's pid): the host end of one run's veth. A
// name per run, so a start never waits for the kernel to finish removing the last run's
// veth (it goes with that run's namespace, asynchronously, in tens of milliseconds).
std::string pot_veth_interface(const std::string& root_tag, const std::string& pot, unsigned run);
// "pot_" + the root tag: the root's nftables table.
std::string firewall_table(const std::string& root_tag);

}  // namespace pot::net
