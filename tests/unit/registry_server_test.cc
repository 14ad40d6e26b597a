// The registry server in-process on 127.0.0.1 (a free port), talked to with pot's client
// (fetch_to_file, put_file) and with cpp-httplib's, which sends what pot's client never would.
#include "image/registry_server.h"

#include <httplib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "core/unique_fd.h"
#include "image/digest.h"
#include "image/http_client.h"
#include "image/image_ref.h"
#include "image/manifest.h"
#include "image/registry_index.h"
#include "test_util.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;
using pot::testing::ErrorOf;
using pot::testing::HasText;
using pot::testing::list_dir;
using pot::testing::read_text;
using pot::testing::TempDir;
using pot::testing::test_pattern;
using pot::testing::write_text;

// serve_registry on a thread, serving root()/registry; stopped through its stop_fd.
class RunningRegistry {
 public:
  explicit RunningRegistry(std::string token = "", uint64_t max_upload_bytes = 64ULL << 30) {
    fs::create_directory(dir());
    stop_.reset(::eventfd(0, EFD_CLOEXEC));
    options_.dir = dir();
    options_.address = "127.0.0.1";
    options_.port = 0;
    options_.token = std::move(token);
    options_.max_upload_bytes = max_upload_bytes;
    options_.stop_fd = stop_.get();
    std::future<int> port = listening_.get_future();
    thread_ = std::thread([this] {
      bool told = false;
      options_.on_listening = [&](int p) {
        told = true;
        listening_.set_value(p);
      };
      try {
        serve_registry(options_);
      } catch (const std::exception& e) {
        error_ = e.what();
      }
      if (!told) listening_.set_value(-1);
    });
    port_ = port.get();
    if (port_ < 0) {
      thread_.join();
      throw std::runtime_error("registry server did not start: " + error_);
    }
  }
  ~RunningRegistry() {
    uint64_t one = 1;
    (void)!::write(stop_.get(), &one, sizeof one);
    thread_.join();
  }
  RunningRegistry(const RunningRegistry&) = delete;
  RunningRegistry& operator=(const RunningRegistry&) = delete;

  const fs::path& root() const { return root_.path(); }
  fs::path dir() const { return root_ / "registry"; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::string url(const std::string& file) const { return join_url(url(), file); }
  int port() const { return port_; }
  // Names in the directory, the staging directory and index.json aside.
  std::vector<std::string> published() const {
    std::vector<std::string> names;
    for (const auto& name : list_dir(dir()))
      if (name != ".staging" && name != "index.json") names.push_back(name);
    return names;
  }
  std::vector<std::string> staged() const { return list_dir(dir() / ".staging"); }

 private:
  TempDir root_{"pot-registry"};
  UniqueFd stop_;
  RegistryServerOptions options_;
  std::promise<int> listening_;
  int port_ = -1;
  std::string error_;
  std::thread thread_;
};

// An exported image's files in a directory, as `pot export -D` leaves them.
struct TestImage {
  ImageRef ref;
  fs::path dir;
  std::string archive;

  fs::path path(const std::string& file) const { return dir / file; }
};

TestImage make_image(const fs::path& dir, const std::string& pot, const std::string& tag,
                     size_t archive_size = 50000) {
  TestImage image{make_image_ref(pot, tag), dir, test_pattern(archive_size)};
  write_text(image.path(image.ref.archive_file()), image.archive);
  Manifest manifest;
  manifest.pot = pot;
  manifest.tag = tag;
  manifest.created = 1764165600;
  manifest.archive_file = image.ref.archive_file();
  manifest.archive_size = archive_size;
  manifest.unpacked_size = archive_size * 3;
  manifest.entries = 12;
  write_text(image.path(image.ref.manifest_file()), manifest.to_json());
  std::vector<DigestEntry> digests;
  for (const std::string& file : {image.ref.archive_file(), image.ref.manifest_file()})
    digests.push_back({sha256_file(image.path(file)), file});
  write_text(image.path(image.ref.digest_file()), format_digest_list(digests));
  return image;
}

void push(const RunningRegistry& registry, const TestImage& image, const std::string& token) {
  for (const std::string& file : image.ref.files_in_publish_order()) {
    if (fs::exists(image.path(file))) put_file(registry.url(file), image.path(file), token);
  }
}

long put_status(const std::function<void()>& put) {
  try {
    put();
  } catch (const HttpStatusError& e) {
    return e.status();
  }
  return 200;
}

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

TEST(RegistryServerTest, ServesFilesWholeAndInRanges) {
  RunningRegistry registry;
  std::string data = test_pattern(100000);
  write_text(registry.dir() / "web_1.0.tar.zst", data);
  TempDir out;
  fetch_to_file(registry.url("web_1.0.tar.zst"), out / "web_1.0.tar.zst");
  EXPECT_EQ(read_text(out / "web_1.0.tar.zst"), data);

  httplib::Client client("127.0.0.1", registry.port());
  auto range = client.Get("/web_1.0.tar.zst", {{"Range", "bytes=1000-1999"}});
  ASSERT_TRUE(range);
  EXPECT_EQ(range->status, 206);
  EXPECT_EQ(range->body, data.substr(1000, 1000));
  EXPECT_EQ(range->get_header_value("Content-Range"), "bytes 1000-1999/100000");

  auto open_ended = client.Get("/web_1.0.tar.zst", {{"Range", "bytes=99000-"}});
  ASSERT_TRUE(open_ended);
  EXPECT_EQ(open_ended->status, 206);
  EXPECT_EQ(open_ended->body, data.substr(99000));

  // Past the end: the end of the file (RFC 9110), not a read beyond it.
  auto past_end = client.Get("/web_1.0.tar.zst", {{"Range", "bytes=99990-200000"}});
  ASSERT_TRUE(past_end);
  EXPECT_EQ(past_end->status, 206);
  EXPECT_EQ(past_end->body, data.substr(99990));

  auto suffix = client.Get("/web_1.0.tar.zst", {{"Range", "bytes=-10"}});
  ASSERT_TRUE(suffix);
  EXPECT_EQ(suffix->status, 206);
  EXPECT_EQ(suffix->body, data.substr(99990));

  auto beyond = client.Get("/web_1.0.tar.zst", {{"Range", "bytes=100000-"}});
  ASSERT_TRUE(beyond);
  EXPECT_EQ(beyond->status, 416);
  EXPECT_EQ(beyond->get_header_value("Content-Range"), "bytes */100000");

  auto head = client.Head("/web_1.0.tar.zst");
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->get_header_value("Content-Length"), "100000");
  EXPECT_EQ(head->get_header_value("Accept-Ranges"), "bytes");
  EXPECT_TRUE(head->body.empty());
}

TEST(RegistryServerTest, MissingImageIsNotFoundAndLeavesNothing) {
  RunningRegistry registry;
  TempDir out;
  try {
    fetch_to_file(registry.url("nope_1.0.tar.zst"), out / "nope_1.0.tar.zst");
    FAIL() << "no error";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 404);
    EXPECT_TRUE(HasText(e.what(), "HTTP 404 Not Found"));
  }
  EXPECT_TRUE(list_dir(out.path()).empty());
}

TEST(RegistryServerTest, WritesTheIndexAtStart) {
  RunningRegistry registry;
  EXPECT_TRUE(fs::exists(registry.dir() / "index.json"));
  EXPECT_TRUE(parse_index(fetch_to_string(registry.url("index.json"))).empty());
  EXPECT_EQ(fetch_to_string(registry.url() + "/"), fetch_to_string(registry.url("index.json")));
  EXPECT_TRUE(registry.staged().empty());
}

TEST(RegistryServerTest, PushPublishesAndTagsAreImmutable) {
  RunningRegistry registry("s3cret");
  TempDir src;
  TestImage image = make_image(src.path(), "web", "1.0");
  push(registry, image, "s3cret");

  EXPECT_EQ(registry.published(), (std::vector<std::string>{"web_1.0.manifest.json",
                                                            "web_1.0.sha256", "web_1.0.tar.zst"}));
  EXPECT_TRUE(registry.staged().empty());
  auto index = parse_index(fetch_to_string(registry.url("index.json")));
  ASSERT_EQ(index.size(), 1u);
  EXPECT_EQ(index[0].pot, "web");
  EXPECT_EQ(index[0].tag, "1.0");
  EXPECT_FALSE(index[0].is_signed);
  TempDir out;
  fetch_to_file(registry.url("web_1.0.tar.zst"), out / "a");
  EXPECT_EQ(read_text(out / "a"), image.archive);

  // Again, even with other content: refused, the published image unchanged.
  TempDir src2;
  TestImage other = make_image(src2.path(), "web", "1.0", 1000);
  try {
    push(registry, other, "s3cret");
    FAIL() << "second push accepted";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 409);
    EXPECT_TRUE(HasText(e.what(), "`web_1.0` exists already"));
  }
  EXPECT_EQ(read_text(registry.dir() / "web_1.0.tar.zst"), image.archive);
  EXPECT_TRUE(registry.staged().empty());
}

TEST(RegistryServerTest, PushPublishesASignature) {
  RunningRegistry registry("s3cret");
  TempDir src;
  TestImage image = make_image(src.path(), "db", "2", 3 << 20);  // several reads and writes
  write_text(image.path(image.ref.signature_file()), "signature bytes");
  push(registry, image, "s3cret");
  EXPECT_EQ(read_text(registry.dir() / "db_2.sha256.sig"), "signature bytes");
  auto index = parse_index(fetch_to_string(registry.url("index.json")));
  ASSERT_EQ(index.size(), 1u);
  EXPECT_TRUE(index[0].is_signed);
}

TEST(RegistryServerTest, AbandonedPushLeavesNoSignatureForTheNextOne) {
  RunningRegistry registry("s3cret");
  TempDir src;
  TestImage image = make_image(src.path(), "db", "3");
  write_text(src.path() / "stale.sig", "a signature of another push");
  // A push that staged its signature and never sent the digest file.
  put_file(registry.url(image.ref.signature_file()), src.path() / "stale.sig", "s3cret");
  push(registry, image, "s3cret");  // unsigned: archive, manifest, digest
  EXPECT_TRUE(fs::exists(registry.dir() / "db_3.sha256"));
  EXPECT_FALSE(fs::exists(registry.dir() / "db_3.sha256.sig"))
      << "a signature staged before this push's archive is not this push's";
  auto index = parse_index(fetch_to_string(registry.url("index.json")));
  ASSERT_EQ(index.size(), 1u);
  EXPECT_FALSE(index[0].is_signed);
}

TEST(RegistryServerTest, DigestMismatchIsRefusedAndPublishesNothing) {
  RunningRegistry registry("s3cret");
  TempDir src;
  TestImage image = make_image(src.path(), "web", "1.0");
  TempDir other;
  write_text(other / image.ref.archive_file(), image.archive + "x");
  put_file(registry.url(image.ref.archive_file()), other / image.ref.archive_file(), "s3cret");
  put_file(registry.url(image.ref.manifest_file()), image.path(image.ref.manifest_file()),
           "s3cret");
  try {
    put_file(registry.url(image.ref.digest_file()), image.path(image.ref.digest_file()), "s3cret");
    FAIL() << "digest accepted";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 400);
    EXPECT_TRUE(HasText(e.what(), "`web_1.0.tar.zst`"));
    EXPECT_TRUE(HasText(e.what(), "mismatch"));
  }
  EXPECT_TRUE(registry.published().empty());
  EXPECT_TRUE(registry.staged().empty());
  EXPECT_TRUE(parse_index(fetch_to_string(registry.url("index.json"))).empty());

  // The digest file alone, without the files it names.
  try {
    put_file(registry.url(image.ref.digest_file()), image.path(image.ref.digest_file()), "s3cret");
    FAIL() << "digest accepted";
  } catch (const HttpStatusError& e) {
    EXPECT_EQ(e.status(), 400);
  }
  EXPECT_TRUE(registry.published().empty());

  // And a good push afterwards goes through.
  push(registry, image, "s3cret");
  EXPECT_EQ(registry.published().size(), 3u);
}

TEST(RegistryServerTest, PushNeedsTheToken) {
  RunningRegistry registry("s3cret");
  TempDir src;
  TestImage image = make_image(src.path(), "web", "1.0");
  fs::path archive = image.path(image.ref.archive_file());
  std::string url = registry.url(image.ref.archive_file());
  EXPECT_EQ(put_status([&] { put_file(url, archive, ""); }), 401);
  EXPECT_EQ(put_status([&] { put_file(url, archive, "s3cre"); }), 403);
  EXPECT_EQ(put_status([&] { put_file(url, archive, "s3cret-and-more"); }), 403);
  EXPECT_TRUE(HasText(ErrorOf([&] { put_file(url, archive, "wrong"); }), "wrong token"));
  EXPECT_TRUE(registry.staged().empty());
  EXPECT_TRUE(registry.published().empty());
}

TEST(RegistryServerTest, ReadOnlyRegistryRefusesPushes) {
  RunningRegistry registry;
  TempDir src;
  TestImage image = make_image(src.path(), "web", "1.0");
  for (std::string token : {"", "anything"}) {
    EXPECT_EQ(put_status([&] {
                put_file(registry.url(image.ref.archive_file()),
                         image.path(image.ref.archive_file()), token);
              }),
              405);
  }
  EXPECT_TRUE(registry.staged().empty());
  EXPECT_TRUE(registry.published().empty());
}

TEST(RegistryServerTest, UploadLargerThanTheLimitIsRefused) {
  RunningRegistry registry("s3cret", 10000);
  TempDir src;
  TestImage image = make_image(src.path(), "web", "1.0", 20000);
  EXPECT_EQ(put_status([&] {
              put_file(registry.url(image.ref.archive_file()), image.path(image.ref.archive_file()),
                       "s3cret");
            }),
            413);
  EXPECT_TRUE(registry.staged().empty());

  // A chunked body has no length to refuse up front: it is cut off at the limit.
  httplib::Client client("127.0.0.1", registry.port());
  std::string body = test_pattern(20000);
  auto res = client.Put(
      "/web_1.0.tar.zst", bearer("s3cret"),
      [&](size_t offset, httplib::DataSink& sink) {
        if (offset < body.size()) {
          sink.write(body.data() + offset, 1000);
        } else {
          sink.done();
        }
        return true;
      },
      "application/octet-stream");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_TRUE(registry.staged().empty());
}

TEST(RegistryServerTest, NamesNeverReachOutsideTheDirectory) {
  RunningRegistry registry("s3cret");
  write_text(registry.root() / "secret_1.sha256", "outside");
  fs::create_symlink("../secret_1.sha256", registry.dir() / "link_1.sha256");
  httplib::Client client("127.0.0.1", registry.port());

  for (const char* path :
       {"/..%2fsecret_1.sha256", "/../secret_1.sha256", "/a/b", "/%2e%2e/secret_1.sha256",
        "/link_1.sha256", "/.staging", "/registry/index.json"}) {
    auto get = client.Get(path);
    ASSERT_TRUE(get) << path;
    EXPECT_EQ(get->status, 404) << path;
    EXPECT_FALSE(HasText(get->body, "outside")) << path;
  }
  for (const char* path :
       {"/..%2fevil_1.tar.zst", "/../evil_1.tar.zst", "/a/b", "/x%2f..%2f..%2fevil_1.sha256",
        "/index.json", "/.staging", "/evil_1.tar.zst%00"}) {
    auto put = client.Put(path, bearer("s3cret"), "payload", "application/octet-stream");
    ASSERT_TRUE(put) << path;
    EXPECT_EQ(put->status, 400) << path;
  }
  EXPECT_EQ(list_dir(registry.root()), (std::vector<std::string>{"registry", "secret_1.sha256"}));
  EXPECT_EQ(read_text(registry.root() / "secret_1.sha256"), "outside");
  EXPECT_EQ(registry.published(), std::vector<std::string>{"link_1.sha256"});
  EXPECT_TRUE(registry.staged().empty());
}

TEST(RegistryServerTest, OtherMethodsAreNotAllowed) {
  RunningRegistry registry("s3cret");
  httplib::Client client("127.0.0.1", registry.port());
  client.set_keep_alive(true);  // a refused body must not be read as the next request
  auto get_index = [&] {
    auto get = client.Get("/index.json");
    return get ? get->status : -1;
  };
  auto post = client.Post("/web_1.0.tar.zst", bearer("s3cret"), "x", "text/plain");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  EXPECT_EQ(post->get_header_value("Allow"), "GET, HEAD, PUT");
  EXPECT_EQ(get_index(), 200);
  auto del = client.Delete("/index.json", bearer("s3cret"));
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);
  EXPECT_EQ(get_index(), 200);
  auto put = client.Put("/x_1.tar.zst", bearer("wrong"), "body", "application/octet-stream");
  ASSERT_TRUE(put);
  EXPECT_EQ(put->status, 403);
  EXPECT_EQ(get_index(), 200);
  EXPECT_TRUE(fs::exists(registry.dir() / "index.json"));
}

TEST(RegistryServerTest, CleansStagingLeftoversAtStart) {
  TempDir root;
  fs::create_directories(root / "registry" / ".staging");
  write_text(root / "registry" / ".staging" / "web_1.0.tar.zst.0123", "half");
  RegistryServerOptions options;
  options.dir = root / "registry";
  options.port = 0;
  UniqueFd stop(::eventfd(1, EFD_CLOEXEC));  // readable at once: stops right after starting
  options.stop_fd = stop.get();
  bool listened = false;
  options.on_listening = [&](int port) { listened = port > 0; };
  serve_registry(options);
  EXPECT_TRUE(listened);
  EXPECT_TRUE(list_dir(root / "registry" / ".staging").empty());
  EXPECT_TRUE(fs::exists(root / "registry" / "index.json"));
}

TEST(RegistryServerTest, CannotListenNamesTheAddress) {
  RunningRegistry first;
  RegistryServerOptions options;
  options.dir = first.dir();
  options.port = first.port();
  EXPECT_TRUE(HasText(ErrorOf([&] { serve_registry(options); }),
                      "`127.0.0.1:" + std::to_string(first.port()) + "`"));
}

}  // namespace
}  // namespace pot::image
