// Interface names for one POT_FS_ROOT: derived from a hash of the root's tag and the
// pot or bridge name, so two roots never collide and a name always fits IFNAMSIZ.
#pragma once

#include <string>

namespace pot::net {

// "potbr" + 8 hex digits: the root's public bridge.
std::string public_bridge_interface(const std::string& root_tag);
// "potpb" + 10 hex digits: a private bridge.
std::string private_bridge_interface(const std::string& root_tag, const std::string& bridge);
// "potv" + 10 hex digits: the host end of a pot's veth pair.
std::string pot_veth_interface(const std::string& root_tag, const std::string& pot);
// "pot_" + the root tag: the root's nftables table.
std::string firewall_table(const std::string& root_tag);

}  // namespace pot::net
