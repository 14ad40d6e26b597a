// The DNS server (agent/dns/dns_server.h) on 127.0.0.1 with port 0, over a real catalog,
// asked by Debian's `dig` as a user would, and by raw sockets for what dig will not send
// (malformed packets, idle connections).
#include "agent/dns/dns_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "core/error.h"
#include "core/unique_fd.h"
#include "dns_test_util.h"
#include "helpers/require.h"
#include "test_util.h"
#include "tool_run.h"

namespace pot::agent {
namespace {

using pot::testing::make_dns_query;
using pot::testing::parse_dns;
using Lines = std::set<std::string>;
using namespace std::chrono_literals;

constexpr const char* kDig = "/usr/bin/dig";

// ---------------------------------------------------------------------------------------------
// Raw clients
// ---------------------------------------------------------------------------------------------

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

bool wait_readable(int fd, std::chrono::milliseconds timeout) {
  pollfd entry{fd, POLLIN, 0};
  return ::poll(&entry, 1, static_cast<int>(timeout.count())) == 1;
}

// Sends one datagram; the reply, or empty when none came within `timeout`.
std::vector<uint8_t> udp_exchange(int port, const std::vector<uint8_t>& packet,
                                  std::chrono::milliseconds timeout = 2s) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  const sockaddr_in to = loopback(port);
  EXPECT_EQ(::sendto(fd.get(), packet.data(), packet.size(), 0,
                     reinterpret_cast<const sockaddr*>(&to), sizeof to),
            static_cast<ssize_t>(packet.size()));
  if (!wait_readable(fd.get(), timeout)) return {};
  std::vector<uint8_t> reply(65536);
  const ssize_t size = ::recv(fd.get(), reply.data(), reply.size(), 0);
  reply.resize(size > 0 ? static_cast<size_t>(size) : 0);
  return reply;
}

class TcpClient {
 public:
  explicit TcpClient(int port) : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    const sockaddr_in to = loopback(port);
    connected_ = ::connect(fd_.get(), reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0;
  }
  bool connected() const { return connected_; }

  void send_raw(const std::vector<uint8_t>& bytes) {
    ASSERT_EQ(::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  void send_message(const std::vector<uint8_t>& message) {
    std::vector<uint8_t> framed(2);
    ldns_write_uint16(framed.data(), static_cast<uint16_t>(message.size()));
    framed.insert(framed.end(), message.begin(), message.end());
    send_raw(framed);
  }
  // One length-prefixed message; nullopt when the server closed the connection (or nothing
  // came within `timeout`).
  std::optional<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout = 2s) {
    std::vector<uint8_t> length(2);
    if (!read_exactly(length, timeout)) return std::nullopt;
    std::vector<uint8_t> message(ldns_read_uint16(length.data()));
    if (!read_exactly(message, timeout)) return std::nullopt;
    return message;
  }
  // True when the server closed the connection within `timeout`.
  bool closed_by_server(std::chrono::milliseconds timeout) {
    if (!wait_readable(fd_.get(), timeout)) return false;
    char byte = 0;
    return ::recv(fd_.get(), &byte, 1, 0) <= 0;
  }

 private:
  bool read_exactly(std::vector<uint8_t>& into, std::chrono::milliseconds timeout) {
    size_t have = 0;
    while (have < into.size()) {
      if (!wait_readable(fd_.get(), timeout)) return false;
      const ssize_t got = ::recv(fd_.get(), into.data() + have, into.size() - have, 0);
      if (got <= 0) return false;
      have += static_cast<size_t>(got);
    }
    return true;
  }

  UniqueFd fd_;
  bool connected_ = false;
};

ldns_pkt_rcode rcode_of(const std::vector<uint8_t>& reply) {
  LdnsPacket packet = parse_dns(reply);
  return packet ? ldns_pkt_get_rcode(packet.get()) : LDNS_RCODE_YXDOMAIN;  // "not a reply"
}

// A port nobody listens on (UDP): bound, read, closed.
int closed_udp_port() {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback(0);
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length);
  return ntohs(address.sin_port);
}

// ---------------------------------------------------------------------------------------------
// The fixture: the catalog of dns_test_util.h, a server, and dig
// ---------------------------------------------------------------------------------------------

class DnsServerTest : public ::testing::Test {
 protected:
  DnsServerTest() : catalog_(pot::testing::test_dns_node()) {
    pot::testing::fill_test_catalog(catalog_);
    options_.listen = {DnsListen{"127.0.0.1", 0, false}};
  }

  void SetUp() override {
    POT_REQUIRE(std::filesystem::exists(kDig), "dig (dnsutils) is not installed");
  }

  DnsServer& start(DnsServerOptions options) {
    server_ = std::make_unique<DnsServer>(catalog_, std::move(options));
    server_->start();
    return *server_;
  }
  DnsServer& start() { return start(options_); }
  int port() const { return server_->port(); }

  // dig's output, each line trimmed; `args` after the server and port.
  std::vector<std::string> dig(int port, std::vector<std::string> args) {
    args.insert(args.begin(), {"@127.0.0.1", "-p", std::to_string(port), "+time=3", "+tries=1"});
    const auto run =
        pot::testing::run_tool(kDig, args, "/dev/null", temp_.path() / "out", temp_.path() / "err");
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    std::vector<std::string> lines;
    std::istringstream stream(run.out);
    for (std::string line; std::getline(stream, line);)
      if (!line.empty()) lines.push_back(line);
    return lines;
  }
  Lines dig_short(std::vector<std::string> args) {
    args.push_back("+short");
    auto lines = dig(port(), std::move(args));
    return {lines.begin(), lines.end()};
  }
  // The status dig reports ("NOERROR", "NXDOMAIN", ...).
  std::string dig_status(int server_port, std::vector<std::string> args) {
    for (const std::string& line : dig(server_port, std::move(args))) {
      const size_t at = line.find("status: ");
      if (at != std::string::npos) return line.substr(at + 8, line.find(',', at) - at - 8);
    }
    return "no reply";
  }
  // Records of the answer and additional sections, whitespace collapsed: "NAME TTL IN TYPE DATA".
  Lines dig_records(std::vector<std::string> args) {
    args.insert(args.end(), {"+noall", "+answer", "+additional"});
    Lines records;
    for (const std::string& line : dig(port(), std::move(args))) {
      if (line.starts_with(";")) continue;
      std::istringstream words(line);
      std::string record;
      for (std::string word; words >> word;) record += (record.empty() ? "" : " ") + word;
      records.insert(record);
    }
    return records;
  }

  pot::testing::TempDir temp_{"pot-dns"};
  ServiceCatalog catalog_;
  DnsServerOptions options_;
  std::unique_ptr<DnsServer> server_;
};

const Lines kWebAddresses{"10.0.0.1", "192.0.2.10"};

TEST_F(DnsServerTest, AnswersDigOverUdp) {
  start();
  ASSERT_GT(port(), 0);
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), kWebAddresses);
  EXPECT_EQ(dig_short({"potd.node.consul", "A"}), (Lines{"192.0.2.10"}));
  EXPECT_EQ(dig_short({"db.service.consul", "AAAA"}), (Lines{"fd00::5"}));
}

TEST_F(DnsServerTest, SrvWithTheAddressesInAdditional) {
  start();
  EXPECT_EQ(dig_records({"_web._tcp.service.consul", "SRV"}),
            (Lines{"_web._tcp.service.consul. 0 IN SRV 1 1 8080 0a000001.addr.dc1.consul.",
                   "_web._tcp.service.consul. 0 IN SRV 1 1 8081 potd.node.dc1.consul.",
                   "0a000001.addr.dc1.consul. 0 IN A 10.0.0.1",
                   "potd.node.dc1.consul. 0 IN A 192.0.2.10"}));
}

TEST_F(DnsServerTest, AnswersOverTcpSeveralQueriesOnOneConnection) {
  start();
  EXPECT_EQ(dig_short({"web.service.consul", "A", "+tcp"}), kWebAddresses);

  TcpClient client(port());
  ASSERT_TRUE(client.connected());
  for (uint16_t id = 1; id <= 3; ++id) {
    client.send_message(make_dns_query("v1.web.service.consul", LDNS_RR_TYPE_A, id));
    auto reply = client.receive();
    ASSERT_TRUE(reply) << "query " << id;
    LdnsPacket packet = parse_dns(*reply);
    ASSERT_TRUE(packet);
    EXPECT_EQ(ldns_pkt_id(packet.get()), id);
    EXPECT_EQ(pot::testing::section_records(packet.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::string>{"v1.web.service.consul. A 10.0.0.1"}));
  }
}

TEST_F(DnsServerTest, TagLookup) {
  start();
  EXPECT_EQ(dig_short({"v1.web.service.consul", "A"}), (Lines{"10.0.0.1"}));
  EXPECT_EQ(dig_short({"_web._v1.service.consul", "SRV"}),
            (Lines{"1 1 8080 0a000001.addr.dc1.consul."}));
}

TEST_F(DnsServerTest, AnInstanceTurningCriticalLeavesTheAnswer) {
  start();
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), kWebAddresses);
  ASSERT_TRUE(catalog_.update_check("web-1-check", CheckStatus::kCritical, "connection refused"));
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), (Lines{"192.0.2.10"}));
  ASSERT_TRUE(catalog_.update_check("web-1-check", CheckStatus::kPassing, "ok"));
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), kWebAddresses);
  ASSERT_TRUE(catalog_.deregister_instance("web-2"));
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), (Lines{"10.0.0.1"}));
}

TEST_F(DnsServerTest, NxdomainForUnknownNamesRefusedOutsideTheDomain) {
  start();
  EXPECT_EQ(dig_status(port(), {"nope.service.consul", "A"}), "NXDOMAIN");
  EXPECT_EQ(dig_status(port(), {"gone.service.consul", "A"}), "NXDOMAIN");
  EXPECT_EQ(dig_status(port(), {"example.org", "A"}), "REFUSED");
}

// Malformed packets: answered with FORMERR or dropped, and the server keeps answering.
TEST_F(DnsServerTest, MalformedPacketsOverUdp) {
  start();
  const std::vector<uint8_t> good = make_dns_query("web.service.consul", LDNS_RR_TYPE_A, 7);
  std::vector<uint8_t> truncated_header(good.begin(), good.begin() + 5);
  std::vector<uint8_t> huge_count = good;
  ldns_write_uint16(huge_count.data() + 4, 0xffff);
  std::vector<uint8_t> loop(good.begin(), good.begin() + 12);
  loop.insert(loop.end(), {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
  std::mt19937 random(15);
  std::vector<uint8_t> noise(300);
  for (auto& byte : noise) byte = static_cast<uint8_t>(random());
  noise[2] &= 0x7f;  // a query, not a response (those are dropped: see below)

  EXPECT_TRUE(udp_exchange(port(), truncated_header, 300ms).empty());  // dropped
  for (const auto* packet : {&huge_count, &loop}) {
    const auto reply = udp_exchange(port(), *packet);
    EXPECT_EQ(rcode_of(reply), LDNS_RCODE_FORMERR);
  }
  const auto noise_reply = udp_exchange(port(), noise, 500ms);
  EXPECT_TRUE(noise_reply.empty() || rcode_of(noise_reply) != LDNS_RCODE_NOERROR);
  // A response sent to the server is never answered (no loops between two servers).
  std::vector<uint8_t> response = udp_exchange(port(), good);
  ASSERT_FALSE(response.empty());
  EXPECT_TRUE(udp_exchange(port(), response, 300ms).empty());

  EXPECT_EQ(dig_short({"web.service.consul", "A"}), kWebAddresses);
}

TEST_F(DnsServerTest, MalformedMessagesOverTcp) {
  start();
  const std::vector<uint8_t> good = make_dns_query("web.service.consul", LDNS_RR_TYPE_A, 7);
  {
    // A message shorter than a header: the stream is not DNS, the connection goes.
    TcpClient client(port());
    client.send_message({good.begin(), good.begin() + 5});
    EXPECT_TRUE(client.closed_by_server(2s));
  }
  {
    // A compression loop: FORMERR, and the connection goes on.
    TcpClient client(port());
    std::vector<uint8_t> loop(good.begin(), good.begin() + 12);
    loop.insert(loop.end(), {0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01});
    client.send_message(loop);
    auto reply = client.receive();
    ASSERT_TRUE(reply);
    EXPECT_EQ(rcode_of(*reply), LDNS_RCODE_FORMERR);
    client.send_message(good);
    reply = client.receive();
    ASSERT_TRUE(reply);
    EXPECT_EQ(rcode_of(*reply), LDNS_RCODE_NOERROR);
  }
  {
    // A length longer than what comes, then the client goes away.
    TcpClient client(port());
    client.send_raw({0xff, 0xff, 0x00, 0x01});
  }
  EXPECT_EQ(dig_short({"web.service.consul", "A", "+tcp"}), kWebAddresses);
}

TEST_F(DnsServerTest, IdleTcpConnectionsAreClosed) {
  options_.tcp_idle_timeout = 200ms;
  start();
  TcpClient client(port());
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.closed_by_server(5s));
}

TEST_F(DnsServerTest, ConnectionsBeyondTheCapAreClosed) {
  options_.max_tcp_connections = 2;
  start();
  TcpClient first(port());
  TcpClient second(port());
  // Both served: the server has taken them when they answer.
  for (TcpClient* client : {&first, &second}) {
    client->send_message(make_dns_query("web.service.consul", LDNS_RR_TYPE_A));
    ASSERT_TRUE(client->receive());
  }
  TcpClient third(port());
  EXPECT_TRUE(third.closed_by_server(5s));
  first.send_message(make_dns_query("web.service.consul", LDNS_RR_TYPE_A));
  EXPECT_TRUE(first.receive());
}

// ---------------------------------------------------------------------------------------------
// Forwarding: a second server, authoritative for `upstream`, is the upstream.
// ---------------------------------------------------------------------------------------------

class DnsServerForwardTest : public DnsServerTest {
 protected:
  void SetUp() override {
    DnsServerTest::SetUp();
    if (IsSkipped()) return;
    upstream_catalog_ = std::make_unique<ServiceCatalog>(pot::testing::test_dns_node());
    pot::testing::register_test_service(*upstream_catalog_, "far-1", "far", "10.9.9.9", 80);
    DnsServerOptions upstream_options;
    upstream_options.listen = {DnsListen{"127.0.0.1", 0, false}};
    upstream_options.domain = "upstream";
    upstream_ = std::make_unique<DnsServer>(*upstream_catalog_, upstream_options);
    upstream_->start();
  }
  std::string upstream_address() const { return "127.0.0.1:" + std::to_string(upstream_->port()); }

  std::unique_ptr<ServiceCatalog> upstream_catalog_;
  std::unique_ptr<DnsServer> upstream_;
};

TEST_F(DnsServerForwardTest, NamesOutsideTheDomainGoToTheUpstream) {
  options_.listen = {DnsListen{"127.0.0.1", 0, true}};
  options_.upstreams = {upstream_address()};
  start();
  EXPECT_EQ(dig_short({"far.service.upstream", "A"}), (Lines{"10.9.9.9"}));
  EXPECT_EQ(dig_short({"far.service.upstream", "A", "+tcp"}), (Lines{"10.9.9.9"}));
  EXPECT_EQ(dig_status(port(), {"nope.service.upstream", "A"}), "NXDOMAIN");  // relayed
  // Its own names it still answers itself.
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), kWebAddresses);
  // The upstream refuses what is outside its own domain; with no other upstream: SERVFAIL.
  EXPECT_EQ(dig_status(port(), {"example.org", "A"}), "SERVFAIL");
}

TEST_F(DnsServerForwardTest, AnUnreachableUpstreamIsSkippedThenServfail) {
  options_.listen = {DnsListen{"127.0.0.1", 0, true}};
  options_.upstream_timeout = 500ms;
  options_.upstreams = {"127.0.0.1:" + std::to_string(closed_udp_port())};
  start();
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(dig_status(port(), {"far.service.upstream", "A"}), "SERVFAIL");
  EXPECT_LT(std::chrono::steady_clock::now() - began, 2s);
  server_.reset();

  // The dead one first, then the live one: answered by the second.
  options_.upstreams.push_back(upstream_address());
  start();
  EXPECT_EQ(dig_short({"far.service.upstream", "A"}), (Lines{"10.9.9.9"}));
}

TEST_F(DnsServerForwardTest, ASilentUpstreamTimesOut) {
  // A bound socket that never answers.
  UniqueFd silent(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  sockaddr_in address = loopback(0);
  ASSERT_EQ(::bind(silent.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  socklen_t length = sizeof address;
  ::getsockname(silent.get(), reinterpret_cast<sockaddr*>(&address), &length);

  options_.listen = {DnsListen{"127.0.0.1", 0, true}};
  options_.upstream_timeout = 300ms;
  options_.upstreams = {"127.0.0.1:" + std::to_string(ntohs(address.sin_port)), upstream_address()};
  start();
  const auto began = std::chrono::steady_clock::now();
  EXPECT_EQ(dig_short({"far.service.upstream", "A"}), (Lines{"10.9.9.9"}));
  EXPECT_GE(std::chrono::steady_clock::now() - began, 300ms);
  EXPECT_TRUE(wait_readable(silent.get(), 0ms));  // the query did reach it

  options_.upstreams = {options_.upstreams[0]};
  server_.reset();
  start();
  EXPECT_EQ(dig_status(port(), {"far.service.upstream", "A"}), "SERVFAIL");
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

TEST_F(DnsServerTest, StopClosesTheSockets) {
  start();
  const int bound = port();
  {
    TcpClient open_connection(bound);
    ASSERT_TRUE(open_connection.connected());
    server_->stop();
    EXPECT_TRUE(open_connection.closed_by_server(2s));
  }
  EXPECT_FALSE(TcpClient(bound).connected());
  EXPECT_TRUE(
      udp_exchange(bound, make_dns_query("web.service.consul", LDNS_RR_TYPE_A), 200ms).empty());
  server_->stop();  // again: nothing
}

TEST_F(DnsServerTest, TwoListenersAndAFixedPort) {
  start();
  const int first = port();
  server_.reset();
  // The same port, fixed, now free again; and a second listener.
  options_.listen = {DnsListen{"127.0.0.1", first, false}, DnsListen{"127.0.0.1", 0, false}};
  start();
  EXPECT_EQ(server_->port(0), first);
  EXPECT_GT(server_->port(1), 0);
  EXPECT_NE(server_->port(1), first);
  EXPECT_EQ(dig_short({"web.service.consul", "A"}), kWebAddresses);
  const auto lines = dig(server_->port(1), {"web.service.consul", "A", "+short"});
  EXPECT_EQ(Lines(lines.begin(), lines.end()), kWebAddresses);
}

TEST_F(DnsServerTest, BindsAnAddressTheHostDoesNotHave) {
  // IP_FREEBIND: potd's listener on the pots' gateway address before the bridge exists.
  options_.listen = {DnsListen{"192.0.2.53", 0, false}};
  EXPECT_NO_THROW(start());
  EXPECT_GT(port(), 0);
}

TEST_F(DnsServerTest, BadListenersAreErrorsNamingThem) {
  options_.listen = {DnsListen{"not-an-address", 0, false}};
  try {
    start();
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("not-an-address"), std::string::npos) << error.what();
  }
  // A port already taken (by the first server).
  options_.listen = {DnsListen{"127.0.0.1", 0, false}};
  DnsServer first(catalog_, options_);
  first.start();
  options_.listen = {DnsListen{"127.0.0.1", first.port(), false}};
  EXPECT_THROW(start(), Error);
  options_.upstreams = {"127.0.0.1:notaport"};
  options_.listen = {DnsListen{"127.0.0.1", 0, true}};
  EXPECT_THROW(start(), Error);
}

}  // namespace
}  // namespace pot::agent
