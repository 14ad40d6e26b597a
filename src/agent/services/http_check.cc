// An http check: one HTTP/1.1 request with `Connection: close`, then the status line and an
// excerpt of the body. 2xx is passing, 429 (Too Many Requests) warning, anything else (and
// no answer within the timeout) critical. The output reads as Consul's:
//   HTTP GET http://127.0.0.1:8080/health: 200 OK Output: <the body's first 4 KiB>
// The client is deliberately small: no keep-alive, no redirects, no TLS.
#include <array>
#include <asio/read.hpp>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <optional>
#include <utility>

#include "agent/services/check_runs.h"

namespace pot::agent::checks {

namespace {

// Enough for any sane status line and headers; a longer head is not an HTTP answer we take.
constexpr size_t kMaxHead = 16 * 1024;

bool equals_ignoring_case(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// The response's head, once it has arrived whole.
struct ResponseHead {
  int status = 0;
  std::string status_text;  // "200 OK"
  std::optional<size_t> content_length;
  bool chunked = false;
};

std::optional<ResponseHead> parse_head(const std::string& head) {
  // "HTTP/1.1 200 OK"
  size_t line_end = head.find("\r\n");
  std::string line = head.substr(0, line_end);
  if (line.rfind("HTTP/", 0) != 0) return std::nullopt;
  size_t space = line.find(' ');
  if (space == std::string::npos || line.size() < space + 4) return std::nullopt;
  ResponseHead parsed;
  parsed.status_text = line.substr(space + 1);
  for (size_t i = 0; i < 3; ++i) {
    char digit = parsed.status_text[i];
    if (digit < '0' || digit > '9') return std::nullopt;
    parsed.status = parsed.status * 10 + (digit - '0');
  }
  for (size_t start = line_end + 2; start < head.size();) {
    size_t end = head.find("\r\n", start);
    if (end == std::string::npos) end = head.size();
    std::string header = head.substr(start, end - start);
    start = end + 2;
    size_t colon = header.find(':');
    if (colon == std::string::npos) continue;
    std::string name = header.substr(0, colon);
    std::string value = header.substr(header.find_first_not_of(' ', colon + 1) == std::string::npos
                                          ? header.size()
                                          : header.find_first_not_of(' ', colon + 1));
    if (equals_ignoring_case(name, "Content-Length")) {
      try {
        parsed.content_length = std::stoul(value);
      } catch (const std::exception&) {
        return std::nullopt;
      }
    } else if (equals_ignoring_case(name, "Transfer-Encoding") &&
               value.find("chunked") != std::string::npos) {
      parsed.chunked = true;
    }
  }
  return parsed;
}

// The data of a chunked body, as much as `raw` holds (it may be cut anywhere).
std::string dechunk(const std::string& raw) {
  std::string data;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t line_end = raw.find("\r\n", pos);
    if (line_end == std::string::npos) break;
    size_t size = 0;
    try {
      size = std::stoul(raw.substr(pos, line_end - pos), nullptr, 16);
    } catch (const std::exception&) {
      break;
    }
    if (size == 0) break;
    pos = line_end + 2;
    // A size past what arrived (or near 2^64, from a hostile server) ends the body here.
    if (size > raw.size() - pos) {
      data += raw.substr(pos);
      break;
    }
    data += raw.substr(pos, size);
    pos += size + 2;
  }
  return data;
}

class HttpRun : public SocketRun, public std::enable_shared_from_this<HttpRun> {
 public:
  HttpRun(asio::io_context& io, const CheckDefinition& check, RunCompletion done)
      : SocketRun(io, std::move(done)),
        check_(check),
        url_(check.protocol + "://" + host_port(check.address, check.port) + request_path()) {}

  void start() {
    auto self = shared_from_this();
    timeout_.expires_after(check_.timeout);
    timeout_.async_wait([self](const std::error_code& error) {
      if (!error)
        self->fail("timed out after " + go_duration(self->check_.timeout) +
                   " (Client.Timeout exceeded)");
    });
    async_connect_to(socket_, resolver_, check_.address, check_.port,
                     [self](const std::error_code& error) {
                       if (error) return self->fail("dial tcp: " + lower_first(error.message()));
                       self->send_request();
                     });
  }

 private:
  std::string request_path() const {
    if (check_.path.empty()) return "/";
    return check_.path[0] == '/' ? check_.path : "/" + check_.path;
  }

  std::string request() const {
    std::string text = check_.method + " " + request_path() + " HTTP/1.1\r\n";
    bool has_host = false, has_user_agent = false, has_accept = false;
    for (const auto& [name, values] : check_.headers) {
      has_host |= equals_ignoring_case(name, "Host");
      has_user_agent |= equals_ignoring_case(name, "User-Agent");
      has_accept |= equals_ignoring_case(name, "Accept");
      for (const auto& value : values) text += name + ": " + value + "\r\n";
    }
    if (!has_host) text += "Host: " + host_port(check_.address, check_.port) + "\r\n";
    // Consul's defaults, which some services' health endpoints look at.
    if (!has_user_agent) text += "User-Agent: Consul Health Check\r\n";
    if (!has_accept) text += "Accept: text/plain, text/*, */*\r\n";
    // Like Go's client: a length for every body, and 0 for a method that expects one.
    bool body_method =
        check_.method == "POST" || check_.method == "PUT" || check_.method == "PATCH";
    if (!check_.body.empty() || body_method)
      text += "Content-Length: " + std::to_string(check_.body.size()) + "\r\n";
    text += "Connection: close\r\n\r\n";
    return text + check_.body;
  }

  void send_request() {
    request_ = request();
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(request_),
                      [self](const std::error_code& error, size_t) {
                        if (error) return self->fail(lower_first(error.message()));
                        self->read_some();
                      });
  }

  void read_some() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_),
                            [self](const std::error_code& error, size_t size) {
                              if (self->ended()) return;  // ended meanwhile (timeout, cancel)
                              self->response_.append(self->buffer_.data(), size);
                              if (self->response_complete(error == asio::error::eof)) return;
                              if (error) return self->fail(lower_first(error.message()));
                              self->read_some();
                            });
  }

  // True when the run has ended with what has been read.
  bool response_complete(bool at_eof) {
    size_t head_end = response_.find("\r\n\r\n");
    if (head_end == std::string::npos) {
      if (at_eof) return fail("malformed HTTP response"), true;
      if (response_.size() > kMaxHead) return fail("malformed HTTP response: head too long"), true;
      return false;
    }
    std::optional<ResponseHead> head = parse_head(response_.substr(0, head_end));
    if (!head) return fail("malformed HTTP response"), true;
    size_t body_start = head_end + 4;
    size_t body_size = response_.size() - body_start;
    bool body_whole = at_eof || (head->content_length && body_size >= *head->content_length);
    // Enough for the excerpt: the rest of the body is not read.
    bool excerpt_full = !head->chunked && body_size >= kMaxOutput;
    if (!body_whole && !excerpt_full && body_size < 4 * kMaxOutput) return false;

    std::string body = response_.substr(body_start);
    if (head->content_length && body.size() > *head->content_length)
      body.resize(*head->content_length);
    if (head->chunked) body = dechunk(body);
    if (body.size() > kMaxOutput) body.resize(kMaxOutput);
    finish({status_of(head->status),
            "HTTP " + check_.method + " " + url_ + ": " + head->status_text + " Output: " + body});
    return true;
  }

  static CheckStatus status_of(int http_status) {
    if (http_status >= 200 && http_status <= 299) return CheckStatus::kPassing;
    if (http_status == 429) return CheckStatus::kWarning;
    return CheckStatus::kCritical;
  }

  void fail(const std::string& reason) {
    finish({CheckStatus::kCritical, check_.method + " \"" + url_ + "\": " + reason});
  }

  CheckDefinition check_;
  std::string url_;
  std::string request_;
  std::array<char, 4096> buffer_{};
  std::string response_;
};

}  // namespace

std::shared_ptr<CheckRun> start_http_run(asio::io_context& io, const CheckDefinition& check,
                                         RunCompletion done) {
  if (check.protocol == "https")
    return start_known_result(io, {CheckStatus::kCritical, "https checks are not supported"},
                              std::move(done));
  auto run = std::make_shared<HttpRun>(io, check, std::move(done));
  run->start();
  return run;
}

}  // namespace pot::agent::checks
