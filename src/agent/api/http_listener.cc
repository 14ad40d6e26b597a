#include "agent/api/http_listener.h"

#include <sodium.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "core/error.h"

namespace pot::agent {

bool same_token(const std::string& given, const std::string& expected) {
  unsigned char a[crypto_generichash_BYTES];
  unsigned char b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()),
                     given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(expected.data()),
                     expected.size(), nullptr, 0);
  return sodium_memcmp(a, b, sizeof a) == 0;
}

HttpListener::HttpListener(HttpListenerOptions options, Handler handler)
    : options_(std::move(options)) {
  const int threads = std::max(1, options_.threads);
  server_.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server_.set_payload_max_length(options_.max_body_bytes);
  server_.set_read_timeout(30, 0);
  server_.set_write_timeout(30, 0);
  server_.set_keep_alive_max_count(100);
  // SO_REUSEADDR only lets a restart bind despite connections in TIME_WAIT.
  server_.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  const std::string any_path = R"([\s\S]*)";
  server_.Get(any_path, handler);
  server_.Post(any_path, handler);
  server_.Put(any_path, handler);
  server_.Delete(any_path, handler);
  server_.Patch(any_path, handler);
  server_.Options(any_path, handler);
  server_.set_error_handler([](const httplib::Request&, httplib::Response& response) {
    if (!response.body.empty()) return;
    const char* reason = response.status == 413 ? "Request body too large" : "Bad request";
    response.set_content(reason, "text/plain; charset=utf-8");
  });
}

HttpListener::~HttpListener() {
  stop();
}

int HttpListener::start() {
  if (started_) throw Error(options_.what + ": a stopped server is not started again");
  started_ = true;
  // The token comparisons are libsodium's constant-time ones.
  if (::sodium_init() < 0) throw Error("libsodium: initialisation failed");
  int port = options_.port;
  const std::string where = quote_name(options_.address + ":" + std::to_string(port));
  // httplib reports only failure; the errno of its failed bind() is still there to say why.
  errno = 0;
  const bool bound = port == 0 ? (port = server_.bind_to_any_port(options_.address)) >= 0
                               : server_.bind_to_port(options_.address, port);
  if (!bound) {
    const int err = errno;
    throw Error(options_.what + ": listening on " + where + ": " +
                    (err != 0 ? std::strerror(err) : "cannot bind"),
                err);
  }
  listen_ended_ = false;
  thread_ = std::thread([this] {
    server_.listen_after_bind();
    listen_ended_ = true;
  });
  // httplib's stop() does nothing before the accept loop runs: wait for it to start.
  while (!server_.is_running() && !listen_ended_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return port;
}

void HttpListener::stop() {
  if (!thread_.joinable()) return;
  server_.stop();
  thread_.join();
}

}  // namespace pot::agent
