#include "agent/dns/dns_forwarder.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

#include <asio/steady_timer.hpp>

#include "agent/dns/dns_answer.h"
#include "agent/dns/ldns_util.h"
#include "core/error.h"

namespace pot::agent {

namespace {

constexpr uint16_t kDnsPort = 53;
constexpr size_t kHeaderSize = 12;

using PacketPtr = LdnsPacket;

PacketPtr parse(const std::vector<uint8_t>& wire) {
  ldns_pkt* packet = nullptr;
  if (ldns_wire2pkt(&packet, wire.data(), wire.size()) != LDNS_STATUS_OK) {
    ldns_pkt_free(packet);
    return nullptr;
  }
  return PacketPtr(packet);
}

// The reply answers the query: a response with the query's ID and the same question
// (the name compared without case).
bool answers(const ldns_pkt* query, const ldns_pkt* reply) {
  if (!ldns_pkt_qr(reply) || ldns_pkt_id(reply) != ldns_pkt_id(query)) return false;
  const ldns_rr_list* asked = ldns_pkt_question(query);
  const ldns_rr_list* got = ldns_pkt_question(reply);
  if (ldns_rr_list_rr_count(got) != 1 || ldns_rr_list_rr_count(asked) != 1) return false;
  const ldns_rr* a = ldns_rr_list_rr(asked, 0);
  const ldns_rr* b = ldns_rr_list_rr(got, 0);
  return ldns_rr_get_type(a) == ldns_rr_get_type(b) &&
         ldns_rr_get_class(a) == ldns_rr_get_class(b) &&
         ldns_dname_compare(ldns_rr_owner(a), ldns_rr_owner(b)) == 0;
}

}  // namespace

asio::ip::udp::endpoint parse_upstream(const std::string& spec) {
  std::string host = spec;
  std::string port_text;
  if (spec.starts_with('[')) {
    const size_t close = spec.find(']');
    if (close == std::string::npos) throw Error("DNS upstream " + quote_name(spec) + ": no `]`");
    host = spec.substr(1, close - 1);
    if (close + 1 < spec.size()) {
      if (spec[close + 1] != ':')
        throw Error("DNS upstream " + quote_name(spec) + ": expected `:PORT` after `]`");
      port_text = spec.substr(close + 2);
    }
  } else if (std::count(spec.begin(), spec.end(), ':') == 1) {
    const size_t colon = spec.find(':');
    host = spec.substr(0, colon);
    port_text = spec.substr(colon + 1);
  }
  asio::error_code error;
  const asio::ip::address address = asio::ip::make_address(host, error);
  if (error) throw Error("DNS upstream " + quote_name(spec) + ": not an IP address");
  int port = kDnsPort;
  if (!port_text.empty()) {
    port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) {
        port = -1;
        break;
      }
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535)
      throw Error("DNS upstream " + quote_name(spec) + ": bad port " + quote_name(port_text));
  }
  return {address, static_cast<uint16_t>(port)};
}

std::vector<std::string> resolv_conf_nameservers(const std::string& path) {
  std::vector<std::string> servers;
  std::ifstream file(path);
  std::string line;
  while (std::getline(file, line)) {
    std::istringstream words(line);
    std::string keyword;
    std::string address;
    if (words >> keyword >> address && keyword == "nameserver") {
      // A scoped IPv6 address (fe80::1%eth0) keeps its scope for make_address.
      servers.push_back(address.find(':') != std::string::npos && !address.starts_with('[')
                            ? "[" + address + "]"
                            : address);
    }
  }
  return servers;
}

// One forwarded query: tries the upstreams in order, each with its own socket (a fresh
// source port) and the timeout.
class DnsForwarder::Exchange : public std::enable_shared_from_this<Exchange> {
 public:
  Exchange(DnsForwarder& forwarder, std::vector<uint8_t> query, Done done)
      : forwarder_(forwarder),
        client_query_(std::move(query)),
        upstream_query_(client_query_),
        done_(std::move(done)),
        socket_(forwarder.io_),
        timer_(forwarder.io_) {
    forwarder_.exchanges_.insert(this);
    // A fresh ID: an answer to the client's ID from elsewhere is not taken for the upstream's.
    ldns_write_uint16(upstream_query_.data(), static_cast<uint16_t>(forwarder_.random_()));
    parsed_query_ = parse(upstream_query_);
  }
  ~Exchange() { forwarder_.exchanges_.erase(this); }

  void start() { try_upstream(0); }

  void close() {
    closed_ = true;
    asio::error_code ignored;
    socket_.close(ignored);
    timer_.cancel();
  }

 private:
  void try_upstream(size_t index) {
    if (closed_) return;
    if (index >= forwarder_.upstreams_.size() || !parsed_query_) return fail();
    upstream_ = index;
    asio::error_code error;
    socket_.close(error);
    const asio::ip::udp::endpoint& endpoint = forwarder_.upstreams_[index];
    socket_.open(endpoint.protocol(), error);
    // Connected: the kernel drops datagrams from other addresses, and an ICMP "port
    // unreachable" fails the receive at once instead of after the timeout.
    if (!error) socket_.connect(endpoint, error);
    if (!error) socket_.send(asio::buffer(upstream_query_), 0, error);
    if (error) return try_upstream(index + 1);

    timer_.expires_after(forwarder_.timeout_);
    timer_.async_wait([self = shared_from_this(), index](const asio::error_code& timer_error) {
      if (!timer_error && !self->closed_ && self->upstream_ == index) {
        asio::error_code ignored;
        self->socket_.cancel(ignored);  // the receive ends with operation_aborted
      }
    });
    receive(index);
  }

  void receive(size_t index) {
    socket_.async_receive(asio::buffer(buffer_), [self = shared_from_this(), index](
                                                     const asio::error_code& error, size_t size) {
      self->on_receive(index, error, size);
    });
  }

  void on_receive(size_t index, const asio::error_code& error, size_t size) {
    if (closed_ || index != upstream_) return;
    if (error) {
      timer_.cancel();
      return try_upstream(index + 1);
    }
    std::vector<uint8_t> reply(buffer_.begin(), buffer_.begin() + static_cast<long>(size));
    PacketPtr parsed = size >= kHeaderSize ? parse(reply) : nullptr;
    if (!parsed || !answers(parsed_query_.get(), parsed.get())) return receive(index);  // stray
    timer_.cancel();
    const auto rcode = ldns_pkt_get_rcode(parsed.get());
    if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) return try_upstream(index + 1);
    ldns_write_uint16(reply.data(), ldns_read_uint16(client_query_.data()));
    finish(std::move(reply));
  }

  void fail() { finish(dns_error_reply(client_query_, LDNS_RCODE_SERVFAIL, true)); }

  void finish(std::vector<uint8_t> reply) {
    close();
    Done done = std::move(done_);
    if (done && !reply.empty()) done(std::move(reply));
  }

  DnsForwarder& forwarder_;
  std::vector<uint8_t> client_query_;
  std::vector<uint8_t> upstream_query_;
  PacketPtr parsed_query_;
  Done done_;
  asio::ip::udp::socket socket_;
  asio::steady_timer timer_;
  std::array<uint8_t, 65536> buffer_{};
  size_t upstream_ = 0;
  bool closed_ = false;
};

DnsForwarder::DnsForwarder(asio::io_context& io, std::vector<asio::ip::udp::endpoint> upstreams,
                           std::chrono::milliseconds timeout)
    : io_(io),
      upstreams_(std::move(upstreams)),
      timeout_(timeout),
      random_(std::random_device{}()) {}

DnsForwarder::~DnsForwarder() {
  close_all();
}

void DnsForwarder::forward(std::vector<uint8_t> query, Done done) {
  std::make_shared<Exchange>(*this, std::move(query), std::move(done))->start();
}

void DnsForwarder::close_all() {
  // close() does not erase: the exchanges go when their last handler has run.
  for (Exchange* exchange : exchanges_) exchange->close();
}

}  // namespace pot::agent
