// Network namespaces and socket addresses for tests: a namespace of their own for the
// netlink and nftables unit tests, and the test hosts of the networking integration tests.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <string>
#include <thread>

#include "core/error.h"
#include "core/unique_fd.h"
#include "net/ip_address.h"

namespace pot::testing {

// Runs `fn` on a thread of its own inside the network namespace `netns_fd` (setns moves only
// the calling thread, so the test's own thread never leaves its namespace; sockets made in
// `fn`, libnftables' included, stay in that namespace).
template <typename Fn>
void in_network_namespace(int netns_fd, Fn&& fn) {
  std::exception_ptr failure;
  std::thread([&] {
    try {
      if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_sys("setns");
      fn();
    } catch (...) {
      failure = std::current_exception();
    }
  }).join();
  if (failure) std::rethrow_exception(failure);
}

// A new, empty network namespace held only by the returned fd: a thread unshares, opens its
// namespace and ends. Closing the fd destroys the namespace with its links and nftables
// tables, so nothing outlives the test and nothing touches the host's namespace.
inline UniqueFd new_network_namespace() {
  UniqueFd fd;
  std::exception_ptr failure;
  std::thread([&] {
    try {
      if (::unshare(CLONE_NEWNET) != 0) throw_sys("unshare(CLONE_NEWNET)");
      fd.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
      if (!fd) throw_sys("opening the new network namespace");
    } catch (...) {
      failure = std::current_exception();
    }
  }).join();
  if (failure) std::rethrow_exception(failure);
  return fd;
}

// address:port as a sockaddr for bind/connect; `length` is set to its size.
inline sockaddr_storage socket_address(const net::IpAddress& ip, uint16_t port, socklen_t& length) {
  sockaddr_storage storage{};
  if (ip.is_v4()) {
    auto* in = reinterpret_cast<sockaddr_in*>(&storage);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, ip.bytes.data(), 4);
    length = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&storage);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, ip.bytes.data(), 16);
    length = sizeof(sockaddr_in6);
  }
  return storage;
}

// A TCP socket bound to 127.0.0.1 on a port the kernel chose, and that port; an empty fd
// when the kernel refuses. The tests' own servers listen on it.
inline UniqueFd bind_loopback_tcp(uint16_t& port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof addr;
  if (!fd || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), length) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &length) != 0)
    return UniqueFd();
  port = ntohs(addr.sin_port);
  return fd;
}

// The address part of a sockaddr, as text.
inline std::string address_of(const sockaddr_storage& storage) {
  char text[INET6_ADDRSTRLEN] = {};
  if (storage.ss_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text,
                sizeof text);
  } else {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text,
                sizeof text);
  }
  return text;
}

}  // namespace pot::testing
