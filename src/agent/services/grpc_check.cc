// A grpc check: one call of grpc.health.v1.Health/Check over HTTP/2 without TLS (h2c, as
// gRPC's insecure channels speak it), on the scheduler's loop like the other checks rather
// than through libgrpc++ (which would need its own threads, and which the fuzz build does
// not have). SERVING is passing; any other answer, a reset stream or no answer within the
// timeout is critical.
//
// The client knows just enough HTTP/2 for one unary call: it sends the connection preface,
// empty SETTINGS, the request's HEADERS (HPACK with static-table names and plain literals,
// which any decoder accepts) and one DATA frame; it acknowledges the server's SETTINGS and
// reads frames until the response message is whole. The response's headers are not decoded
// (that would need HPACK's Huffman code and dynamic table): the message itself carries the
// serving status, and a call that ends without one (an unknown service: gRPC's NOT_FOUND in
// the trailers) is critical.
#include <array>
#include <asio/steady_timer.hpp>
#include <asio/write.hpp>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>

#include "agent/services/check_runs.h"

namespace pot::agent::checks {

namespace {

// The largest health answer read (HealthCheckResponse is a few bytes).
constexpr size_t kMaxMessage = 64 * 1024;

constexpr uint32_t kStream = 1;  // the one stream of the call

enum FrameType : uint8_t {
  kData = 0x0,
  kHeaders = 0x1,
  kRstStream = 0x3,
  kSettings = 0x4,
  kPing = 0x6,
  kGoAway = 0x7,
};
constexpr uint8_t kFlagEndStream = 0x1;
constexpr uint8_t kFlagAck = 0x1;  // SETTINGS, PING
constexpr uint8_t kFlagEndHeaders = 0x4;
constexpr uint8_t kFlagPadded = 0x8;

void append_frame(std::string& out, uint8_t type, uint8_t flags, uint32_t stream,
                  std::string_view payload) {
  size_t size = payload.size();
  out += static_cast<char>((size >> 16) & 0xff);
  out += static_cast<char>((size >> 8) & 0xff);
  out += static_cast<char>(size & 0xff);
  out += static_cast<char>(type);
  out += static_cast<char>(flags);
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((stream >> shift) & 0xff);
  out += payload;
}

// HPACK's integer with an N-bit prefix (RFC 7541, 5.1); `first` holds the bits above it.
void append_hpack_integer(std::string& out, uint8_t first, int prefix_bits, size_t value) {
  size_t max_prefix = (size_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out += static_cast<char>(first | value);
    return;
  }
  out += static_cast<char>(first | max_prefix);
  value -= max_prefix;
  while (value >= 128) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

void append_hpack_string(std::string& out, std::string_view text) {
  append_hpack_integer(out, 0x00, 7, text.size());  // not Huffman-coded
  out += text;
}

// "Literal header field without indexing" with a name from the static table (index > 0) or
// a literal name (index 0).
void append_header(std::string& out, size_t static_name_index, std::string_view name,
                   std::string_view value) {
  append_hpack_integer(out, 0x00, 4, static_name_index);
  if (static_name_index == 0) append_hpack_string(out, name);
  append_hpack_string(out, value);
}

std::string request_headers(const std::string& authority) {
  std::string block;
  block += static_cast<char>(0x80 | 3);  // :method POST (static table entry 3)
  block += static_cast<char>(0x80 | 6);  // :scheme http (entry 6)
  append_header(block, 4, ":path", "/grpc.health.v1.Health/Check");
  append_header(block, 1, ":authority", authority);
  append_header(block, 31, "content-type", "application/grpc");
  append_header(block, 0, "te", "trailers");
  return block;
}

void append_varint(std::string& out, uint64_t value) {
  while (value >= 128) {
    out += static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  out += static_cast<char>(value);
}

// A length-prefixed gRPC message holding HealthCheckRequest{service = 1}.
std::string request_message(const std::string& service) {
  std::string message;
  if (!service.empty()) {
    message += static_cast<char>(0x0a);  // field 1, length-delimited
    append_varint(message, service.size());
    message += service;
  }
  std::string framed(1, '\0');  // not compressed
  for (int shift = 24; shift >= 0; shift -= 8)
    framed += static_cast<char>((message.size() >> shift) & 0xff);
  return framed + message;
}

std::optional<uint64_t> read_varint(std::string_view data, size_t& pos) {
  uint64_t value = 0;
  for (int shift = 0; pos < data.size() && shift < 64; shift += 7) {
    auto byte = static_cast<uint8_t>(data[pos++]);
    value |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) return value;
  }
  return std::nullopt;
}

// HealthCheckResponse's `status` (field 1); 0 (UNKNOWN) when absent, as proto3 leaves it.
std::optional<uint64_t> serving_status(std::string_view message) {
  uint64_t status = 0;
  for (size_t pos = 0; pos < message.size();) {
    std::optional<uint64_t> tag = read_varint(message, pos);
    if (!tag) return std::nullopt;
    switch (*tag & 7) {
      case 0: {
        std::optional<uint64_t> value = read_varint(message, pos);
        if (!value) return std::nullopt;
        if (*tag >> 3 == 1) status = *value;
        break;
      }
      // Skipped fields must lie inside the message (a hostile length never wraps `pos`).
      case 1:
        if (message.size() - pos < 8) return std::nullopt;
        pos += 8;
        break;
      case 2: {
        std::optional<uint64_t> size = read_varint(message, pos);
        if (!size || *size > message.size() - pos) return std::nullopt;
        pos += *size;
        break;
      }
      case 5:
        if (message.size() - pos < 4) return std::nullopt;
        pos += 4;
        break;
      default:
        return std::nullopt;
    }
  }
  return status;
}

const char* serving_status_name(uint64_t status) {
  switch (status) {
    case 0:
      return "UNKNOWN";
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "an unknown status";
  }
}

class GrpcRun : public SocketRun, public std::enable_shared_from_this<GrpcRun> {
 public:
  GrpcRun(asio::io_context& io, const CheckDefinition& check, RunCompletion done)
      : SocketRun(io, std::move(done)),
        check_(check),
        target_(host_port(check.address, check.port) +
                (check.grpc_service.empty() ? "" : "/" + check.grpc_service)) {}

  void start() {
    auto self = shared_from_this();
    timeout_.expires_after(check_.timeout);
    timeout_.async_wait([self](const std::error_code& error) {
      if (!error) self->fail("timed out after " + go_duration(self->check_.timeout));
    });
    async_connect_to(socket_, resolver_, check_.address, check_.port,
                     [self](const std::error_code& error) {
                       if (error) return self->fail("dial tcp: " + lower_first(error.message()));
                       self->send_call();
                       self->read_some();
                     });
  }

 private:
  void send_call() {
    std::string out = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    append_frame(out, kSettings, 0, 0, "");
    append_frame(out, kHeaders, kFlagEndHeaders, kStream,
                 request_headers(host_port(check_.address, check_.port)));
    append_frame(out, kData, kFlagEndStream, kStream, request_message(check_.grpc_service));
    send(std::move(out));
  }

  // Writes go one at a time, in order.
  void send(std::string bytes) {
    outgoing_.push_back(std::move(bytes));
    if (outgoing_.size() == 1) write_next();
  }
  void write_next() {
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(outgoing_.front()),
                      [self](const std::error_code& error, size_t) {
                        if (self->ended()) return;
                        if (error) return self->fail(lower_first(error.message()));
                        self->outgoing_.pop_front();
                        if (!self->outgoing_.empty()) self->write_next();
                      });
  }

  void read_some() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_),
                            [self](const std::error_code& error, size_t size) {
                              if (self->ended()) return;
                              self->incoming_.append(self->buffer_.data(), size);
                              self->handle_frames();
                              if (self->ended()) return;
                              if (error == asio::error::eof)
                                return self->fail("connection closed before an answer");
                              if (error) return self->fail(lower_first(error.message()));
                              self->read_some();
                            });
  }

  void handle_frames() {
    while (!ended() && incoming_.size() >= 9) {
      auto byte = [this](size_t i) { return static_cast<uint8_t>(incoming_[i]); };
      size_t size = size_t{byte(0)} << 16 | size_t{byte(1)} << 8 | byte(2);
      if (incoming_.size() < 9 + size) return;
      uint8_t type = byte(3), flags = byte(4);
      uint32_t stream = (uint32_t{byte(5)} & 0x7f) << 24 | uint32_t{byte(6)} << 16 |
                        uint32_t{byte(7)} << 8 | byte(8);
      std::string payload = incoming_.substr(9, size);
      incoming_.erase(0, 9 + size);
      handle_frame(type, flags, stream, std::move(payload));
    }
  }

  void handle_frame(uint8_t type, uint8_t flags, uint32_t stream, std::string payload) {
    if (type == kSettings && (flags & kFlagAck) == 0) {
      std::string ack;
      append_frame(ack, kSettings, kFlagAck, 0, "");
      return send(std::move(ack));
    }
    if (type == kPing && (flags & kFlagAck) == 0) {
      std::string pong;
      append_frame(pong, kPing, kFlagAck, 0, payload);
      return send(std::move(pong));
    }
    if (type == kGoAway) return fail("the server closed the connection (GOAWAY)");
    if (stream != kStream) return;
    if (type == kRstStream) return fail("the server reset the call");
    if (type == kData) {
      if ((flags & kFlagPadded) != 0 && !payload.empty()) {
        size_t padding = static_cast<uint8_t>(payload[0]);
        payload = payload.substr(1, payload.size() - 1 - std::min(padding, payload.size() - 1));
      }
      message_ += payload;
      // A health answer is a few bytes: a server streaming more is not answering.
      if (message_.size() > kMaxMessage) return fail("the answer is too long");
      if (message_complete()) return;
    }
    if ((flags & kFlagEndStream) != 0 && (type == kData || type == kHeaders))
      fail("the call ended without a health status (an unknown service?)");
  }

  // True (and the run ended) once the response message is whole.
  bool message_complete() {
    if (message_.size() < 5) return false;
    size_t size = 0;
    for (size_t i = 1; i < 5; ++i) size = size << 8 | static_cast<uint8_t>(message_[i]);
    if (message_.size() < 5 + size) return false;
    if (message_[0] != 0) return fail("compressed answer not understood"), true;
    std::optional<uint64_t> status = serving_status(std::string_view(message_).substr(5, size));
    if (!status) return fail("malformed health check response"), true;
    if (*status == 1)
      finish({CheckStatus::kPassing, "gRPC check " + target_ + ": success"});
    else
      finish({CheckStatus::kCritical,
              "gRPC " + target_ + " serving status: " + serving_status_name(*status)});
    return true;
  }

  void fail(const std::string& reason) {
    finish({CheckStatus::kCritical, "gRPC check " + target_ + ": " + reason});
  }

  CheckDefinition check_;
  std::string target_;  // "127.0.0.1:50051/service", as Consul names a grpc check's target
  std::deque<std::string> outgoing_;
  std::array<char, 4096> buffer_{};
  std::string incoming_;
  std::string message_;
};

}  // namespace

std::shared_ptr<CheckRun> start_grpc_run(asio::io_context& io, const CheckDefinition& check,
                                         RunCompletion done) {
  if (check.grpc_use_tls)
    return start_known_result(
        io, {CheckStatus::kCritical, "grpc checks over TLS are not supported"}, std::move(done));
  auto run = std::make_shared<GrpcRun>(io, check, std::move(done));
  run->start();
  return run;
}

}  // namespace pot::agent::checks
