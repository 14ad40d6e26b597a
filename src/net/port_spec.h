// Exported ports as pot writes them: `[tcp:|udp:]POT_PORT[:HOST_PORT]`, the original's
// meaning (`80:3000` sends host port 3000 to the pot's port 80).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "net/ip_address.h"

namespace pot::net {

// A host port redirected to a pot's address and port (nftables on Linux, a pf rdr rule on
// FreeBSD).
struct PortForward {
  std::string protocol;    // "tcp" or "udp"
  uint16_t host_port = 0;  // on every host address, 127.0.0.1 included
  IpAddress pot_address;   // v4 or v6
  uint16_t pot_port = 0;
  bool operator==(const PortForward& other) const = default;
};

struct PortExport {
  std::string protocol = "tcp";
  uint16_t pot_port = 0;
  std::optional<uint16_t> host_port;  // chosen by pot when not given

  // Throws Error naming the spec and what is wrong with it.
  static PortExport parse(const std::string& spec);
  // The canonical form: "tcp:80:3000" (protocol always written, host port when known).
  std::string str() const;
  bool operator==(const PortExport& other) const = default;
};

// A port number, 1-65535, in decimal; nullopt for anything else.
std::optional<uint16_t> parse_port_number(const std::string& text);

// A pot.export.ports value: space-separated specs.
std::vector<PortExport> parse_port_exports(const std::string& list);
std::string format_port_exports(const std::vector<PortExport>& exports);

}  // namespace pot::net
