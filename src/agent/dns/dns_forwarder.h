// Forwarding for the DNS server's listeners that forward (DnsListen::forward): a query for a
// name outside the domain goes, unchanged but for a fresh ID, to the upstream resolvers over
// UDP, one after the other: an upstream that does not answer within the timeout, cannot be
// reached, or answers with anything but NOERROR or NXDOMAIN passes the query on to the next
// (as Consul's recursors). The first good answer goes back with the client's ID; when every
// upstream failed the client gets SERVFAIL.
//
// Everything runs on the server's io_context thread: no locks.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/udp.hpp>

namespace pot::agent {

// "ADDRESS", "ADDRESS:PORT", "[IPV6]:PORT" (port 53 when none). Throws pot::Error naming the
// upstream when it is not such an address.
asio::ip::udp::endpoint parse_upstream(const std::string& spec);

// The addresses of the `nameserver` lines of a resolv.conf (empty when it cannot be read).
std::vector<std::string> resolv_conf_nameservers(const std::string& path = "/etc/resolv.conf");

class DnsForwarder {
 public:
  using Done = std::function<void(std::vector<uint8_t> reply)>;

  DnsForwarder(asio::io_context& io, std::vector<asio::ip::udp::endpoint> upstreams,
               std::chrono::milliseconds timeout);
  ~DnsForwarder();
  DnsForwarder(const DnsForwarder&) = delete;
  DnsForwarder& operator=(const DnsForwarder&) = delete;

  // Forwards `query` (a parsed, answerable query); `done` gets the reply for the client.
  void forward(std::vector<uint8_t> query, Done done);
  // Cancels every exchange in flight; their `done` is not called.
  void close_all();

  size_t in_flight() const { return exchanges_.size(); }

 private:
  class Exchange;
  friend class Exchange;

  asio::io_context& io_;
  std::vector<asio::ip::udp::endpoint> upstreams_;
  std::chrono::milliseconds timeout_;
  std::mt19937 random_;  // the IDs of forwarded queries
  std::set<Exchange*> exchanges_;
};

}  // namespace pot::agent
