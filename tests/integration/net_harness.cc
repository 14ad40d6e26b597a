#include "net_harness.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstring>
#include <stdexcept>

#include "helpers/netns.h"
#include "net/ip_address.h"
#include "net/netlink.h"

namespace potit {

NetNamespace::NetNamespace() : fd_(pot::testing::new_network_namespace()) {}

void NetNamespace::run(const std::function<void()>& fn) const {
  pot::testing::in_network_namespace(fd_.get(), fn);
}

ClientNetwork::ClientNetwork(const std::string& host_if) : host_if_(host_if) {
  pot::net::Netlink host;
  host.delete_link(host_if_);
  host.create_veth(host_if_, "eth0", ns_.fd());
  host.add_address(host_if_, {pot::net::IpAddress::parse(kHostAddress), 24});
  host.add_address(host_if_, {pot::net::IpAddress::parse(kHostAddress6), 64});
  host.set_up(host_if_);
  pot::net::Netlink client(ns_.fd());
  client.add_address("eth0", {pot::net::IpAddress::parse(kClientAddress), 24});
  client.add_address("eth0", {pot::net::IpAddress::parse(kClientAddress6), 64});
  client.set_up("eth0");
  client.set_up("lo");
}

ClientNetwork& shared_client_network() {
  static ClientNetwork network(ClientNetwork::kHostInterface);
  return network;
}

ClientNetwork::~ClientNetwork() {
  try {
    pot::net::Netlink().delete_link(host_if_);
  } catch (...) {
    // the namespace's end goes with the namespace, and takes ours with it
  }
}

std::string http_get(const std::string& address, uint16_t port, const std::string& path,
                     int timeout_ms) {
  socklen_t length = 0;
  sockaddr_storage target =
      pot::testing::socket_address(pot::net::IpAddress::parse(address), port, length);
  pot::UniqueFd sock(::socket(target.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock) return "";
  if (::connect(sock.get(), reinterpret_cast<sockaddr*>(&target), length) != 0 &&
      errno != EINPROGRESS)
    return "";
  pollfd entry{sock.get(), POLLOUT, 0};
  if (::poll(&entry, 1, timeout_ms) != 1) return "";
  int error = 0;
  socklen_t error_length = sizeof error;
  ::getsockopt(sock.get(), SOL_SOCKET, SO_ERROR, &error, &error_length);
  if (error != 0) return "";
  std::string request = "GET " + path + " HTTP/1.0\r\nHost: pot-test\r\n\r\n";
  if (::send(sock.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return "";
  std::string response;
  char buf[4096];
  for (;;) {
    entry = pollfd{sock.get(), POLLIN, 0};
    if (::poll(&entry, 1, timeout_ms) != 1) return "";
    ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "";
    if (n == 0) break;
    response.append(buf, static_cast<size_t>(n));
  }
  size_t body = response.find("\r\n\r\n");
  return body == std::string::npos ? "" : response.substr(body + 4);
}

std::vector<uint16_t> free_host_ports(size_t count) {
  // Each socket holds its port until all are chosen, so the ports differ; a dual-stack
  // socket on [::] is refused a port that any IPv4 or IPv6 socket has.
  std::vector<pot::UniqueFd> held;
  std::vector<uint16_t> ports;
  while (ports.size() < count) {
    pot::UniqueFd sock(::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_storage local{};
    socklen_t length;
    if (sock) {
      int zero = 0;
      ::setsockopt(sock.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
      local.ss_family = AF_INET6;
      length = sizeof(sockaddr_in6);
    } else {
      sock.reset(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));  // a host without IPv6
      local.ss_family = AF_INET;
      length = sizeof(sockaddr_in);
    }
    if (!sock || ::bind(sock.get(), reinterpret_cast<sockaddr*>(&local), length) != 0 ||
        ::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0)
      throw std::runtime_error(std::string("finding a free host port: ") + std::strerror(errno));
    uint16_t port =
        ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                         : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    held.push_back(std::move(sock));
    // Not one pot may pick for a port without HOST_PORT (a test's auto-picked port would
    // then collide with it).
    if (port < 30000 || port > 32767) ports.push_back(port);
    if (held.size() > count + 100) throw std::runtime_error("finding a free host port: none left");
  }
  return ports;
}

PeerAddressServer::PeerAddressServer(const NetNamespace* ns, const std::string& address,
                                     uint16_t port) {
  auto make_listener = [&] {
    socklen_t length = 0;
    sockaddr_storage local =
        pot::testing::socket_address(pot::net::IpAddress::parse(address), port, length);
    listener_.reset(::socket(local.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
    int one = 1;
    ::setsockopt(listener_.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(listener_.get(), reinterpret_cast<sockaddr*>(&local), length) != 0 ||
        ::listen(listener_.get(), 16) != 0 ||
        ::getsockname(listener_.get(), reinterpret_cast<sockaddr*>(&local), &length) != 0)
      throw std::runtime_error("listening on " + address + ":" + std::to_string(port) + ": " +
                               std::strerror(errno));
    port_ = ntohs(local.ss_family == AF_INET ? reinterpret_cast<sockaddr_in*>(&local)->sin_port
                                             : reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
  };
  if (ns != nullptr) {
    ns->run(make_listener);  // the socket stays in the namespace it was made in
  } else {
    make_listener();
  }
  thread_ = std::thread([this] {
    while (!stop_) {
      pollfd entry{listener_.get(), POLLIN, 0};
      if (::poll(&entry, 1, 100) != 1) continue;
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      pot::UniqueFd conn(
          ::accept4(listener_.get(), reinterpret_cast<sockaddr*>(&peer), &length, SOCK_CLOEXEC));
      if (!conn) continue;
      char buf[2048];
      (void)::recv(conn.get(), buf, sizeof buf, 0);  // the request: one packet is enough here
      std::string body = pot::testing::address_of(peer);
      std::string response =
          "HTTP/1.0 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)::send(conn.get(), response.data(), response.size(), MSG_NOSIGNAL);
    }
  });
}

PeerAddressServer::~PeerAddressServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

}  // namespace potit
