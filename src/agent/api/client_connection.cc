#include "agent/api/client_connection.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <filesystem>
#include <string>

namespace pot::agent::http {
namespace {

// The numeric host and port of a socket address (IPv4 or IPv6), as httplib reports them.
bool host_and_port(const sockaddr_storage& address, std::string& host, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    if (::inet_ntop(AF_INET, &in.sin_addr, text, sizeof text) == nullptr) return false;
    port = ntohs(in.sin_port);
  } else if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address);
    if (::inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof text) == nullptr) return false;
    port = ntohs(in6.sin6_port);
  } else {
    return false;
  }
  host = text;
  return true;
}

bool is_connection_of(int fd, const httplib::Request& request) {
  sockaddr_storage local{};
  sockaddr_storage peer{};
  socklen_t local_size = sizeof local;
  socklen_t peer_size = sizeof peer;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &local_size) != 0) return false;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &peer_size) != 0) return false;
  std::string local_host, peer_host;
  int local_port = 0, peer_port = 0;
  return host_and_port(local, local_host, local_port) &&
         host_and_port(peer, peer_host, peer_port) && local_port == request.local_port &&
         peer_port == request.remote_port && local_host == request.local_addr &&
         peer_host == request.remote_addr;
}

}  // namespace

std::optional<ClientConnection> ClientConnection::find(const httplib::Request& request) {
  if (request.remote_port <= 0 || request.local_port <= 0) return std::nullopt;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd", error)) {
    int fd = -1;
    try {
      fd = std::stoi(entry.path().filename().string());
    } catch (const std::exception&) {
      continue;
    }
    std::error_code link_error;
    const std::string target = std::filesystem::read_symlink(entry.path(), link_error).string();
    if (link_error || !target.starts_with("socket:")) continue;
    if (is_connection_of(fd, request)) return ClientConnection(fd);
  }
  return std::nullopt;
}

bool ClientConnection::closed() const {
  pollfd probe{fd_, POLLIN | POLLRDHUP, 0};
  if (::poll(&probe, 1, 0) <= 0) return false;
  if ((probe.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0) return true;
  // Readable: a client sending more while we stream is unusual; end of file is a close.
  char byte = 0;
  const ssize_t n = ::recv(fd_, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0;
}

}  // namespace pot::agent::http
