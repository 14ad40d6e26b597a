// The DNS server's sockets, on one thread running an asio io_context:
//  - per listener a UDP socket and a TCP acceptor on the same address and port, bound with
//    IP_FREEBIND: potd's listener on the pots' gateway address starts before the bridge that
//    carries the address exists;
//  - a datagram is answered at once (answer_dns_query over a snapshot of the catalog, taken
//    again when the catalog's index moves); the datagrams already queued are read in a batch
//    before going back to the reactor;
//  - a TCP connection reads length-prefixed messages one after the other, is closed after
//    the idle timeout, and the connections beyond the cap are closed as they come;
//  - names outside the domain, on a forwarding listener, go to the DnsForwarder.
// stop() posts the shutdown to the thread, which closes every socket and cancels every
// timer; run() then returns once the last handler has seen its operation aborted.
#include "agent/dns/dns_server.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <set>
#include <span>
#include <thread>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ip/udp.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>

#include "agent/dns/dns_answer.h"
#include "agent/dns/dns_forwarder.h"
#include "agent/dns/ldns_util.h"
#include "core/error.h"

namespace pot::agent {

namespace {

// Port 0: the port the kernel gave UDP may be taken for TCP; try again a few times.
constexpr int kBindAttempts = 16;
// Datagrams read per wakeup of the reactor.
constexpr int kDatagramBatch = 32;
constexpr size_t kMaxDatagram = 65535;
// Forwarded queries waiting for an upstream at once; beyond, SERVFAIL at once.
constexpr size_t kMaxForwardsInFlight = 256;

// Lets the socket bind an address the host does not have (yet).
void allow_nonlocal_bind(int fd) {
  const int on = 1;
  ::setsockopt(fd, SOL_IP, IP_FREEBIND, &on, sizeof on);
}

std::string endpoint_text(const asio::ip::address& address, int port) {
  return (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
         std::to_string(port);
}

}  // namespace

struct DnsServer::Impl {
  class Listener;
  class TcpConnection;

  Impl(const ServiceCatalog& catalog_in, DnsServerOptions options_in)
      : catalog(catalog_in), options(std::move(options_in)) {
    base_answer_options.domain = options.domain;
    base_answer_options.only_passing = options.only_passing;
    base_answer_options.ttl_seconds = static_cast<uint32_t>(std::max(options.ttl_seconds, 0));
  }

  void start();
  void stop();
  void shutdown();  // on the io thread
  std::vector<asio::ip::udp::endpoint> upstreams() const;

  // The answer to one query, from a catalog snapshot at most one index old.
  DnsAnswer answer(std::span<const uint8_t> query, bool forward, bool over_tcp) {
    if (catalog.index() != snapshot.index) snapshot = DnsCatalogSnapshot::take(catalog);
    DnsAnswerOptions answer_options = base_answer_options;
    answer_options.forward = forward;
    answer_options.over_tcp = over_tcp;
    answer_options.shuffle_seed = ++served;
    return answer_dns_query(query, snapshot, answer_options);
  }

  // Forwards `query` unless too many are in flight; `done` may run before this returns.
  void forward(std::span<const uint8_t> query, DnsForwarder::Done done) {
    if (forwarder->in_flight() >= kMaxForwardsInFlight) {
      std::vector<uint8_t> failure = dns_error_reply(query, LDNS_RCODE_SERVFAIL, true);
      if (!failure.empty()) done(std::move(failure));
      return;
    }
    forwarder->forward({query.begin(), query.end()}, std::move(done));
  }

  const ServiceCatalog& catalog;
  DnsServerOptions options;
  DnsAnswerOptions base_answer_options;
  // The io_context before everything that holds its sockets, so it is destroyed last.
  asio::io_context io;
  std::unique_ptr<DnsForwarder> forwarder;
  std::vector<std::unique_ptr<Listener>> listeners;
  // The io thread's state.
  std::set<TcpConnection*> connections;
  DnsCatalogSnapshot snapshot;
  uint32_t served = 0;
  bool stopping = false;
  std::thread thread;
};

// ---------------------------------------------------------------------------------------------
// TCP: one connection, its messages one after the other (RFC 1035 4.2.2 framing).
// ---------------------------------------------------------------------------------------------

class DnsServer::Impl::TcpConnection : public std::enable_shared_from_this<TcpConnection> {
 public:
  TcpConnection(Impl& server, asio::ip::tcp::socket socket, bool forward)
      : server_(server), socket_(std::move(socket)), idle_(server.io), forward_(forward) {
    server_.connections.insert(this);
  }
  ~TcpConnection() { server_.connections.erase(this); }

  void start() { read_length(); }

  void close() {
    asio::error_code ignored;
    socket_.close(ignored);
    idle_.cancel();
  }

 private:
  // Closes the connection unless what it waits for (a query, or the client reading the
  // reply) comes within the idle timeout.
  void arm_idle_timer() {
    idle_.expires_after(server_.options.tcp_idle_timeout);
    idle_.async_wait([self = shared_from_this()](const asio::error_code& error) {
      if (!error) self->close();
    });
  }

  void read_length() {
    arm_idle_timer();
    asio::async_read(socket_, asio::buffer(length_),
                     [self = shared_from_this()](const asio::error_code& error, size_t) {
                       if (error || self->server_.stopping) return self->close();
                       self->read_message(ldns_read_uint16(self->length_.data()));
                     });
  }

  void read_message(size_t size) {
    if (size == 0) return close();
    message_.resize(size);
    asio::async_read(socket_, asio::buffer(message_),
                     [self = shared_from_this()](const asio::error_code& error, size_t) {
                       if (error || self->server_.stopping) return self->close();
                       self->idle_.cancel();
                       self->serve();
                     });
  }

  void serve() {
    DnsAnswer answer = server_.answer(message_, forward_, true);
    switch (answer.action) {
      case DnsAnswer::Action::kReply:
        return write(std::move(answer.packet));
      case DnsAnswer::Action::kDrop:
        return close();  // not even a header: the stream is not DNS
      case DnsAnswer::Action::kForward:
        return server_.forward(message_, [self = shared_from_this()](std::vector<uint8_t> reply) {
          self->write(std::move(reply));
        });
    }
  }

  void write(std::vector<uint8_t> reply) {
    if (server_.stopping || reply.size() > 0xffff) return close();
    outgoing_.resize(2 + reply.size());
    ldns_write_uint16(outgoing_.data(), static_cast<uint16_t>(reply.size()));
    std::copy(reply.begin(), reply.end(), outgoing_.begin() + 2);
    arm_idle_timer();
    asio::async_write(socket_, asio::buffer(outgoing_),
                      [self = shared_from_this()](const asio::error_code& error, size_t) {
                        if (error || self->server_.stopping) return self->close();
                        self->read_length();
                      });
  }

  Impl& server_;
  asio::ip::tcp::socket socket_;
  asio::steady_timer idle_;
  bool forward_;
  std::array<uint8_t, 2> length_{};
  std::vector<uint8_t> message_;
  std::vector<uint8_t> outgoing_;
};

// ---------------------------------------------------------------------------------------------
// One listener: its UDP socket and TCP acceptor.
// ---------------------------------------------------------------------------------------------

class DnsServer::Impl::Listener {
 public:
  Listener(Impl& server, const DnsListen& listen)
      : server_(server), forward_(listen.forward), udp_(server.io), tcp_(server.io) {
    asio::error_code error;
    const asio::ip::address address = asio::ip::make_address(listen.address, error);
    if (error) throw Error("DNS listener " + quote_name(listen.address) + ": not an IP address");
    if (listen.port < 0 || listen.port > 65535)
      throw Error("DNS listener " + quote_name(endpoint_text(address, listen.port)) + ": bad port");
    for (int attempt = 1;; ++attempt) {
      bind_udp(address, listen.port);
      port_ = udp_.local_endpoint().port();
      error = bind_tcp(address, port_);
      if (!error) break;
      udp_.close(error);
      if (listen.port != 0 || attempt == kBindAttempts)
        throw Error("binding DNS over TCP on " + quote_name(endpoint_text(address, port_)) + ": " +
                    error.message());
    }
  }

  int port() const { return port_; }
  asio::ip::udp::endpoint udp_endpoint() const { return udp_.local_endpoint(); }

  void start() {
    receive_datagram();
    accept();
  }

  void close() {
    asio::error_code ignored;
    udp_.close(ignored);
    tcp_.close(ignored);
  }

 private:
  void bind_udp(const asio::ip::address& address, int port) {
    asio::error_code error;
    udp_.open(address.is_v6() ? asio::ip::udp::v6() : asio::ip::udp::v4(), error);
    if (!error) {
      allow_nonlocal_bind(udp_.native_handle());
      udp_.bind({address, static_cast<uint16_t>(port)}, error);
    }
    // Non-blocking: the batch reads stop at an empty queue, a full send buffer drops a reply.
    if (!error) udp_.non_blocking(true, error);
    if (error)
      throw Error("binding DNS over UDP on " + quote_name(endpoint_text(address, port)) + ": " +
                  error.message());
  }

  asio::error_code bind_tcp(const asio::ip::address& address, int port) {
    asio::error_code error;
    tcp_.open(address.is_v6() ? asio::ip::tcp::v6() : asio::ip::tcp::v4(), error);
    if (!error) {
      allow_nonlocal_bind(tcp_.native_handle());
      tcp_.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) tcp_.bind({address, static_cast<uint16_t>(port)}, error);
    if (!error) tcp_.listen(asio::socket_base::max_listen_connections, error);
    if (error) {
      asio::error_code ignored;
      tcp_.close(ignored);
    }
    return error;
  }

  void receive_datagram() {
    udp_.async_receive_from(
        asio::buffer(buffer_), peer_, [this](const asio::error_code& error, size_t size) {
          if (server_.stopping || error == asio::error::operation_aborted) return;
          if (!error) serve_datagram(size);
          // What else is queued, without a trip through the reactor.
          for (int i = 0; i < kDatagramBatch; ++i) {
            asio::error_code read_error;
            const size_t more = udp_.receive_from(asio::buffer(buffer_), peer_, 0, read_error);
            if (read_error) break;
            serve_datagram(more);
          }
          receive_datagram();
        });
  }

  void serve_datagram(size_t size) {
    const std::span<const uint8_t> query(buffer_.data(), size);
    DnsAnswer answer = server_.answer(query, forward_, false);
    switch (answer.action) {
      case DnsAnswer::Action::kReply:
        return send(answer.packet, peer_);
      case DnsAnswer::Action::kDrop:
        return;
      case DnsAnswer::Action::kForward:
        return server_.forward(query, [this, peer = peer_](std::vector<uint8_t> reply) {
          if (!server_.stopping) send(reply, peer);
        });
    }
  }

  void send(const std::vector<uint8_t>& packet, const asio::ip::udp::endpoint& peer) {
    asio::error_code
        ignored;  // a reply that cannot go is lost like a datagram; the client asks again
    udp_.send_to(asio::buffer(packet), peer, 0, ignored);
  }

  void accept() {
    tcp_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
      if (server_.stopping || error == asio::error::operation_aborted) return;
      if (!error) {
        if (server_.connections.size() >= server_.options.max_tcp_connections) {
          asio::error_code ignored;
          socket.close(ignored);
        } else {
          std::make_shared<TcpConnection>(server_, std::move(socket), forward_)->start();
        }
      }
      accept();
    });
  }

  Impl& server_;
  bool forward_;
  asio::ip::udp::socket udp_;
  asio::ip::tcp::acceptor tcp_;
  asio::ip::udp::endpoint peer_;
  std::vector<uint8_t> buffer_ = std::vector<uint8_t>(kMaxDatagram);
  int port_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

std::vector<asio::ip::udp::endpoint> DnsServer::Impl::upstreams() const {
  std::vector<asio::ip::udp::endpoint> endpoints;
  if (!options.upstreams.empty()) {
    for (const std::string& spec : options.upstreams) endpoints.push_back(parse_upstream(spec));
  } else {
    for (const std::string& spec : resolv_conf_nameservers()) {
      try {
        endpoints.push_back(parse_upstream(spec));
      } catch (const Error&) {
        // A line we cannot use (a scoped address) is no reason not to serve.
      }
    }
  }
  // Never ourselves: resolv.conf may name this very listener.
  std::erase_if(endpoints, [&](const asio::ip::udp::endpoint& endpoint) {
    return std::any_of(listeners.begin(), listeners.end(),
                       [&](const auto& listener) { return listener->udp_endpoint() == endpoint; });
  });
  return endpoints;
}

void DnsServer::Impl::start() {
  if (thread.joinable()) return;
  // The io_context has run out of work for good once stopped: a server serves once.
  if (stopping) throw Error("the DNS server cannot start again after it stopped");
  try {
    for (const DnsListen& listen : options.listen)
      listeners.push_back(std::make_unique<Listener>(*this, listen));
    forwarder = std::make_unique<DnsForwarder>(io, upstreams(), options.upstream_timeout);
  } catch (...) {
    listeners.clear();  // closes what was bound
    throw;
  }
  for (auto& listener : listeners) listener->start();
  thread = std::thread([this] { io.run(); });
}

void DnsServer::Impl::shutdown() {
  stopping = true;
  for (auto& listener : listeners) listener->close();
  for (TcpConnection* connection : connections) connection->close();
  forwarder->close_all();
}

void DnsServer::Impl::stop() {
  if (!thread.joinable()) return;
  asio::post(io, [this] { shutdown(); });
  thread.join();
}

DnsServer::DnsServer(const ServiceCatalog& catalog, DnsServerOptions options)
    : impl_(std::make_unique<Impl>(catalog, std::move(options))) {}

DnsServer::~DnsServer() {
  stop();
}

void DnsServer::start() {
  impl_->start();
}

void DnsServer::stop() {
  impl_->stop();
}

int DnsServer::port(size_t index) const {
  if (index >= impl_->listeners.size()) return 0;
  return impl_->listeners[index]->port();
}

}  // namespace pot::agent
