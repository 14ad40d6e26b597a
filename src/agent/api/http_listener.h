// An httplib server on a thread of its own, as both of potd's HTTP APIs (Nomad's and
// Consul's) run it: a pool of `threads` workers, bodies up to `max_body_bytes` (413 beyond),
// SO_REUSEADDR but not httplib's SO_REUSEPORT (a second potd must not share the port
// silently), every method of every path to one handler, and httplib's own refusals with a
// reason. Binding says why it failed; stopping waits for the accept loop.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <string>
#include <thread>

#include <httplib.h>

namespace pot::agent {

struct HttpListenerOptions {
  std::string what;  // names the server in errors: "HTTP API", "Consul HTTP API"
  std::string address;
  int port = 0;  // 0: any free port
  int threads = 8;
  std::size_t max_body_bytes = 1 << 20;
};

class HttpListener {
 public:
  using Handler = std::function<void(const httplib::Request&, httplib::Response&)>;

  HttpListener(HttpListenerOptions options, Handler handler);
  ~HttpListener();  // stops
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  // Binds (throws pot::Error naming the server, the address and the reason) and serves on a
  // thread; returns the port. A stopped listener is not started again.
  int start();
  void stop();
  bool running() const { return thread_.joinable(); }

 private:
  HttpListenerOptions options_;
  httplib::Server server_;
  bool started_ = false;
  std::atomic<bool> listen_ended_{false};
  std::thread thread_;
};

// Whether a request's token is the agent's, compared through hashes so that neither the
// token's content nor its length shows in the time taken.
bool same_token(const std::string& given, const std::string& expected);

}  // namespace pot::agent
