// Helpers of the DNS tests: queries made with ldns, replies read with ldns, and the small
// catalog both test files answer from.
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "agent/dns/ldns_util.h"
#include "agent/services/service_catalog.h"

namespace pot::testing {

// A query for `name` and `type`, with RD set, an ID and, when `edns_size` is given, an OPT
// record announcing that UDP size.
inline std::vector<uint8_t> make_dns_query(const std::string& name, ldns_rr_type type,
                                           uint16_t id = 4242,
                                           std::optional<uint16_t> edns_size = std::nullopt) {
  agent::LdnsPacket query(
      ldns_pkt_query_new(ldns_dname_new_frm_str(name.c_str()), type, LDNS_RR_CLASS_IN, LDNS_RD));
  ldns_pkt_set_id(query.get(), id);
  if (edns_size) ldns_pkt_set_edns_udp_size(query.get(), *edns_size);
  uint8_t* data = nullptr;
  size_t size = 0;
  EXPECT_EQ(ldns_pkt2wire(&data, query.get(), &size), LDNS_STATUS_OK);
  std::vector<uint8_t> wire(data, data + size);
  std::free(data);
  return wire;
}

inline agent::LdnsPacket parse_dns(const std::vector<uint8_t>& wire) {
  ldns_pkt* packet = nullptr;
  if (ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(packet);
    ADD_FAILURE() << "the reply does not parse";
    return nullptr;
  }
  return agent::LdnsPacket(packet);
}

inline std::string rdf_text(const ldns_rdf* rdf) {
  char* text = ldns_rdf2str(rdf);
  std::string result = text != nullptr ? text : "";
  std::free(text);
  return result;
}

inline std::string lowercase_text(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The records of one section, as "OWNER TYPE RDATA..." with the names lowercased, e.g.
// "web.service.consul. A 10.0.0.1" or "_web._tcp.service.consul. SRV 1 1 8080
// potd.node.dc1.consul.".
inline std::vector<std::string> section_records(const ldns_pkt* packet, ldns_pkt_section section) {
  const ldns_rr_list* list = nullptr;
  switch (section) {
    case LDNS_SECTION_ANSWER:
      list = ldns_pkt_answer(packet);
      break;
    case LDNS_SECTION_AUTHORITY:
      list = ldns_pkt_authority(packet);
      break;
    default:
      list = ldns_pkt_additional(packet);
      break;
  }
  std::vector<std::string> records;
  for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
    const ldns_rr* record = ldns_rr_list_rr(list, i);
    char* type = ldns_rr_type2str(ldns_rr_get_type(record));
    // Names compare without case, and compression may borrow the question's spelling.
    std::string line = lowercase_text(rdf_text(ldns_rr_owner(record))) + " " + type;
    std::free(type);
    for (size_t j = 0; j < ldns_rr_rd_count(record); ++j) {
      const ldns_rdf* field = ldns_rr_rdf(record, j);
      const std::string text = rdf_text(field);
      line += " " + (ldns_rdf_get_type(field) == LDNS_RDF_TYPE_DNAME ? lowercase_text(text) : text);
    }
    records.push_back(line);
  }
  return records;
}

inline std::set<std::string> as_set(const std::vector<std::string>& lines) {
  return {lines.begin(), lines.end()};
}

// The node `potd` (192.0.2.10, dc1) with:
//   web   web-1 10.0.0.1:8080 tags http,v1 (passing)
//         web-2 the node's address :8081 tag http (no check: passing)
//         web-3 10.0.0.3:8082 (critical)
//   db    db-1 [fd00::5]:5432
//   cache cache-1 10.0.0.7:6379 (warning)
//   gone  gone-1 10.0.0.9:80 (critical: no healthy instance)
inline agent::CatalogNode test_dns_node() {
  agent::CatalogNode node;
  node.id = "node-id";
  node.name = "potd";
  node.address = "192.0.2.10";
  node.datacenter = "dc1";
  return node;
}

inline agent::CheckDefinition test_check(const std::string& id, agent::CheckStatus status) {
  agent::CheckDefinition check;
  check.id = id;
  check.name = id;
  check.type = "ttl";
  check.initial_status = status;
  return check;
}

inline void register_test_service(agent::ServiceCatalog& catalog, const std::string& id,
                                  const std::string& name, const std::string& address, int port,
                                  std::vector<std::string> tags = {},
                                  std::optional<agent::CheckStatus> status = std::nullopt) {
  agent::ServiceInstance instance;
  instance.id = id;
  instance.name = name;
  instance.address = address;
  instance.port = port;
  instance.tags = std::move(tags);
  std::vector<agent::CheckDefinition> checks;
  if (status) checks.push_back(test_check(id + "-check", *status));
  catalog.register_instance(std::move(instance), std::move(checks));
}

inline void fill_test_catalog(agent::ServiceCatalog& catalog) {
  using agent::CheckStatus;
  register_test_service(catalog, "web-1", "web", "10.0.0.1", 8080, {"http", "v1"},
                        CheckStatus::kPassing);
  register_test_service(catalog, "web-2", "web", "", 8081, {"http"});
  register_test_service(catalog, "web-3", "web", "10.0.0.3", 8082, {}, CheckStatus::kCritical);
  register_test_service(catalog, "db-1", "db", "fd00::5", 5432);
  register_test_service(catalog, "cache-1", "cache", "10.0.0.7", 6379, {}, CheckStatus::kWarning);
  register_test_service(catalog, "gone-1", "gone", "10.0.0.9", 80, {}, CheckStatus::kCritical);
}

}  // namespace pot::testing
