// Whether the client of a streaming answer is still there.
//
// A stream that has nothing to send (a followed log that is quiet, an event stream between
// heartbeats) would otherwise learn of a client that left only on its next write, and a
// plain-text log has no heartbeat to write: the worker thread would stay with it until the
// allocation ends. httplib does not hand handlers the connection's socket, so it is found
// once, by the addresses httplib reports (our local address and port, the client's), among
// the process's descriptors, and then polled: end of stream or an error means the client
// has gone. The descriptor stays httplib's; this only looks at it.
#pragma once

#include <optional>

namespace httplib {
struct Request;
}  // namespace httplib

namespace pot::agent::http {

class ClientConnection {
 public:
  // The connection `request` came on; nullopt when it cannot be found (then streams rely
  // on their writes failing).
  static std::optional<ClientConnection> find(const httplib::Request& request);

  // True once the client closed its end (or the connection failed). Does not block.
  bool closed() const;

 private:
  explicit ClientConnection(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace pot::agent::http
