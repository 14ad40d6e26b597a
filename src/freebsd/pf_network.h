// The FreeBSD network: bridges and epairs through ifconfig(8), NAT and exported ports in the
// pf anchors the original uses (pot-nat, pot-rdr/<pot>), through pfctl(8). As the original's
// vnet-start and start.sh (facts file, start steps 3 and 4), with these deliberate
// differences:
// - the bridge is renamed to the name the pot layer gives it (BridgeSpec::interface), after
//   it is found by its gateway address (so the original's bridge0 is taken over) or
//   created; the pot-nat anchor carries one rule per bridge network, rewritten as bridges
//   come and go (the original writes POT_NETWORK once and never removes it);
// - a pot's epair host side is named from the root, the pot and the run (interface_names.h),
//   not from the time and the shell's pid, so remove_pot_links finds it again by prefix;
// - the pot's interface is configured from outside with `jexec NAME ifconfig/route`, for
//   every pot alike (the original writes rc.conf for rc pots and a script for the others);
//   lo0 is brought up by the runtime for every vnet jail (jail_runtime.cc);
// - exported ports also get a rule on lo0, for the host's own localhost (pf_rules.h says
//   where that stops working), instead of the original's ncat tunnel;
// - IPv6 bridge networks are given their address and forwarding but no NAT; isolated
//   (private) bridges get no filter rules keeping them apart (the original has none either:
//   that needs a filter anchor in pf.conf).
#pragma once

#include <memory>

#include "core/settings.h"
#include "freebsd/system_command.h"
#include "net/network_backend.h"

namespace pot::freebsd {

// `commands` must outlive the backend.
std::unique_ptr<net::NetworkBackend> make_pf_network(const Settings& settings,
                                                     SystemCommands& commands);

}  // namespace pot::freebsd
