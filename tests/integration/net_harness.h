// Test hosts for the networking tests: network namespaces held by a sleeping child, a
// "client" namespace joined to the host by a veth pair (it plays POT_EXTIF's network), and
// small TCP helpers that run inside any of them. Traffic only ever goes to these.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "core/unique_fd.h"

namespace potit {

// A network namespace of its own, alive while this object (its only fd) is.
class NetNamespace {
 public:
  NetNamespace();
  NetNamespace(const NetNamespace&) = delete;
  NetNamespace& operator=(const NetNamespace&) = delete;
  int fd() const { return fd_.get(); }
  // Runs fn on a thread that has entered this namespace, and waits for it.
  void run(const std::function<void()>& fn) const;

 private:
  pot::UniqueFd fd_;
};

// The client network: 198.51.100.1/24 (and 2001:db8:5::1/64) on the host end `host_if`,
// .2 (and ::2) on eth0 in the client namespace.
class ClientNetwork {
 public:
  explicit ClientNetwork(const std::string& host_if);
  ~ClientNetwork();
  const std::string& host_interface() const { return host_if_; }
  const NetNamespace& ns() const { return ns_; }
  static constexpr const char* kHostInterface = "pottest-ext0";
  static constexpr const char* kHostAddress = "198.51.100.1";
  static constexpr const char* kClientAddress = "198.51.100.2";
  static constexpr const char* kHostAddress6 = "2001:db8:5::1";
  static constexpr const char* kClientAddress6 = "2001:db8:5::2";

 private:
  std::string host_if_;
  NetNamespace ns_;
};

// The one client network of this test binary (on kHostInterface), made on first use: every
// suite that needs a POT_EXTIF network shares it, as two would claim the same subnet.
ClientNetwork& shared_client_network();

// GET `path` over HTTP/1.0 to address:port from the calling thread's namespace; the body, or
// "" when the connection fails or times out.
std::string http_get(const std::string& address, uint16_t port, const std::string& path,
                     int timeout_ms = 3000);
// GET /.
inline std::string http_get(const std::string& address, uint16_t port, int timeout_ms = 3000) {
  return http_get(address, port, "/", timeout_ms);
}

// `count` distinct TCP ports that no socket on the host (IPv4 or IPv6) has right now, chosen
// by the kernel from its ephemeral range (apart from the 30000-32767 pot picks from), for a
// test's exported host ports: two test runs on one machine never choose the same one.
std::vector<uint16_t> free_host_ports(size_t count);
inline uint16_t free_host_port() {
  return free_host_ports(1).at(0);
}

// A server that answers every HTTP request with the address of the peer that connected,
// listening on address:port in `ns` (or the host's namespace when null); port 0: one the
// kernel picks, see port().
class PeerAddressServer {
 public:
  PeerAddressServer(const NetNamespace* ns, const std::string& address, uint16_t port = 0);
  ~PeerAddressServer();
  uint16_t port() const { return port_; }

 private:
  pot::UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace potit
