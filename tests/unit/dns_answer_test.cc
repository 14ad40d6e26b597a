// The DNS answers (agent/dns/dns_answer.h): queries made with ldns, replies read with ldns,
// over the small catalog of dns_test_util.h.
#include "agent/dns/dns_answer.h"

#include <random>

#include <gtest/gtest.h>

#include "dns_test_util.h"

namespace pot::agent {
namespace {

using pot::testing::as_set;
using pot::testing::make_dns_query;
using pot::testing::parse_dns;
using pot::testing::section_records;
using Set = std::set<std::string>;

class DnsAnswerTest : public ::testing::Test {
 protected:
  DnsAnswerTest() : catalog_(pot::testing::test_dns_node()) {
    pot::testing::fill_test_catalog(catalog_);
  }

  DnsAnswer ask(const std::vector<uint8_t>& query) {
    return answer_dns_query(query, DnsCatalogSnapshot::take(catalog_), options_);
  }
  // The reply to NAME TYPE, parsed.
  LdnsPacket reply(const std::string& name, ldns_rr_type type) {
    DnsAnswer answer = ask(make_dns_query(name, type));
    EXPECT_EQ(answer.action, DnsAnswer::Action::kReply) << name;
    return parse_dns(answer.packet);
  }
  Set answers(const std::string& name, ldns_rr_type type) {
    LdnsPacket packet = reply(name, type);
    return packet ? as_set(section_records(packet.get(), LDNS_SECTION_ANSWER)) : Set{};
  }
  ldns_pkt_rcode rcode(const std::string& name, ldns_rr_type type) {
    LdnsPacket packet = reply(name, type);
    return packet ? ldns_pkt_get_rcode(packet.get()) : LDNS_RCODE_SERVFAIL;
  }

  ServiceCatalog catalog_;
  DnsAnswerOptions options_;
};

TEST_F(DnsAnswerTest, ServiceAddressesOfHealthyInstances) {
  DnsAnswer answer = ask(make_dns_query("web.service.consul.", LDNS_RR_TYPE_A, 777));
  ASSERT_EQ(answer.action, DnsAnswer::Action::kReply);
  LdnsPacket packet = parse_dns(answer.packet);
  ASSERT_TRUE(packet);
  EXPECT_EQ(ldns_pkt_id(packet.get()), 777);
  EXPECT_TRUE(ldns_pkt_qr(packet.get()));
  EXPECT_TRUE(ldns_pkt_aa(packet.get()));
  EXPECT_TRUE(ldns_pkt_rd(packet.get()));
  EXPECT_FALSE(ldns_pkt_ra(packet.get()));  // no forwarding here
  EXPECT_EQ(ldns_pkt_get_rcode(packet.get()), LDNS_RCODE_NOERROR);
  ASSERT_EQ(ldns_pkt_qdcount(packet.get()), 1);
  EXPECT_EQ(
      pot::testing::rdf_text(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(packet.get()), 0))),
      "web.service.consul.");
  // web-3 is critical: left out; web-2 has the node's address.
  EXPECT_EQ(as_set(section_records(packet.get(), LDNS_SECTION_ANSWER)),
            (Set{"web.service.consul. A 10.0.0.1", "web.service.consul. A 192.0.2.10"}));
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(packet.get()), 0)), 0u);
}

TEST_F(DnsAnswerTest, TtlIsTheOption) {
  options_.ttl_seconds = 30;
  LdnsPacket packet = reply("web.service.consul", LDNS_RR_TYPE_A);
  ASSERT_TRUE(packet);
  ASSERT_GT(ldns_pkt_ancount(packet.get()), 0);
  EXPECT_EQ(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(packet.get()), 0)), 30u);
}

TEST_F(DnsAnswerTest, NamesAreCaseInsensitiveAndMayNameTheDatacenter) {
  const Set expected{"web.service.consul. A 10.0.0.1", "web.service.consul. A 192.0.2.10"};
  EXPECT_EQ(answers("WEB.Service.CONSUL.", LDNS_RR_TYPE_A), expected);
  EXPECT_EQ(answers("web.service.dc1.consul", LDNS_RR_TYPE_A),
            (Set{"web.service.dc1.consul. A 10.0.0.1", "web.service.dc1.consul. A 192.0.2.10"}));
  EXPECT_EQ(rcode("web.service.dc2.consul", LDNS_RR_TYPE_A), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(rcode("web.service.dc1.extra.consul", LDNS_RR_TYPE_A), LDNS_RCODE_NXDOMAIN);
}

TEST_F(DnsAnswerTest, TagLookups) {
  EXPECT_EQ(answers("v1.web.service.consul", LDNS_RR_TYPE_A),
            (Set{"v1.web.service.consul. A 10.0.0.1"}));
  EXPECT_EQ(answers("HTTP.web.service.consul", LDNS_RR_TYPE_A),
            (Set{"http.web.service.consul. A 10.0.0.1", "http.web.service.consul. A 192.0.2.10"}));
  EXPECT_EQ(rcode("nosuchtag.web.service.consul", LDNS_RR_TYPE_A), LDNS_RCODE_NXDOMAIN);
}

TEST_F(DnsAnswerTest, SrvRecordsWithTheirTargetsInAdditional) {
  for (const std::string name :
       {"_web._tcp.service.consul.", "web.service.consul.", "_web._tcp.consul."}) {
    SCOPED_TRACE(name);
    LdnsPacket packet = reply(name, LDNS_RR_TYPE_SRV);
    ASSERT_TRUE(packet);
    EXPECT_EQ(as_set(section_records(packet.get(), LDNS_SECTION_ANSWER)),
              (Set{name + " SRV 1 1 8080 0a000001.addr.dc1.consul.",
                   name + " SRV 1 1 8081 potd.node.dc1.consul."}));
    EXPECT_EQ(as_set(section_records(packet.get(), LDNS_SECTION_ADDITIONAL)),
              (Set{"0a000001.addr.dc1.consul. A 10.0.0.1", "potd.node.dc1.consul. A 192.0.2.10"}));
  }
  // _NAME._TAG: the tag filters (tcp filters nothing, above).
  EXPECT_EQ(answers("_web._v1.service.consul", LDNS_RR_TYPE_SRV),
            (Set{"_web._v1.service.consul. SRV 1 1 8080 0a000001.addr.dc1.consul."}));
  // An IPv6 instance: 32 hex digits, AAAA in additional.
  LdnsPacket db = reply("_db._tcp.service.consul", LDNS_RR_TYPE_SRV);
  ASSERT_TRUE(db);
  EXPECT_EQ(as_set(section_records(db.get(), LDNS_SECTION_ADDITIONAL)),
            (Set{"fd000000000000000000000000000005.addr.dc1.consul. AAAA fd00::5"}));
}

TEST_F(DnsAnswerTest, AnInstanceOnTheNodesAddressHasTheNodeAsTarget) {
  // A job's service in host mode carries the node's address explicitly, as Nomad registers
  // it: the target is still the node, not a synthetic .addr name.
  ServiceInstance api;
  api.id = "api-1";
  api.name = "api";
  api.address = catalog_.node().address;
  api.port = 9090;
  catalog_.register_instance(api, {});
  EXPECT_EQ(answers("_api._tcp.service.consul", LDNS_RR_TYPE_SRV),
            (Set{"_api._tcp.service.consul. SRV 1 1 9090 potd.node.dc1.consul."}));
}

TEST_F(DnsAnswerTest, WarningAnswersUnlessOnlyPassing) {
  EXPECT_EQ(answers("cache.service.consul", LDNS_RR_TYPE_A),
            (Set{"cache.service.consul. A 10.0.0.7"}));
  options_.only_passing = true;
  EXPECT_EQ(rcode("cache.service.consul", LDNS_RR_TYPE_A), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(answers("web.service.consul", LDNS_RR_TYPE_A),
            (Set{"web.service.consul. A 10.0.0.1", "web.service.consul. A 192.0.2.10"}));
}

TEST_F(DnsAnswerTest, NxdomainWithTheZonesSoa) {
  for (const std::string name :
       {"nope.service.consul", "gone.service.consul", "nope.node.consul",
        "zz000001.addr.dc1.consul", "web.nokind.consul", "service.consul"}) {
    SCOPED_TRACE(name);
    LdnsPacket packet = reply(name, LDNS_RR_TYPE_A);
    ASSERT_TRUE(packet);
    EXPECT_EQ(ldns_pkt_get_rcode(packet.get()), LDNS_RCODE_NXDOMAIN);
    EXPECT_TRUE(ldns_pkt_aa(packet.get()));
    EXPECT_EQ(ldns_pkt_ancount(packet.get()), 0);
    const auto authority = section_records(packet.get(), LDNS_SECTION_AUTHORITY);
    ASSERT_EQ(authority.size(), 1u);
    EXPECT_TRUE(authority[0].starts_with("consul. SOA ns.consul. hostmaster.consul. "))
        << authority[0];
  }
}

TEST_F(DnsAnswerTest, NodataForAKnownNameWithoutThatType) {
  LdnsPacket packet = reply("db.service.consul", LDNS_RR_TYPE_A);
  ASSERT_TRUE(packet);
  EXPECT_EQ(ldns_pkt_get_rcode(packet.get()), LDNS_RCODE_NOERROR);
  EXPECT_EQ(ldns_pkt_ancount(packet.get()), 0);
  EXPECT_EQ(section_records(packet.get(), LDNS_SECTION_AUTHORITY).size(), 1u);
  EXPECT_EQ(answers("db.service.consul", LDNS_RR_TYPE_AAAA),
            (Set{"db.service.consul. AAAA fd00::5"}));
  EXPECT_EQ(rcode("web.service.consul", LDNS_RR_TYPE_TXT), LDNS_RCODE_NOERROR);
}

TEST_F(DnsAnswerTest, NodeAndAddrNames) {
  EXPECT_EQ(answers("potd.node.consul", LDNS_RR_TYPE_A), (Set{"potd.node.consul. A 192.0.2.10"}));
  EXPECT_EQ(answers("POTD.node.dc1.consul", LDNS_RR_TYPE_A),
            (Set{"potd.node.dc1.consul. A 192.0.2.10"}));
  EXPECT_EQ(rcode("other.node.consul", LDNS_RR_TYPE_A), LDNS_RCODE_NXDOMAIN);
  EXPECT_EQ(answers("c0a80001.addr.dc1.consul", LDNS_RR_TYPE_A),
            (Set{"c0a80001.addr.dc1.consul. A 192.168.0.1"}));
  EXPECT_EQ(answers("fd000000000000000000000000000005.addr.dc1.consul", LDNS_RR_TYPE_AAAA),
            (Set{"fd000000000000000000000000000005.addr.dc1.consul. AAAA fd00::5"}));
  EXPECT_EQ(rcode("c0a8001.addr.dc1.consul", LDNS_RR_TYPE_A), LDNS_RCODE_NXDOMAIN);  // 7 digits
}

TEST_F(DnsAnswerTest, TheDomainsSoaAndNs) {
  LdnsPacket soa = reply("consul.", LDNS_RR_TYPE_SOA);
  ASSERT_TRUE(soa);
  const auto answer = section_records(soa.get(), LDNS_SECTION_ANSWER);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_TRUE(answer[0].starts_with("consul. SOA ns.consul. hostmaster.consul. ")) << answer[0];
  EXPECT_EQ(section_records(soa.get(), LDNS_SECTION_AUTHORITY),
            (std::vector<std::string>{"consul. NS potd.node.dc1.consul."}));

  LdnsPacket ns = reply("Consul", LDNS_RR_TYPE_NS);
  ASSERT_TRUE(ns);
  EXPECT_EQ(section_records(ns.get(), LDNS_SECTION_ANSWER),
            (std::vector<std::string>{"consul. NS potd.node.dc1.consul."}));
  EXPECT_EQ(section_records(ns.get(), LDNS_SECTION_ADDITIONAL),
            (std::vector<std::string>{"potd.node.dc1.consul. A 192.0.2.10"}));
}

TEST_F(DnsAnswerTest, AnotherDomain) {
  options_.domain = "pot.internal";
  EXPECT_EQ(
      answers("web.service.pot.internal", LDNS_RR_TYPE_A),
      (Set{"web.service.pot.internal. A 10.0.0.1", "web.service.pot.internal. A 192.0.2.10"}));
  EXPECT_EQ(rcode("web.service.consul", LDNS_RR_TYPE_A), LDNS_RCODE_REFUSED);
}

TEST_F(DnsAnswerTest, NamesOutsideTheDomainRefusedOrForwarded) {
  EXPECT_EQ(rcode("example.org", LDNS_RR_TYPE_A), LDNS_RCODE_REFUSED);
  EXPECT_EQ(rcode("consul.example.org", LDNS_RR_TYPE_A), LDNS_RCODE_REFUSED);
  options_.forward = true;
  EXPECT_EQ(ask(make_dns_query("example.org", LDNS_RR_TYPE_A)).action, DnsAnswer::Action::kForward);
  // Inside the domain the server answers itself, and says it recurses.
  LdnsPacket packet = reply("web.service.consul", LDNS_RR_TYPE_A);
  ASSERT_TRUE(packet);
  EXPECT_TRUE(ldns_pkt_ra(packet.get()));
}

TEST_F(DnsAnswerTest, ZoneTransfersAreNotImplemented) {
  EXPECT_EQ(rcode("web.service.consul", LDNS_RR_TYPE_AXFR), LDNS_RCODE_NOTIMPL);
}

// ---------------------------------------------------------------------------------------------
// Hostile and malformed queries
// ---------------------------------------------------------------------------------------------

ldns_pkt_rcode reply_rcode(const DnsAnswer& answer) {
  EXPECT_EQ(answer.action, DnsAnswer::Action::kReply);
  if (answer.packet.size() < 12) return LDNS_RCODE_SERVFAIL;
  LdnsPacket packet = parse_dns(answer.packet);
  return packet ? ldns_pkt_get_rcode(packet.get()) : LDNS_RCODE_SERVFAIL;
}

TEST_F(DnsAnswerTest, ShorterThanAHeaderOrAResponseIsDropped) {
  std::vector<uint8_t> query = make_dns_query("web.service.consul", LDNS_RR_TYPE_A);
  EXPECT_EQ(ask({query.begin(), query.begin() + 11}).action, DnsAnswer::Action::kDrop);
  EXPECT_EQ(ask({}).action, DnsAnswer::Action::kDrop);
  // A response (QR set), e.g. our own reply reflected back: never answered.
  DnsAnswer reply = ask(query);
  EXPECT_EQ(ask(reply.packet).action, DnsAnswer::Action::kDrop);
}

TEST_F(DnsAnswerTest, MalformedQueriesGetFormerrWithTheirId) {
  const std::vector<uint8_t> good = make_dns_query("web.service.consul", LDNS_RR_TYPE_A, 0x1234);

  std::vector<uint8_t> header_only(good.begin(), good.begin() + 12);  // says 1 question, has none
  std::vector<uint8_t> cut(good.begin(), good.end() - 3);
  std::vector<uint8_t> no_question = header_only;
  ldns_write_uint16(no_question.data() + 4, 0);
  std::vector<uint8_t> two_questions = good;
  two_questions.insert(two_questions.end(), good.begin() + 12, good.end());
  ldns_write_uint16(two_questions.data() + 4, 2);
  std::vector<uint8_t> huge_count = good;
  ldns_write_uint16(huge_count.data() + 4, 0xffff);
  // The question's name is a compression pointer to itself.
  std::vector<uint8_t> loop = header_only;
  loop.insert(loop.end(), {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
  // A pointer forward, past the end.
  std::vector<uint8_t> wild = header_only;
  wild.insert(wild.end(), {0xc3, 0xff, 0x00, 0x01, 0x00, 0x01});

  for (const auto* query :
       {&header_only, &cut, &no_question, &two_questions, &huge_count, &loop, &wild}) {
    SCOPED_TRACE(query - &header_only);
    DnsAnswer answer = ask(*query);
    EXPECT_EQ(reply_rcode(answer), LDNS_RCODE_FORMERR);
    ASSERT_GE(answer.packet.size(), 2u);
    EXPECT_EQ(ldns_read_uint16(answer.packet.data()), 0x1234);
  }
}

TEST_F(DnsAnswerTest, OtherOpcodesAreNotImplemented) {
  std::vector<uint8_t> notify = make_dns_query("web.service.consul", LDNS_RR_TYPE_SOA);
  notify[2] = static_cast<uint8_t>((notify[2] & ~LDNS_OPCODE_MASK) | (LDNS_PACKET_NOTIFY << 3));
  EXPECT_EQ(reply_rcode(ask(notify)), LDNS_RCODE_NOTIMPL);
}

TEST_F(DnsAnswerTest, RandomBytesNeverCrashAndNeverAnswerRecords) {
  std::mt19937 random(15);
  for (int round = 0; round < 2000; ++round) {
    std::vector<uint8_t> bytes(random() % 80);
    for (auto& byte : bytes) byte = static_cast<uint8_t>(random());
    DnsAnswer answer = ask(bytes);
    if (answer.action != DnsAnswer::Action::kReply) continue;
    LdnsPacket packet = parse_dns(answer.packet);
    ASSERT_TRUE(packet);
    EXPECT_TRUE(ldns_pkt_qr(packet.get()));
  }
}

// ---------------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------------

class DnsAnswerManyTest : public DnsAnswerTest {
 protected:
  void SetUp() override {
    for (int i = 1; i <= 60; ++i)
      pot::testing::register_test_service(catalog_, "big-" + std::to_string(i), "big",
                                          "10.1.0." + std::to_string(i), 9000 + i);
  }
  LdnsPacket ask_parsed(const std::vector<uint8_t>& query, size_t* size) {
    DnsAnswer answer = ask(query);
    *size = answer.packet.size();
    return parse_dns(answer.packet);
  }
};

TEST_F(DnsAnswerManyTest, UdpRepliesFit512BytesWithTc) {
  size_t size = 0;
  LdnsPacket packet = ask_parsed(make_dns_query("big.service.consul", LDNS_RR_TYPE_A), &size);
  ASSERT_TRUE(packet);
  EXPECT_LE(size, 512u);
  EXPECT_TRUE(ldns_pkt_tc(packet.get()));
  EXPECT_GT(ldns_pkt_ancount(packet.get()), 0);
  EXPECT_LT(ldns_pkt_ancount(packet.get()), 60);
}

TEST_F(DnsAnswerManyTest, SrvTruncationKeepsTheAdditionalRecordsOfTheAnswersLeft) {
  size_t size = 0;
  LdnsPacket packet = ask_parsed(make_dns_query("big.service.consul", LDNS_RR_TYPE_SRV), &size);
  ASSERT_TRUE(packet);
  EXPECT_LE(size, 512u);
  EXPECT_TRUE(ldns_pkt_tc(packet.get()));
  std::set<std::string> targets;
  for (const auto& line : section_records(packet.get(), LDNS_SECTION_ANSWER))
    targets.insert(line.substr(line.rfind(' ') + 1));
  std::set<std::string> owners;
  for (const auto& line : section_records(packet.get(), LDNS_SECTION_ADDITIONAL))
    owners.insert(line.substr(0, line.find(' ')));
  EXPECT_EQ(targets, owners);
}

TEST_F(DnsAnswerManyTest, EdnsSizeAndTcpTakeEverything) {
  size_t size = 0;
  LdnsPacket edns =
      ask_parsed(make_dns_query("big.service.consul", LDNS_RR_TYPE_A, 1, 4096), &size);
  ASSERT_TRUE(edns);
  EXPECT_FALSE(ldns_pkt_tc(edns.get()));
  EXPECT_EQ(ldns_pkt_ancount(edns.get()), 60);
  EXPECT_TRUE(ldns_pkt_edns(edns.get()));  // the reply carries OPT too

  LdnsPacket small_edns =
      ask_parsed(make_dns_query("big.service.consul", LDNS_RR_TYPE_SRV, 1, 1232), &size);
  ASSERT_TRUE(small_edns);
  EXPECT_LE(size, 1232u);
  EXPECT_TRUE(ldns_pkt_tc(small_edns.get()));

  options_.over_tcp = true;
  LdnsPacket tcp = ask_parsed(make_dns_query("big.service.consul", LDNS_RR_TYPE_SRV), &size);
  ASSERT_TRUE(tcp);
  EXPECT_FALSE(ldns_pkt_tc(tcp.get()));
  EXPECT_EQ(ldns_pkt_ancount(tcp.get()), 60);
  EXPECT_EQ(ldns_pkt_arcount(tcp.get()), 60);
}

TEST_F(DnsAnswerManyTest, TheSeedShufflesTheOrder) {
  std::set<std::string> firsts;
  for (uint32_t seed = 1; seed <= 10; ++seed) {
    options_.shuffle_seed = seed;
    LdnsPacket packet = reply("big.service.consul", LDNS_RR_TYPE_A);
    ASSERT_TRUE(packet);
    firsts.insert(section_records(packet.get(), LDNS_SECTION_ANSWER).front());
  }
  EXPECT_GT(firsts.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// The snapshot and the rest
// ---------------------------------------------------------------------------------------------

TEST_F(DnsAnswerTest, SnapshotFollowsTheChecks) {
  ASSERT_TRUE(catalog_.update_check("web-1-check", CheckStatus::kCritical, "down"));
  EXPECT_EQ(answers("web.service.consul", LDNS_RR_TYPE_A),
            (Set{"web.service.consul. A 192.0.2.10"}));
  ASSERT_TRUE(catalog_.update_check("web-3-check", CheckStatus::kPassing, "up"));
  EXPECT_EQ(answers("web.service.consul", LDNS_RR_TYPE_A),
            (Set{"web.service.consul. A 192.0.2.10", "web.service.consul. A 10.0.0.3"}));
  EXPECT_GT(DnsCatalogSnapshot::take(catalog_).index, 1u);
}

TEST_F(DnsAnswerTest, AnInstanceWithAHostNameIsACname) {
  pot::testing::register_test_service(catalog_, "ext-1", "ext", "db.example.internal", 5432);
  EXPECT_EQ(answers("ext.service.consul", LDNS_RR_TYPE_A),
            (Set{"ext.service.consul. CNAME db.example.internal."}));
  EXPECT_EQ(answers("ext.service.consul", LDNS_RR_TYPE_SRV),
            (Set{"ext.service.consul. SRV 1 1 5432 db.example.internal."}));
}

TEST_F(DnsAnswerTest, ErrorReplyKeepsTheQuestion) {
  const auto query = make_dns_query("example.org", LDNS_RR_TYPE_MX, 99);
  LdnsPacket packet = parse_dns(dns_error_reply(query, LDNS_RCODE_SERVFAIL, true));
  ASSERT_TRUE(packet);
  EXPECT_EQ(ldns_pkt_get_rcode(packet.get()), LDNS_RCODE_SERVFAIL);
  EXPECT_EQ(ldns_pkt_id(packet.get()), 99);
  EXPECT_TRUE(ldns_pkt_ra(packet.get()));
  EXPECT_EQ(ldns_pkt_qdcount(packet.get()), 1);
  EXPECT_TRUE(dns_error_reply({}, LDNS_RCODE_SERVFAIL, true).empty());
}

}  // namespace
}  // namespace pot::agent
