// How a query becomes an answer:
//  1. the header decides whether there is anything to answer (too short or a response:
//     dropped; unparseable: FORMERR; not a QUERY: NOTIMP; not one question: FORMERR);
//  2. the question's name, lowercased and without the domain, is split at its kind label
//     (`service`, `node`, `addr`) into the parts before it and the datacenter after it;
//  3. the lookup fills answer records, each with the additional records it needs (an SRV's
//     target address), and picks the rcode;
//  4. the packet is encoded by ldns, and over UDP the answers are cut from the end (and the
//     authority section dropped first) until it fits, with TC set, as Consul trims.
#include "agent/dns/dns_answer.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string_view>

#include "agent/dns/ldns_util.h"

namespace pot::agent {
namespace {

using PacketPtr = LdnsPacket;
using RecordPtr = LdnsRecord;
using NamePtr = LdnsRdf;

constexpr size_t kHeaderSize = 12;
constexpr size_t kClassicUdpSize = 512;
// The largest UDP payload worth sending (Consul's bound: 64 KiB less the IP and UDP headers).
constexpr size_t kMaxUdpSize = 65535 - 68;
constexpr size_t kMaxTcpSize = 65535;

// The zone's SOA timers: Consul's defaults (refresh, retry, expire, minimum TTL).
constexpr uint32_t kSoaRefresh = 3600;
constexpr uint32_t kSoaRetry = 600;
constexpr uint32_t kSoaExpire = 86400;
constexpr uint32_t kSoaMinimumTtl = 0;

std::string lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return lower;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && lowercase(a) == lowercase(b);
}

// The labels of a name (ldns keeps names uncompressed: length-prefixed labels, then 0),
// lowercased. nullopt when the data is not such a name.
std::optional<std::vector<std::string>> lowercase_labels(const ldns_rdf* name) {
  if (ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME) return std::nullopt;
  const uint8_t* data = ldns_rdf_data(name);
  const size_t size = ldns_rdf_size(name);
  std::vector<std::string> labels;
  size_t at = 0;
  while (at < size) {
    const size_t length = data[at];
    if (length == 0) return labels;
    if (at + 1 + length > size) return std::nullopt;
    labels.push_back(lowercase({reinterpret_cast<const char*>(data + at + 1), length}));
    at += 1 + length;
  }
  return std::nullopt;
}

std::vector<std::string> split_domain(std::string_view domain) {
  std::vector<std::string> labels;
  size_t start = 0;
  while (start < domain.size()) {
    size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    if (dot > start) labels.push_back(lowercase(domain.substr(start, dot - start)));
    start = dot + 1;
  }
  return labels;
}

std::string join(const std::vector<std::string>& parts, size_t begin, size_t end) {
  std::string joined;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) joined += '.';
    joined += parts[i];
  }
  return joined;
}

// ---------------------------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------------------------

struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};

  size_t size() const { return v6 ? 16 : 4; }
  std::string hex() const {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string text;
    for (size_t i = 0; i < size(); ++i) {
      text += kDigits[bytes[i] >> 4];
      text += kDigits[bytes[i] & 0xf];
    }
    return text;
  }
  bool operator<(const IpAddress& other) const {
    return std::tie(v6, bytes) < std::tie(other.v6, other.bytes);
  }
};

std::optional<IpAddress> parse_ip(const std::string& text) {
  IpAddress address;
  if (::inet_pton(AF_INET, text.c_str(), address.bytes.data()) == 1) return address;
  address.v6 = true;
  if (::inet_pton(AF_INET6, text.c_str(), address.bytes.data()) == 1) return address;
  return std::nullopt;
}

// `<hex>.addr` names: 8 hex digits for IPv4, 32 for IPv6.
std::optional<IpAddress> parse_hex_ip(const std::string& hex) {
  if (hex.size() != 8 && hex.size() != 32) return std::nullopt;
  IpAddress address;
  address.v6 = hex.size() == 32;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int high = nibble(hex[i]);
    const int low = nibble(hex[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    address.bytes[i / 2] = static_cast<uint8_t>(high * 16 + low);
  }
  return address;
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

NamePtr make_name(const std::string& text) {
  return NamePtr(ldns_dname_new_frm_str(text.c_str()));
}

RecordPtr make_record(ldns_rr_type type, const ldns_rdf* owner, uint32_t ttl) {
  RecordPtr record(ldns_rr_new_frm_type(type));
  ldns_rr_set_owner(record.get(), ldns_rdf_clone(owner));
  ldns_rr_set_ttl(record.get(), ttl);
  ldns_rr_set_class(record.get(), LDNS_RR_CLASS_IN);
  return record;
}

RecordPtr address_record(const ldns_rdf* owner, const IpAddress& address, uint32_t ttl) {
  RecordPtr record = make_record(address.v6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A, owner, ttl);
  ldns_rr_set_rdf(record.get(),
                  ldns_rdf_new_frm_data(address.v6 ? LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A,
                                        address.size(), address.bytes.data()),
                  0);
  return record;
}

RecordPtr name_record(ldns_rr_type type, const ldns_rdf* owner, const ldns_rdf* target,
                      uint32_t ttl) {
  RecordPtr record = make_record(type, owner, ttl);
  ldns_rr_set_rdf(record.get(), ldns_rdf_clone(target), 0);
  return record;
}

RecordPtr srv_record(const ldns_rdf* owner, uint16_t port, const ldns_rdf* target, uint32_t ttl) {
  RecordPtr record = make_record(LDNS_RR_TYPE_SRV, owner, ttl);
  ldns_rr_set_rdf(record.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 1), 0);  // priority
  ldns_rr_set_rdf(record.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 1), 1);  // weight
  ldns_rr_set_rdf(record.get(), ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, port), 2);
  ldns_rr_set_rdf(record.get(), ldns_rdf_clone(target), 3);
  return record;
}

bool type_wants(ldns_rr_type asked, const IpAddress& address) {
  if (asked == LDNS_RR_TYPE_ANY) return true;
  return address.v6 ? asked == LDNS_RR_TYPE_AAAA : asked == LDNS_RR_TYPE_A;
}

// ---------------------------------------------------------------------------------------------
// The reply being built
// ---------------------------------------------------------------------------------------------

// One answer record with the additional records that go with it (an SRV's target address),
// so that cutting answers for size cuts their additional records too.
struct Answer {
  RecordPtr record;
  std::vector<RecordPtr> additional;
};

struct Reply {
  ldns_pkt_rcode rcode = LDNS_RCODE_NOERROR;
  std::vector<Answer> answers;
  std::vector<RecordPtr> authority;
  std::vector<RecordPtr> glue;  // additional records not tied to one answer (NS glue)
};

class ReplyEncoder {
 public:
  ReplyEncoder(const ldns_pkt* query, bool recursion_available)
      : query_(query), recursion_available_(recursion_available) {}

  // The reply with the first `answer_count` answers; authority only when `with_authority`.
  std::vector<uint8_t> encode(const Reply& reply, size_t answer_count, bool with_authority,
                              bool truncated, bool compress = false) const {
    PacketPtr packet(ldns_pkt_new());
    ldns_pkt_set_id(packet.get(), ldns_pkt_id(query_));
    ldns_pkt_set_qr(packet.get(), true);
    ldns_pkt_set_aa(packet.get(), true);
    ldns_pkt_set_opcode(packet.get(), LDNS_PACKET_QUERY);
    ldns_pkt_set_rd(packet.get(), ldns_pkt_rd(query_));
    ldns_pkt_set_ra(packet.get(), recursion_available_);
    ldns_pkt_set_cd(packet.get(), ldns_pkt_cd(query_));
    ldns_pkt_set_tc(packet.get(), truncated);
    ldns_pkt_set_rcode(packet.get(), static_cast<uint8_t>(reply.rcode));
    ldns_pkt_push_rr(packet.get(), LDNS_SECTION_QUESTION,
                     ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(query_), 0)));
    // Additional records once per owner and type: several SRV answers share a node's target.
    std::set<std::pair<std::string, ldns_rr_type>> added;
    for (size_t i = 0; i < answer_count && i < reply.answers.size(); ++i) {
      const Answer& answer = reply.answers[i];
      ldns_pkt_push_rr(packet.get(), LDNS_SECTION_ANSWER, ldns_rr_clone(answer.record.get()));
      for (const RecordPtr& extra : answer.additional) {
        if (add_once(added, extra.get()))
          ldns_pkt_push_rr(packet.get(), LDNS_SECTION_ADDITIONAL, ldns_rr_clone(extra.get()));
      }
    }
    if (with_authority) {
      for (const RecordPtr& record : reply.authority)
        ldns_pkt_push_rr(packet.get(), LDNS_SECTION_AUTHORITY, ldns_rr_clone(record.get()));
    }
    for (const RecordPtr& record : reply.glue) {
      if (add_once(added, record.get()))
        ldns_pkt_push_rr(packet.get(), LDNS_SECTION_ADDITIONAL, ldns_rr_clone(record.get()));
    }
    if (ldns_pkt_edns(query_)) {
      ldns_pkt_set_edns_udp_size(packet.get(),
                                 std::max<uint16_t>(ldns_pkt_edns_udp_size(query_), 512));
    }
    return to_wire(packet.get(), compress);
  }

  // Name compression is most of the cost of encoding (ldns searches a tree of the names
  // written so far): a reply is compressed only when it would not fit otherwise.
  static std::vector<uint8_t> to_wire(const ldns_pkt* packet, bool compress = false) {
    std::unique_ptr<ldns_buffer, decltype(&ldns_buffer_free)> buffer(
        ldns_buffer_new(kClassicUdpSize), &ldns_buffer_free);
    if (!buffer) return {};
    const ldns_status status = compress ? ldns_pkt2buffer_wire(buffer.get(), packet)
                                        : ldns_pkt2buffer_wire_compress(buffer.get(), packet,
                                                                        /*no compression*/ nullptr);
    if (status != LDNS_STATUS_OK || ldns_buffer_status(buffer.get()) != LDNS_STATUS_OK) return {};
    const uint8_t* data = ldns_buffer_begin(buffer.get());
    return {data, data + ldns_buffer_position(buffer.get())};
  }

 private:
  static bool add_once(std::set<std::pair<std::string, ldns_rr_type>>& added,
                       const ldns_rr* record) {
    const ldns_rdf* owner = ldns_rr_owner(record);
    std::string key(reinterpret_cast<const char*>(ldns_rdf_data(owner)), ldns_rdf_size(owner));
    return added.emplace(lowercase(key), ldns_rr_get_type(record)).second;
  }

  const ldns_pkt* query_;
  bool recursion_available_;
};

// Encodes the reply within `limit` bytes: whole when it fits (uncompressed, or else
// compressed); else compressed, without the authority section and with as many answers as fit
// (at least one, as Consul sends one record even when it alone is too big), with TC set.
std::vector<uint8_t> encode_within(const ReplyEncoder& encoder, const Reply& reply, size_t limit) {
  std::vector<uint8_t> plain = encoder.encode(reply, reply.answers.size(), true, false);
  if (plain.size() <= limit) return plain;
  std::vector<uint8_t> whole = encoder.encode(reply, reply.answers.size(), true, false, true);
  if (whole.size() <= limit || reply.answers.size() <= 1) return whole;
  // Binary search for the largest count of answers that fits.
  size_t fits = 1;
  size_t too_many = reply.answers.size();
  while (too_many - fits > 1) {
    const size_t middle = fits + (too_many - fits) / 2;
    if (encoder.encode(reply, middle, false, true, true).size() <= limit)
      fits = middle;
    else
      too_many = middle;
  }
  return encoder.encode(reply, fits, false, true, true);
}

// ---------------------------------------------------------------------------------------------
// Lookups
// ---------------------------------------------------------------------------------------------

class Lookup {
 public:
  Lookup(const DnsCatalogSnapshot& catalog, const DnsAnswerOptions& options,
         const ldns_rr* question, std::vector<std::string> domain)
      : catalog_(catalog),
        options_(options),
        owner_(ldns_rr_owner(question)),
        type_(ldns_rr_get_type(question)),
        domain_(std::move(domain)) {}

  // Fills `reply` for the name's labels below the domain (lowercased).
  void answer(const std::vector<std::string>& labels, Reply& reply) {
    if (labels.empty()) return answer_apex(reply);
    if (type_ == LDNS_RR_TYPE_AXFR || type_ == LDNS_RR_TYPE_IXFR) {
      reply.rcode = LDNS_RCODE_NOTIMPL;  // no zone transfers, as Consul
      return;
    }

    // The kind label nearest the domain splits the name; an SRV query may leave `service`
    // out when the label there starts with `_` (`_web._tcp.consul`).
    std::string kind;
    size_t kind_at = 0;
    size_t suffix_at = 0;
    for (size_t i = labels.size(); i-- > 0;) {
      const std::string& label = labels[i];
      if (label == "service" || label == "node" || label == "addr") {
        kind = label;
        kind_at = i;
        suffix_at = i + 1;
        break;
      }
      if (type_ == LDNS_RR_TYPE_SRV && label.starts_with('_')) {
        kind = "service";
        kind_at = i + 1;
        suffix_at = i + 1;
        break;
      }
    }
    std::vector<std::string> parts(labels.begin(), labels.begin() + kind_at);
    std::vector<std::string> suffix(labels.begin() + suffix_at, labels.end());

    // The datacenter, when named, must be ours: there is no other.
    bool found = false;
    if (!kind.empty() && !parts.empty() && local_datacenter(suffix)) {
      if (kind == "service")
        found = answer_service(parts, reply);
      else if (kind == "node")
        found = answer_node(parts, reply);
      else
        found = answer_addr(parts, reply);
    }
    if (!found) reply.rcode = LDNS_RCODE_NXDOMAIN;
    if (!found || reply.answers.empty()) reply.authority.push_back(soa());
  }

 private:
  bool local_datacenter(const std::vector<std::string>& suffix) const {
    if (suffix.empty()) return true;
    return suffix.size() == 1 && equals_ignoring_case(suffix[0], catalog_.node.datacenter);
  }

  // The domain itself: SOA and NS (with the node's address as glue). Other types get NODATA
  // (Consul says NXDOMAIN, but a resolver following RFC 8020 would then take every name
  // under the domain for nonexistent).
  void answer_apex(Reply& reply) {
    if (type_ == LDNS_RR_TYPE_SOA || type_ == LDNS_RR_TYPE_ANY) {
      reply.answers.push_back({soa(), {}});
      add_name_servers(reply.authority, reply.glue);
    }
    if (type_ == LDNS_RR_TYPE_NS || type_ == LDNS_RR_TYPE_ANY) {
      std::vector<RecordPtr> name_servers;
      add_name_servers(name_servers, reply.glue);
      for (auto& record : name_servers) reply.answers.push_back({std::move(record), {}});
    }
    if (reply.answers.empty()) reply.authority.push_back(soa());
  }

  bool answer_service(const std::vector<std::string>& parts, Reply& reply) {
    std::string name;
    std::string tag;
    if (parts.size() == 2 && parts[0].starts_with('_') && parts[1].starts_with('_')) {
      // RFC 2782: _name._tag, where `_tcp` (the protocol) filters nothing.
      name = parts[0].substr(1);
      tag = parts[1].substr(1);
      if (tag == "tcp") tag.clear();
    } else {
      // [tag.]name, a tag may itself contain dots.
      name = parts.back();
      tag = join(parts, 0, parts.size() - 1);
    }

    std::vector<const DnsCatalogSnapshot::Entry*> healthy;
    auto [begin, end] = catalog_.by_name.equal_range(name);
    for (auto it = begin; it != end; ++it) {
      const DnsCatalogSnapshot::Entry& entry = it->second;
      if (entry.status == CheckStatus::kCritical) continue;
      if (options_.only_passing && entry.status != CheckStatus::kPassing) continue;
      if (!tag.empty() && std::none_of(entry.instance.tags.begin(), entry.instance.tags.end(),
                                       [&](const std::string& t) { return lowercase(t) == tag; }))
        continue;
      healthy.push_back(&entry);
    }
    if (healthy.empty()) return false;
    std::minstd_rand order(options_.shuffle_seed);  // cheap to seed, unlike mt19937
    std::shuffle(healthy.begin(), healthy.end(), order);

    if (type_ == LDNS_RR_TYPE_SRV) {
      add_srv_records(healthy, reply);
    } else {
      add_service_addresses(healthy, reply);
    }
    return true;
  }

  void add_service_addresses(const std::vector<const DnsCatalogSnapshot::Entry*>& healthy,
                             Reply& reply) {
    std::set<IpAddress> seen;  // instances on one address answer once
    std::optional<Answer> cname;
    for (const auto* entry : healthy) {
      const std::string& text = address_of(entry->instance);
      if (auto address = parse_ip(text)) {
        if (type_wants(type_, *address) && seen.insert(*address).second)
          reply.answers.push_back({address_record(owner_, *address, ttl()), {}});
      } else if (!cname && (type_ == LDNS_RR_TYPE_A || type_ == LDNS_RR_TYPE_AAAA ||
                            type_ == LDNS_RR_TYPE_ANY || type_ == LDNS_RR_TYPE_CNAME)) {
        // An instance registered with a host name: a CNAME, used only when no instance has
        // an address (as Consul).
        if (NamePtr target = make_name(fully_qualified(text)))
          cname = Answer{name_record(LDNS_RR_TYPE_CNAME, owner_, target.get(), ttl()), {}};
      }
    }
    if (reply.answers.empty() && cname) reply.answers.push_back(std::move(*cname));
  }

  void add_srv_records(const std::vector<const DnsCatalogSnapshot::Entry*>& healthy, Reply& reply) {
    std::set<std::pair<std::string, int>> seen;  // one record per target and port
    for (const auto* entry : healthy) {
      const ServiceInstance& instance = entry->instance;
      const std::string& text = address_of(instance);
      const std::optional<IpAddress> address = parse_ip(text);
      // The node's name when the instance has the node's address; a name made of its own
      // address when it has one; a host name as it is.
      std::string target;
      if (instance.address.empty() || instance.address == catalog_.node.address)
        target = node_name();
      else if (address)
        target = address->hex() + ".addr." + catalog_.node.datacenter + "." + domain_text();
      else
        target = fully_qualified(text);
      target = lowercase(target);
      if (!seen.emplace(target, instance.port).second) continue;
      NamePtr target_name = make_name(target);
      if (!target_name) continue;
      Answer answer{
          srv_record(owner_, static_cast<uint16_t>(instance.port), target_name.get(), ttl()), {}};
      if (address) answer.additional.push_back(address_record(target_name.get(), *address, ttl()));
      reply.answers.push_back(std::move(answer));
    }
  }

  bool answer_node(const std::vector<std::string>& parts, Reply& reply) {
    if (join(parts, 0, parts.size()) != lowercase(catalog_.node.name)) return false;
    if (auto address = parse_ip(catalog_.node.address)) {
      if (type_wants(type_, *address))
        reply.answers.push_back({address_record(owner_, *address, ttl()), {}});
    }
    return true;
  }

  bool answer_addr(const std::vector<std::string>& parts, Reply& reply) {
    if (parts.size() != 1) return false;
    const std::optional<IpAddress> address = parse_hex_ip(parts[0]);
    if (!address) return false;
    if (type_wants(type_, *address))
      reply.answers.push_back({address_record(owner_, *address, ttl()), {}});
    return true;
  }

  // The NS records of the zone (this node, the only server) and the node's address.
  void add_name_servers(std::vector<RecordPtr>& into, std::vector<RecordPtr>& glue) {
    NamePtr zone = make_name(domain_text());
    NamePtr server = make_name(lowercase(node_name()));
    if (!zone || !server) return;
    into.push_back(name_record(LDNS_RR_TYPE_NS, zone.get(), server.get(), ttl()));
    if (auto address = parse_ip(catalog_.node.address))
      glue.push_back(address_record(server.get(), *address, ttl()));
  }

  RecordPtr soa() const {
    NamePtr zone = make_name(domain_text());
    NamePtr primary = make_name("ns." + domain_text());
    NamePtr mailbox = make_name("hostmaster." + domain_text());
    RecordPtr record = make_record(LDNS_RR_TYPE_SOA, zone.get(), kSoaMinimumTtl);
    ldns_rr_set_rdf(record.get(), primary.release(), 0);
    ldns_rr_set_rdf(record.get(), mailbox.release(), 1);
    // The serial moves with the catalog.
    const auto serial = static_cast<uint32_t>(catalog_.index);
    const uint32_t timers[] = {serial, kSoaRefresh, kSoaRetry, kSoaExpire, kSoaMinimumTtl};
    for (size_t i = 0; i < 5; ++i) {
      ldns_rr_set_rdf(
          record.get(),
          ldns_native2rdf_int32(i == 0 ? LDNS_RDF_TYPE_INT32 : LDNS_RDF_TYPE_PERIOD, timers[i]),
          i + 2);
    }
    return record;
  }

  const std::string& address_of(const ServiceInstance& instance) const {
    return instance.address.empty() ? catalog_.node.address : instance.address;
  }
  std::string node_name() const {
    return catalog_.node.name + ".node." + catalog_.node.datacenter + "." + domain_text();
  }
  std::string domain_text() const { return join(domain_, 0, domain_.size()) + "."; }
  static std::string fully_qualified(const std::string& name) {
    return name.ends_with('.') ? name : name + ".";
  }
  uint32_t ttl() const { return options_.ttl_seconds; }

  const DnsCatalogSnapshot& catalog_;
  const DnsAnswerOptions& options_;
  const ldns_rdf* owner_;
  ldns_rr_type type_;
  std::vector<std::string> domain_;
};

// A reply without question (the query could not be read): the header's ID, opcode and RD.
std::vector<uint8_t> header_only_reply(std::span<const uint8_t> query, ldns_pkt_rcode rcode) {
  PacketPtr packet(ldns_pkt_new());
  ldns_pkt_set_id(packet.get(), LDNS_ID_WIRE(query.data()));
  ldns_pkt_set_qr(packet.get(), true);
  ldns_pkt_set_opcode(packet.get(), static_cast<ldns_pkt_opcode>(LDNS_OPCODE_WIRE(query.data())));
  ldns_pkt_set_rd(packet.get(), LDNS_RD_WIRE(query.data()) != 0);
  ldns_pkt_set_rcode(packet.get(), static_cast<uint8_t>(rcode));
  return ReplyEncoder::to_wire(packet.get());
}

DnsAnswer reply_with(std::vector<uint8_t> packet) {
  if (packet.empty()) return {};  // ldns could not encode it: drop
  return {DnsAnswer::Action::kReply, std::move(packet)};
}

}  // namespace

DnsCatalogSnapshot DnsCatalogSnapshot::take(const ServiceCatalog& catalog) {
  DnsCatalogSnapshot snapshot;
  snapshot.node = catalog.node();
  // The index first: a change after it moves it again, so the next look takes a new one.
  snapshot.index = catalog.index();
  std::map<std::string, CheckStatus> worst;
  for (const CheckState& check : catalog.checks()) {
    CheckStatus& status =
        worst.try_emplace(check.definition.instance_id, CheckStatus::kPassing).first->second;
    status = std::max(status, check.status);  // the enum is ordered best to worst
  }
  for (ServiceInstance& instance : catalog.instances()) {
    auto status = worst.find(instance.id);
    Entry entry{std::move(instance),
                status == worst.end() ? CheckStatus::kPassing : status->second};
    snapshot.by_name.emplace(lowercase(entry.instance.name), std::move(entry));
  }
  return snapshot;
}

DnsAnswer answer_dns_query(std::span<const uint8_t> query, const DnsCatalogSnapshot& catalog,
                           const DnsAnswerOptions& options) {
  // 1. The header.
  if (query.size() < kHeaderSize || LDNS_QR_WIRE(query.data()) != 0) return {};
  if (LDNS_OPCODE_WIRE(query.data()) != LDNS_PACKET_QUERY)
    return reply_with(header_only_reply(query, LDNS_RCODE_NOTIMPL));
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, query.data(), query.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(parsed);
    return reply_with(header_only_reply(query, LDNS_RCODE_FORMERR));
  }
  PacketPtr packet(parsed);
  if (ldns_pkt_qdcount(packet.get()) != 1 ||
      ldns_rr_list_rr_count(ldns_pkt_question(packet.get())) != 1)
    return reply_with(header_only_reply(query, LDNS_RCODE_FORMERR));

  // 2. The name, within the domain or not.
  const ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(packet.get()), 0);
  auto labels = lowercase_labels(ldns_rr_owner(question));
  if (!labels) return reply_with(header_only_reply(query, LDNS_RCODE_FORMERR));
  std::vector<std::string> domain = split_domain(options.domain);
  const bool in_domain = labels->size() >= domain.size() &&
                         std::equal(domain.begin(), domain.end(), labels->end() - domain.size());
  ReplyEncoder encoder(packet.get(), options.forward);
  Reply reply;
  if (!in_domain) {
    if (options.forward) return {DnsAnswer::Action::kForward, {}};
    reply.rcode = LDNS_RCODE_REFUSED;  // as Consul without recursors
    return reply_with(encoder.encode(reply, 0, false, false));
  }
  labels->resize(labels->size() - domain.size());

  // 3. The lookup.
  Lookup lookup(catalog, options, question, std::move(domain));
  lookup.answer(*labels, reply);

  // 4. The packet, within the transport's size.
  size_t limit = kMaxTcpSize;
  if (!options.over_tcp) {
    limit = kClassicUdpSize;
    if (ldns_pkt_edns(packet.get()))
      limit =
          std::clamp<size_t>(ldns_pkt_edns_udp_size(packet.get()), kClassicUdpSize, kMaxUdpSize);
  }
  return reply_with(encode_within(encoder, reply, limit));
}

std::vector<uint8_t> dns_error_reply(std::span<const uint8_t> query, int rcode,
                                     bool recursion_available) {
  if (query.size() < kHeaderSize) return {};
  ldns_pkt* parsed = nullptr;
  if (ldns_wire2pkt(&parsed, query.data(), query.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(parsed);
    return {};
  }
  PacketPtr packet(parsed);
  if (ldns_rr_list_rr_count(ldns_pkt_question(packet.get())) != 1) return {};
  Reply reply;
  reply.rcode = static_cast<ldns_pkt_rcode>(rcode);
  return ReplyEncoder(packet.get(), recursion_available).encode(reply, 0, false, false);
}

}  // namespace pot::agent
