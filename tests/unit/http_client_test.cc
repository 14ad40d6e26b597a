// The HTTP client against file:// URLs and against a small server on 127.0.0.1 that
// misbehaves on purpose (errors, connections cut short, ranges ignored or wrong). The tests
// against the real registry server are in registry_server_test.cc.
#include "image/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/unique_fd.h"
#include "helpers/netns.h"
#include "test_util.h"

namespace pot::image {
namespace {

using pot::testing::ErrorOf;
using pot::testing::HasText;
using pot::testing::list_dir;
using pot::testing::read_text;
using pot::testing::TempDir;
using pot::testing::test_pattern;
using pot::testing::write_text;

// An HTTP server on 127.0.0.1 that reads one request per connection (headers and a body of
// Content-Length bytes), sends what `respond` returns for it, and closes the connection.
class RawServer {
 public:
  // `connection` counts from 0.
  using Responder = std::function<std::string(const std::string& request, int connection)>;

  explicit RawServer(Responder respond) : respond_(std::move(respond)) {
    listen_fd_ = pot::testing::bind_loopback_tcp(port_);
    if (!listen_fd_ || ::listen(listen_fd_.get(), 8) != 0) {
      throw std::runtime_error("test server: cannot listen on 127.0.0.1");
    }
    stop_fd_.reset(::eventfd(0, EFD_CLOEXEC));
    thread_ = std::thread([this] { serve(); });
  }
  ~RawServer() {
    uint64_t one = 1;
    (void)!::write(stop_fd_.get(), &one, sizeof one);
    thread_.join();
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  void serve() {
    for (int connection = 0;; ++connection) {
      pollfd fds[] = {{listen_fd_.get(), POLLIN, 0}, {stop_fd_.get(), POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0 || fds[1].revents != 0) return;
      UniqueFd fd(::accept4(listen_fd_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!fd) continue;
      timeval timeout{5, 0};
      ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      std::string request = read_request(fd.get());
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(request);
      }
      std::string response = respond_(request, connection);
      for (size_t sent = 0; sent < response.size();) {
        ssize_t n = ::send(fd.get(), response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
        if (n <= 0) break;
        sent += static_cast<size_t>(n);
      }
      ::shutdown(fd.get(), SHUT_WR);
    }
  }

  static std::string read_request(int fd) {
    std::string request;
    char buffer[4096];
    size_t body_start = std::string::npos;
    size_t length = 0;
    for (;;) {
      if (body_start == std::string::npos) {
        size_t end = request.find("\r\n\r\n");
        if (end != std::string::npos) {
          body_start = end + 4;
          size_t header = request.find("Content-Length: ");
          if (header != std::string::npos && header < end)
            length = std::stoul(request.substr(header + 16));
          if (request.find("Expect: 100-continue") < end)
            (void)!::send(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25, MSG_NOSIGNAL);
        }
      }
      if (body_start != std::string::npos && request.size() >= body_start + length) break;
      ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      request.append(buffer, static_cast<size_t>(n));
    }
    return request;
  }

  Responder respond_;
  UniqueFd listen_fd_;
  UniqueFd stop_fd_;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::thread thread_;
};

std::string response(const std::string& status_line, const std::string& headers,
                     const std::string& body) {
  return "HTTP/1.1 " + status_line + "\r\n" + headers + "Connection: close\r\n\r\n" + body;
}

std::string ok(const std::string& body) {
  return response("200 OK", "Content-Length: " + std::to_string(body.size()) + "\r\n", body);
}

// Promises `total` bytes and sends only `body`.
std::string cut_short(const std::string& body, size_t total) {
  return response("200 OK", "Content-Length: " + std::to_string(total) + "\r\n", body);
}

std::string partial(const std::string& data, size_t from) {
  return response("206 Partial Content",
                  "Content-Length: " + std::to_string(data.size() - from) + "\r\n" +
                      "Content-Range: bytes " + std::to_string(from) + "-" +
                      std::to_string(data.size() - 1) + "/" + std::to_string(data.size()) + "\r\n",
                  data.substr(from));
}

TEST(HttpClientTest, CheckUrlAcceptsOnlyHttpHttpsAndFile) {
  check_url("http://127.0.0.1:8080/x");
  check_url("https://example.org/a_b.tar.zst");
  check_url("file:///srv/registry/index.json");
  EXPECT_TRUE(HasText(ErrorOf([] { check_url("ftp://example.org/x"); }), "`ftp://example.org/x`"));
  EXPECT_TRUE(HasText(ErrorOf([] { check_url("example.org/x"); }), "must start with http://"));
  EXPECT_TRUE(HasText(ErrorOf([] { check_url("http://a b/"); }), "space or a control"));
  EXPECT_TRUE(HasText(ErrorOf([] { check_url("http://a/\nb"); }), "`http://a/\\x0ab`"));
  EXPECT_TRUE(HasText(ErrorOf([] { check_url("http://"); }), "empty"));
}

TEST(HttpClientTest, JoinUrlUsesExactlyOneSlash) {
  EXPECT_EQ(join_url("http://h/r", "f"), "http://h/r/f");
  EXPECT_EQ(join_url("http://h/r/", "f"), "http://h/r/f");
  EXPECT_EQ(join_url("http://h/r//", "/f"), "http://h/r/f");
  EXPECT_EQ(join_url("file:///srv", "index.json"), "file:///srv/index.json");
}

TEST(HttpClientTest, FetchesFileUrl) {
  TempDir tmp;
  std::string data = test_pattern(100000);
  write_text(tmp / "src.bin", data);
  fetch_to_file("file://" + (tmp / "src.bin").string(), tmp / "out.bin");
  EXPECT_EQ(read_text(tmp / "out.bin"), data);
  EXPECT_EQ(list_dir(tmp.path()), (std::vector<std::string>{"out.bin", "src.bin"}));
  EXPECT_EQ(fetch_to_string("file://" + (tmp / "src.bin").string(), 1 << 20), data);
}

TEST(HttpClientTest, MissingFileUrlIsNotFound) {
  TempDir tmp;
  std::string url = "file://" + (tmp / "missing.json").string();
  try {
    fetch_to_file(url, tmp / "out.json");
    FAIL() << "no error";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_TRUE(HasText(e.what(), quote_name(url) + ": not found"));
  }
  EXPECT_TRUE(list_dir(tmp.path()).empty());
  EXPECT_THROW(fetch_to_string(url), HttpStatusError);
}

TEST(HttpClientTest, RemovesThePartFilesOfKilledDownloads) {
  TempDir tmp;
  write_text(tmp / "src", "new");
  // A process that is gone: a child that has exited and been reaped.
  pid_t gone = fork();
  ASSERT_GE(gone, 0);
  if (gone == 0) _exit(0);
  ASSERT_EQ(waitpid(gone, nullptr, 0), gone);
  std::string killed = ".part." + std::to_string(gone) + ".out.Ab12Cd";
  std::string alive = ".part." + std::to_string(getpid()) + ".out.Ef34Gh";
  std::string other_file = ".part." + std::to_string(gone) + ".out2.Ij56Kl";
  for (const auto& name : {killed, alive, other_file}) write_text(tmp / name, "partial");

  fetch_to_file("file://" + (tmp / "src").string(), tmp / "out");
  EXPECT_EQ(read_text(tmp / "out"), "new");
  // Only the dead process's part of this destination goes; a live download's stays, and so
  // does another destination's, which its own next download sweeps.
  std::vector<std::string> kept{alive, other_file, "out", "src"};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(list_dir(tmp.path()), kept);
}

TEST(HttpClientTest, ReplacesTheDestination) {
  TempDir tmp;
  write_text(tmp / "src", "new");
  write_text(tmp / "out", "old content");
  fetch_to_file("file://" + (tmp / "src").string(), tmp / "out");
  EXPECT_EQ(read_text(tmp / "out"), "new");
}

TEST(HttpClientTest, ServerErrorIsAnHttpStatusErrorAndLeavesNothing) {
  RawServer server([](const std::string&, int) {
    return response("500 Internal Server Error", "Content-Length: 5\r\n", "oops!");
  });
  TempDir tmp;
  std::string url = server.url("/web_1.0.tar.zst");
  try {
    fetch_to_file(url, tmp / "web_1.0.tar.zst");
    FAIL() << "no error";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 500);
    EXPECT_EQ(std::string(e.what()),
              "fetching " + quote_name(url) + ": HTTP 500 Internal Server Error");
  }
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

TEST(HttpClientTest, ConnectionClosedMidwayIsReportedAndLeavesNothing) {
  RawServer server([](const std::string&, int) { return cut_short(test_pattern(1000), 1000000); });
  TempDir tmp;
  FetchOptions options;
  options.max_resumes = 0;
  std::string message =
      ErrorOf([&] { fetch_to_file(server.url("/x_1.tar.zst"), tmp / "x", options); });
  EXPECT_TRUE(HasText(message, "the server closed the connection after 1.0 kB of 1.0 MB"));
  EXPECT_TRUE(HasText(message, "`" + server.url("/x_1.tar.zst") + "`"));
  EXPECT_TRUE(list_dir(tmp.path()).empty());
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpClientTest, ResumesWithARangeRequest) {
  std::string data = test_pattern(10000);
  RawServer server([&](const std::string&, int connection) {
    return connection == 0 ? cut_short(data.substr(0, 4000), data.size()) : partial(data, 4000);
  });
  TempDir tmp;
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  FetchOptions options;
  options.progress = [&](uint64_t done, uint64_t total) { reports.emplace_back(done, total); };
  fetch_to_file(server.url("/f"), tmp / "f", options);
  EXPECT_EQ(read_text(tmp / "f"), data);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_FALSE(HasText(requests[0], "Range:"));
  EXPECT_TRUE(HasText(requests[1], "Range: bytes=4000-"));
  ASSERT_FALSE(reports.empty());
  EXPECT_EQ(reports.back(), std::make_pair(uint64_t{10000}, uint64_t{10000}));
  EXPECT_EQ(list_dir(tmp.path()), std::vector<std::string>{"f"});
}

TEST(HttpClientTest, StartsAgainWhenTheServerIgnoresRanges) {
  std::string data = test_pattern(10000);
  RawServer server([&](const std::string&, int connection) {
    return connection == 0 ? cut_short(data.substr(0, 4000), data.size()) : ok(data);
  });
  TempDir tmp;
  fetch_to_file(server.url("/f"), tmp / "f");
  EXPECT_EQ(read_text(tmp / "f"), data);
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);  // cut, range answered with 200, from the start again
  EXPECT_TRUE(HasText(requests[1], "Range: bytes=4000-"));
  EXPECT_FALSE(HasText(requests[2], "Range:"));
}

TEST(HttpClientTest, GivesUpWhenTheServerCannotResume) {
  RawServer server([](const std::string&, int) { return cut_short(test_pattern(1000), 1000000); });
  TempDir tmp;
  std::string message = ErrorOf([&] { fetch_to_file(server.url("/f"), tmp / "f"); });
  EXPECT_TRUE(HasText(message, "the server closed the connection after 1.0 kB of 1.0 MB"));
  EXPECT_TRUE(HasText(message, "cannot resume"));
  EXPECT_TRUE(list_dir(tmp.path()).empty());
  EXPECT_EQ(server.requests().size(), 4u);  // cut, ignored range, cut again, ignored range
}

TEST(HttpClientTest, GivesUpWhenAResumeBringsNothing) {
  std::string data = test_pattern(10000);
  RawServer server([&](const std::string&, int connection) {
    if (connection == 0) return cut_short(data.substr(0, 1000), data.size());
    std::string empty = partial(data, 1000);
    return empty.substr(0, empty.size() - 9000);  // the 206's headers only
  });
  TempDir tmp;
  std::string message = ErrorOf([&] { fetch_to_file(server.url("/f"), tmp / "f"); });
  EXPECT_TRUE(HasText(message, "the server closed the connection after 1.0 kB of 10.0 kB"));
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

TEST(HttpClientTest, StartsAgainWhenAResumeComesFromTheWrongOffset) {
  std::string data = test_pattern(10000);
  RawServer server([&](const std::string&, int connection) {
    return connection == 0 ? cut_short(data.substr(0, 4000), data.size()) : partial(data, 0);
  });
  TempDir tmp;
  fetch_to_file(server.url("/f"), tmp / "f");
  EXPECT_EQ(read_text(tmp / "f"), data);
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpClientTest, RefusesAPartNobodyAskedFor) {
  std::string data = test_pattern(10000);
  RawServer server([&](const std::string&, int) { return partial(data, 4000); });
  TempDir tmp;
  EXPECT_TRUE(HasText(ErrorOf([&] { fetch_to_file(server.url("/f"), tmp / "f"); }),
                      "the server sent the part from byte 4000, not from byte 0"));
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

TEST(HttpClientTest, RefusesABodyLargerThanTheLimit) {
  std::string data = test_pattern(10000);
  // With a Content-Length, and without one (the body ends when the connection does).
  RawServer declared([&](const std::string&, int) { return ok(data); });
  RawServer undeclared([&](const std::string&, int) { return response("200 OK", "", data); });
  TempDir tmp;
  FetchOptions options;
  options.max_bytes = 5000;
  for (RawServer* server : {&declared, &undeclared}) {
    std::string message = ErrorOf([&] { fetch_to_file(server->url("/f"), tmp / "f", options); });
    EXPECT_TRUE(HasText(message, "larger than the limit of 5.0 kB"));
    EXPECT_TRUE(list_dir(tmp.path()).empty());
  }
  EXPECT_TRUE(HasText(ErrorOf([&] { fetch_to_string(undeclared.url("/f"), 100); }),
                      "larger than the limit of 100 B"));
  EXPECT_EQ(fetch_to_string(declared.url("/f"), 10000), data);
}

TEST(HttpClientTest, UnreachableServerNamesTheUrl) {
  // A port nobody listens on: bind one, then close it.
  int port = 0;
  {
    RawServer gone([](const std::string&, int) { return std::string(); });
    std::string url = gone.url("");
    port = std::stoi(url.substr(url.rfind(':') + 1));
  }
  TempDir tmp;
  std::string url = "http://127.0.0.1:" + std::to_string(port) + "/f";
  std::string message = ErrorOf([&] { fetch_to_file(url, tmp / "f"); });
  EXPECT_TRUE(HasText(message, "fetching " + quote_name(url) + ": "));
  EXPECT_TRUE(list_dir(tmp.path()).empty());
}

TEST(HttpClientTest, PutSendsTheFileAndTheToken) {
  RawServer server([](const std::string&, int) {
    return response("201 Created", "Content-Length: 10\r\n", "published\n");
  });
  TempDir tmp;
  std::string data = test_pattern(3000);
  write_text(tmp / "f", data);
  put_file(server.url("/web_1.0.tar.zst"), tmp / "f", "s3cret");
  put_file(server.url("/web_1.0.tar.zst"), tmp / "f", "");
  auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_TRUE(requests[0].starts_with("PUT /web_1.0.tar.zst HTTP/1.1\r\n"));
  EXPECT_TRUE(HasText(requests[0], "\r\nAuthorization: Bearer s3cret\r\n"));
  EXPECT_TRUE(requests[0].ends_with("\r\n\r\n" + data));
  EXPECT_FALSE(HasText(requests[1], "Authorization"));
}

TEST(HttpClientTest, PutRefusedShowsTheServersReason) {
  RawServer server([](const std::string&, int) {
    return response("409 Conflict", "Content-Length: 37\r\n",
                    "image `web_1.0` exists already\nmore\n");
  });
  TempDir tmp;
  write_text(tmp / "f", "x");
  try {
    put_file(server.url("/web_1.0.tar.zst"), tmp / "f", "t");
    FAIL() << "no error";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_TRUE(HasText(e.what(), "image `web_1.0` exists already (HTTP 409 Conflict)"));
    EXPECT_FALSE(HasText(e.what(), "more"));
  }
}

TEST(HttpClientTest, PutRefusesFileUrlsAndBadTokens) {
  TempDir tmp;
  write_text(tmp / "f", "x");
  EXPECT_TRUE(HasText(ErrorOf([&] { put_file("file://" + (tmp / "g").string(), tmp / "f", ""); }),
                      "only http:// and https://"));
  EXPECT_TRUE(
      HasText(ErrorOf([&] { put_file("http://127.0.0.1:1/g", tmp / "f", "a\r\nX: y"); }), "token"));
  EXPECT_FALSE(std::filesystem::exists(tmp / "g"));
}

}  // namespace
}  // namespace pot::image
