// The project's own nftables table: NAT for pot bridges, the firewall that keeps private
// bridges apart, and exported ports. Commands go through libnftables, loaded on first use
// so the commands that never touch the firewall do not pay for it. One call is one
// transaction: it all applies or nothing does.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"
#include "net/port_spec.h"

namespace pot::net {

struct BridgeRules {
  std::string bridge;                 // interface name
  IpNetwork network4;                 // its IPv4 network
  std::optional<IpNetwork> network6;  // its IPv6 network, if any
  bool isolated = false;              // private bridge: nothing from elsewhere gets in
};

// nft command text, pure functions (unit tested). `table` is the table's name; the
// family is always inet.
std::string nft_setup_table(const std::string& table);  // idempotent: base chains, sets, maps
std::string nft_add_bridge(const std::string& table, const BridgeRules& bridge);
std::string nft_remove_bridge(const std::string& table, const BridgeRules& bridge);
std::string nft_add_forwards(const std::string& table, const std::vector<PortForward>& forwards);
// Removes them even when some are already gone.
std::string nft_remove_forwards(const std::string& table, const std::vector<PortForward>& forwards);
std::string nft_delete_table(const std::string& table);  // no error when missing

// The name of the empty set that marks the version of the table's rules.
extern const char* const kRulesetMarker;
// True when a JSON `list table` output shows this version's rules and `bridge`'s elements,
// so the setup need not run again.
bool nft_bridge_current(const std::string& table_listing, const std::string& bridge);

// A libnftables context in the caller's network namespace.
class Nftables {
 public:
  Nftables();  // throws Error when libnftables cannot be loaded
  ~Nftables();
  Nftables(const Nftables&) = delete;
  Nftables& operator=(const Nftables&) = delete;

  // Runs `commands` as one transaction; throws Error with nft's message on one line.
  void run(const std::string& commands);
  // Runs a list command and returns its JSON output.
  std::string list_json(const std::string& command);
  bool table_exists(const std::string& table);

 private:
  void* context_ = nullptr;
};

}  // namespace pot::net
