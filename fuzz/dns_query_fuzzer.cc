// The DNS server's answer to a packet from anyone who can reach its port
// (agent/dns/dns_answer.h), over a small catalog. The options come from the input's length,
// so every input is tried both ways over time (UDP and TCP, forwarding or not). Checks,
// beyond no crash and no sanitizer report:
//  - only a packet shorter than a header or a response (QR set) is dropped;
//  - kForward only on a forwarding listener;
//  - a reply parses, is a response, and carries the query's ID;
//  - a reply fits the transport (64 KiB over TCP; over UDP 512 bytes or the EDNS size),
//    unless it is down to its last answer, which Consul sends anyway.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "agent/dns/dns_answer.h"
#include "agent/dns/ldns_util.h"
#include "fuzz_check.h"

namespace {

using pot::agent::CheckDefinition;
using pot::agent::CheckStatus;
using pot::agent::DnsAnswer;
using pot::agent::DnsAnswerOptions;
using pot::agent::DnsCatalogSnapshot;
using pot::agent::ServiceCatalog;
using pot::agent::ServiceInstance;

void add(ServiceCatalog& catalog, const std::string& id, const std::string& name,
         const std::string& address, int port, std::vector<std::string> tags, CheckStatus status) {
  ServiceInstance instance;
  instance.id = id;
  instance.name = name;
  instance.address = address;
  instance.port = port;
  instance.tags = std::move(tags);
  CheckDefinition check;
  check.id = id + "-check";
  check.type = "ttl";
  check.initial_status = status;
  catalog.register_instance(std::move(instance), {check});
}

const DnsCatalogSnapshot& snapshot() {
  static const DnsCatalogSnapshot taken = [] {
    ServiceCatalog catalog({"node-id", "potd", "192.0.2.10", "dc1"});
    add(catalog, "web-1", "web", "10.0.0.1", 8080, {"http", "v1"}, CheckStatus::kPassing);
    add(catalog, "web-2", "web", "", 8081, {"http"}, CheckStatus::kWarning);
    add(catalog, "web-3", "web", "10.0.0.3", 8082, {}, CheckStatus::kCritical);
    add(catalog, "db-1", "db", "fd00::5", 5432, {}, CheckStatus::kPassing);
    add(catalog, "ext-1", "ext", "db.example.internal", 5432, {}, CheckStatus::kPassing);
    for (int i = 1; i <= 40; ++i)
      add(catalog, "big-" + std::to_string(i), "big", "10.1.0." + std::to_string(i), 9000 + i, {},
          CheckStatus::kPassing);
    return DnsCatalogSnapshot::take(catalog);
  }();
  return taken;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> query(data, size);
  DnsAnswerOptions options;
  options.forward = size % 2 == 1;
  options.over_tcp = size % 3 == 0;
  options.only_passing = size % 5 == 0;
  options.shuffle_seed = static_cast<uint32_t>(size);

  const DnsAnswer answer = pot::agent::answer_dns_query(query, snapshot(), options);
  const bool is_response = size >= 3 && (data[2] & 0x80) != 0;
  switch (answer.action) {
    case DnsAnswer::Action::kDrop:
      FUZZ_CHECK(size < 12 || is_response);
      return 0;
    case DnsAnswer::Action::kForward:
      FUZZ_CHECK(options.forward);
      FUZZ_CHECK(answer.packet.empty());
      return 0;
    case DnsAnswer::Action::kReply:
      break;
  }
  FUZZ_CHECK(size >= 12 && !is_response);
  ldns_pkt* parsed = nullptr;
  const ldns_status status = ldns_wire2pkt(&parsed, answer.packet.data(), answer.packet.size());
  pot::agent::LdnsPacket reply(parsed);
  FUZZ_CHECK(status == LDNS_STATUS_OK);
  FUZZ_CHECK(ldns_pkt_qr(reply.get()));
  FUZZ_CHECK(ldns_pkt_id(reply.get()) == ldns_read_uint16(data));

  size_t limit = 65535;
  if (!options.over_tcp) {
    limit = 512;
    ldns_pkt* parsed_query = nullptr;
    if (ldns_wire2pkt(&parsed_query, data, size) == LDNS_STATUS_OK && ldns_pkt_edns(parsed_query) &&
        ldns_pkt_edns_udp_size(parsed_query) > 512)
      limit = std::min<size_t>(ldns_pkt_edns_udp_size(parsed_query), 65535 - 68);
    ldns_pkt_free(parsed_query);
  }
  FUZZ_CHECK(answer.packet.size() <= limit || ldns_pkt_ancount(reply.get()) <= 1);
  return 0;
}
