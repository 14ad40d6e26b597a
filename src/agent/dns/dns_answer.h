// The DNS server's answer to one query, as a pure function of the packet and the catalog:
// no sockets, no clock, no randomness but the seed it is given, so the unit tests and the
// fuzzer drive exactly what the server runs.
//
// Names follow Consul's DNS interface (orchestrator-facts.md, "Consul DNS"), under the
// domain (`consul` by default), case-insensitive:
//   [TAG.]NAME.service[.DC]      A/AAAA of the healthy instances, SRV with the target's
//                                address in the additional section
//   _NAME._TAG.service[.DC]      RFC 2782 SRV form (tag `tcp` means any tag); for SRV
//                                queries the `service` label may be left out
//   NODE.node[.DC]               the node's address
//   HEX.addr[.DC]                the address written in hex (8 digits IPv4, 32 IPv6)
//   the domain itself            SOA and NS
// An unknown name, or a service without a healthy instance, is NXDOMAIN; a known name without
// a record of the type asked is NOERROR without answers (RFC 2308 NODATA); both carry the
// zone's SOA in the authority section, as Consul's do.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "agent/services/service_catalog.h"

namespace pot::agent {

// What the answers are made from: the catalog's node and every instance with its aggregate
// status, with the service names lowercased for the case-insensitive lookups. The server
// keeps one and takes a new one when the catalog's index moves.
struct DnsCatalogSnapshot {
  struct Entry {
    ServiceInstance instance;
    CheckStatus status = CheckStatus::kPassing;
  };

  CatalogNode node;
  uint64_t index = 0;
  std::multimap<std::string, Entry> by_name;  // lowercased service name -> instance

  static DnsCatalogSnapshot take(const ServiceCatalog& catalog);
};

struct DnsAnswerOptions {
  std::string domain = "consul";
  bool only_passing = false;  // leave out warning instances too
  uint32_t ttl_seconds = 0;
  // Names outside the domain are forwarded (kForward) instead of REFUSED.
  bool forward = false;
  // Over TCP only the 64 KiB of a message bound the answer; over UDP 512 bytes, or the size
  // the query's EDNS0 record announces.
  bool over_tcp = false;
  // Orders the instances (Consul shuffles them to spread the load): same seed, same order.
  uint32_t shuffle_seed = 0;
};

struct DnsAnswer {
  enum class Action {
    kReply,    // send `packet`
    kDrop,     // not a query one can answer (shorter than a header, or a response)
    kForward,  // a name outside the domain on a forwarding listener
  };
  Action action = Action::kDrop;
  std::vector<uint8_t> packet;
};

DnsAnswer answer_dns_query(std::span<const uint8_t> query, const DnsCatalogSnapshot& catalog,
                           const DnsAnswerOptions& options);

// The reply with only the header and question of `query` and `rcode` (an LDNS_RCODE_* value),
// e.g. SERVFAIL when every upstream failed. Empty when the query cannot be parsed.
std::vector<uint8_t> dns_error_reply(std::span<const uint8_t> query, int rcode,
                                     bool recursion_available);

}  // namespace pot::agent
