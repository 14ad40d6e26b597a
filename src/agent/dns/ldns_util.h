// ldns for C++: the header included the one safe way, and owners for its objects.
#pragma once

// ldns's common.h defines `bool`, `true` and `false` as macros (true as 1, false as 0) unless
// stdbool.h came first, which breaks the C++ library headers included after it (e.g.
// <optional>'s `bool(x) <=> false`). stdbool.h in C++ defines nothing but the guard ldns
// checks.
#include <stdbool.h>  // NOLINT(modernize-deprecated-headers): the guard, see above

#include <ldns/ldns.h>

#include <memory>

namespace pot::agent {

struct LdnsPacketFree {
  void operator()(ldns_pkt* packet) const { ldns_pkt_free(packet); }
};
struct LdnsRecordFree {
  void operator()(ldns_rr* record) const { ldns_rr_free(record); }
};
struct LdnsRdfFree {
  void operator()(ldns_rdf* rdf) const { ldns_rdf_deep_free(rdf); }
};
using LdnsPacket = std::unique_ptr<ldns_pkt, LdnsPacketFree>;
using LdnsRecord = std::unique_ptr<ldns_rr, LdnsRecordFree>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsRdfFree>;

}  // namespace pot::agent
