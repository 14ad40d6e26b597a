// Images end to end, as root: export, the registry (pot's own server and nginx serving the
// same directory), import, prepare, prune, signatures, and every bad input and hostile
// archive the issue lists. Servers listen on 127.0.0.1 only; pots are reached on their bridge
// or their exported port from the host.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <functional>
#include <regex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "core/unique_fd.h"
#include "harness.h"
#include "helpers/netns.h"
#include "helpers/test_archive.h"
#include "image/digest.h"
#include "image/manifest.h"
#include "net_harness.h"
#include "pot/leftovers.h"

namespace potit {
namespace {

using pot::UniqueFd;

// ---------------------------------------------------------------------------------------------
// A canned HTTP server on 127.0.0.1: answers every request with what `respond` writes on the
// socket, so tests can play a registry that fails in a chosen way.
// ---------------------------------------------------------------------------------------------
class CannedServer {
 public:
  using Responder = std::function<void(int fd, const std::string& path)>;

  explicit CannedServer(Responder respond) : respond_(std::move(respond)) {
    listener_ = pot::testing::bind_loopback_tcp(port_);
    if (!listener_ || ::listen(listener_.get(), 16) != 0)
      throw StepFailed("canned server: cannot listen");
    thread_ = std::thread([this] { serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    ::shutdown(listener_.get(), SHUT_RDWR);
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int requests() const { return requests_; }

  static void write_all(int fd, const std::string& data) {
    size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return;
      done += static_cast<size_t>(n);
    }
  }

 private:
  void serve() {
    while (!stop_) {
      UniqueFd client(::accept4(listener_.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (!client) continue;
      std::string request;
      char buf[4096];
      while (request.find("\r\n\r\n") == std::string::npos) {
        ssize_t n = ::recv(client.get(), buf, sizeof buf, 0);
        if (n <= 0) break;
        request.append(buf, static_cast<size_t>(n));
      }
      ++requests_;
      std::istringstream line(request);
      std::string method, path;
      line >> method >> path;
      respond_(client.get(), path);
    }
  }

  Responder respond_;
  UniqueFd listener_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  std::thread thread_;
};

class ImageTest : public PotTest {
 protected:
  void SetUp() override {
    PotTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    shared_client_network();  // POT_EXTIF for the bridge pots
    registry_ = root().tmp() / unique_name("registry");
    fs::create_directories(registry_);
  }

  std::vector<std::string> root_env() const override {
    return {"POT_NETWORK=10.124.0.0/16", "POT_GATEWAY=10.124.0.1",
            std::string("POT_EXTIF=") + ClientNetwork::kHostInterface};
  }

  fs::path cache() { return root().fs_root() / "cache"; }

  // A public-bridge pot whose root holds /www/index.html (in the image, not made at start)
  // and whose command serves it; port 80 exported. Returns its name.
  std::string web_pot(const std::string& prefix) {
    std::string name = create_pot(prefix, {"-N", "public-bridge"});
    fs::path site = root().tmp() / unique_name("site");
    fs::create_directories(site);
    write_text(site / "index.html", "page from the image of " + name + "\n");
    expect_ok(pot({"copy-in", "-p", name, "-s", site.string(), "-d", "/www"}));
    expect_ok(pot({"set-cmd", "-p", name, "-c", "httpd -f -p 80 -h /www"}));
    expect_ok(pot({"export-ports", "-p", name, "-e", "80"}));
    return name;
  }

  // `pot registry serve` on a port the kernel picks (-l 127.0.0.1:0); returns its URL, read
  // from the server's `serving DIR on URL` line, once it listens.
  std::string serve_registry(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args{"registry",         "serve", "-D",
                                  registry_.string(), "-l",    "127.0.0.1:0"};
    args.insert(args.end(), extra.begin(), extra.end());
    server_ = root().pot_background(args);
    std::string out;
    std::smatch url;  // points into `out`
    std::regex serving(R"(serving .* on (http://127\.0\.0\.1:[1-9][0-9]*)\n)");
    bool up = wait_until(
        [&] {
          out = server_->out();
          return std::regex_search(out, url, serving);
        },
        10000, 50);
    if (!up) throw StepFailed("registry server did not start: " + server_->err());
    return url[1].str();
  }

  // nginx serving the registry directory as plain files (a read-only registry).
  std::string serve_with_nginx() {
    // nginx cannot report a port of the kernel's choice: a free one, found at run time.
    uint16_t port = free_host_port();
    fs::path dir = root().tmp() / unique_name("nginx");
    fs::create_directories(dir);
    std::ostringstream conf;
    conf << "daemon off;\nmaster_process off;\nworker_processes 1;\n"
         << "pid " << (dir / "nginx.pid").string() << ";\n"
         << "error_log " << (dir / "error.log").string() << ";\n"
         << "events { worker_connections 64; }\n"
         << "http {\n  access_log " << (dir / "access.log").string() << ";\n";
    for (const char* temp : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"})
      conf << "  " << temp << "_temp_path " << (dir / temp).string() << ";\n";
    conf << "  default_type application/octet-stream;\n"
         << "  server { listen 127.0.0.1:" << port << "; root " << registry_.string() << "; }\n}\n";
    write_text(dir / "nginx.conf", conf.str());
    nginx_ =
        std::make_unique<Background>(std::vector<std::string>{"/usr/sbin/nginx", "-p", dir.string(),
                                                              "-c", (dir / "nginx.conf").string()},
                                     base_environment(), dir / "stdout", dir / "stderr");
    std::string url = "http://127.0.0.1:" + std::to_string(port);
    bool up = wait_until([&] { return !read_text(dir / "nginx.pid").empty(); }, 10000, 50);
    if (!up) throw StepFailed("nginx did not start: " + read_text(dir / "error.log"));
    return url;
  }

  // The host port `pot show` lists for the pot's port 80.
  std::string exported_port(const std::string& name) {
    std::string show = pot({"show", "-p", name}).out;
    auto at = show.find("port: tcp host ");
    if (at == std::string::npos) return "";
    std::istringstream words(show.substr(at + std::strlen("port: tcp host ")));
    std::string port;
    words >> port;
    return port;
  }

  // Runs `pot prepare ... -s` in the background and waits for the page on the exported port
  // from the host; stops the pot again.
  void prepare_start_and_fetch(const std::string& url, const std::string& image_pot,
                               const std::string& allocation,
                               const std::vector<std::string>& extra) {
    std::string task = "task-" + allocation;
    std::string name = task + "_" + allocation;
    track(image_pot + "_1.0");
    track(name);
    std::vector<std::string> args{"prepare",  "-U", url,  "-p", image_pot,       "-t", "1.0", "-a",
                                  allocation, "-n", task, "-N", "public-bridge", "-s"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto prepare = root().pot_background(args);
    std::string page = "page from the image of " + image_pot + "\n";
    std::string body;
    bool served = wait_until(
        [&] {
          std::string port = exported_port(name);
          if (port.empty()) return false;
          body = http_get("127.0.0.1", static_cast<uint16_t>(std::stoi(port)), 500);
          return body == page;
        },
        60000, 100);
    EXPECT_TRUE(served) << "the prepared pot never served the image's page; last body: " << body
                        << "\nprepare stderr: " << prepare->err();
    EXPECT_POT_OK(pot({"stop", "-p", name}));
    EXPECT_TRUE(prepare->wait(20000).has_value()) << "prepare -s returns once the pot stops";
    EXPECT_EQ(trim(expect_ok(pot({"get-attr", "-p", name, "-A", "persistent", "-q"})).out), "NO");
    EXPECT_EQ(trim(expect_ok(pot({"get-attr", "-p", name, "-A", "prunable", "-q"})).out), "YES");
    EXPECT_EQ(trim(expect_ok(pot({"get-attr", "-p", name, "-A", "no-rc-script", "-q"})).out),
              "YES");
  }

  // What a failed import must not leave: the pot, hidden creation directories, cache files
  // of the image.
  void expect_nothing_of(const std::string& image) {
    auto pots = split_lines(pot({"ls", "-q"}).out);
    EXPECT_EQ(std::count(pots.begin(), pots.end(), image), 0) << "no pot " << image;
    for (const auto& entry : dir_entries(root().fs_root() / "jails"))
      EXPECT_EQ(entry.rfind(".creating.", 0), std::string::npos) << "left behind: " << entry;
    EXPECT_FALSE(fs::exists(root().fs_root() / "run" / (image + ".lock"))) << "lock file left";
    for (const auto& entry : dir_entries(cache())) {
      if (entry.rfind(image, 0) == 0 && entry.find(".tar.zst") != std::string::npos)
        ADD_FAILURE() << "unverified archive left in the cache: " << entry;
    }
  }

  // Writes an image whose archive has `entries`, with correct digests (so only the archive's
  // content is on trial), into the registry directory.
  void write_raw_image(const std::string& pot_name, const std::string& tag,
                       const std::vector<pot::testing::TestEntry>& entries,
                       uint64_t unpacked_size = 1 << 20) {
    std::string name = pot_name + "_" + tag;
    fs::path archive = registry_ / (name + ".tar.zst");
    pot::testing::write_archive(archive.string(), entries, pot::testing::Filter::kZstd);
    write_manifest_and_digest(pot_name, tag, unpacked_size, entries.size() + 1);
  }

  void write_manifest_and_digest(const std::string& pot_name, const std::string& tag,
                                 uint64_t unpacked_size, uint64_t entries) {
    std::string name = pot_name + "_" + tag;
    pot::image::Manifest manifest;
    manifest.pot = pot_name;
    manifest.tag = tag;
    manifest.created = 1764000000;
    manifest.archive_file = name + ".tar.zst";
    manifest.archive_size = fs::file_size(registry_ / manifest.archive_file);
    manifest.unpacked_size = unpacked_size;
    manifest.entries = entries;
    write_text(registry_ / (name + ".manifest.json"), manifest.to_json());
    write_text(registry_ / (name + ".sha256"),
               pot::image::format_digest_list(
                   {{sha256_of(registry_ / (name + ".tar.zst")), name + ".tar.zst"},
                    {sha256_of(registry_ / (name + ".manifest.json")), name + ".manifest.json"}}));
  }

  fs::path registry_;
  std::unique_ptr<Background> server_;
  std::unique_ptr<Background> nginx_;
};

TEST_F(ImageTest, ExportWritesACheckableSignedImage) {
  std::string web = web_pot("exp");
  fs::path key = root().tmp() / unique_name("key");
  ASSERT_POT_OK(pot({"keygen", "-k", key.string()}));
  EXPECT_EQ(fs::status(key).permissions() & fs::perms::all,
            fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_TRUE(fs::exists(key.string() + ".pub"));
  EXPECT_NE(pot({"keygen", "-k", key.string()}).code, 0) << "an existing key is kept";

  EXPECT_TRUE(expect_ok(pot({"snapshot", "-p", web})).ok());
  ASSERT_POT_OK(
      pot({"export", "-p", web, "-t", "1.0", "-D", registry_.string(), "-S", key.string()}));
  std::string name = web + "_1.0";
  for (const char* suffix : {".tar.zst", ".manifest.json", ".sha256", ".sha256.sig"})
    EXPECT_TRUE(fs::exists(registry_ / (name + suffix))) << name << suffix;
  RunOptions shell;
  shell.env = base_environment();
  RunResult check = run_process(
      {"/bin/sh", "-c", "cd '" + registry_.string() + "' && sha256sum -c " + name + ".sha256"},
      shell);
  EXPECT_TRUE(check.ok()) << "sha256sum checks the image by hand\n" << check;
  std::string manifest = read_text(registry_ / (name + ".manifest.json"));
  EXPECT_NE(manifest.find("httpd -f -p 80 -h /www"), std::string::npos) << manifest;
  EXPECT_NE(manifest.find("tcp:80"), std::string::npos) << manifest;
  EXPECT_EQ(manifest.find("3000"), std::string::npos) << "no host port travels: " << manifest;
  EXPECT_NE(read_text(registry_ / "index.json").find("\"" + web + "\""), std::string::npos);

  RunResult running = pot({"export", "-p", "no-such-pot", "-t", "1.0", "-D", registry_.string()});
  EXPECT_NE(running.code, 0);
  EXPECT_EQ(running.err_lines().size(), 1U) << running;
  RunResult level = pot({"export", "-p", web, "-t", "1.0", "-D", registry_.string(), "-l", "42"});
  EXPECT_NE(level.code, 0);
  EXPECT_NE(level.err.find("-l"), std::string::npos) << level;
}

TEST_F(ImageTest, RoundTripThroughThePotRegistryServesThePage) {
  std::string web = web_pot("rt");
  fs::path key = root().tmp() / unique_name("key");
  ASSERT_POT_OK(pot({"keygen", "-k", key.string()}));
  ASSERT_POT_OK(
      pot({"export", "-p", web, "-t", "1.0", "-D", registry_.string(), "-S", key.string()}));
  std::string url = serve_registry();

  RunResult ls = pot({"registry", "ls", url});
  ASSERT_POT_OK(ls);
  EXPECT_NE(ls.out.find(web + "\t1.0\t"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("signed"), std::string::npos) << ls.out;

  prepare_start_and_fetch(url, web, "a1", {"-C", key.string() + ".pub"});
  // A second allocation reuses the imported pot: nothing is fetched again.
  std::string before = server_->out();
  ASSERT_POT_OK(pot({"prepare", "-U", url, "-p", web, "-t", "1.0", "-a", "a2", "-n", "task-a1"}));
  track("task-a1_a2");
  EXPECT_EQ(server_->out(), before) << "no request for an image already imported";

  // Destroyed and imported again: the archive comes from the cache, only the digest is asked.
  ASSERT_POT_OK(pot({"destroy", "-p", "task-a1_a2"}));
  ASSERT_POT_OK(pot({"destroy", "-p", "task-a1_a1"}));
  ASSERT_POT_OK(pot({"destroy", "-p", web + "_1.0"}));
  ASSERT_POT_OK(pot({"import", "-p", web, "-t", "1.0", "-U", url}));
  std::string log = server_->out();
  size_t archive_gets = 0;
  for (size_t at = log.find(web + "_1.0.tar.zst"); at != std::string::npos;
       at = log.find(web + "_1.0.tar.zst", at + 1))
    ++archive_gets;
  EXPECT_EQ(archive_gets, 1U) << "the archive is fetched once\n" << log;
}

// A job with several allocations on one host: their prepares race for one image, which is
// fetched and unpacked once, and each gets its own pot.
TEST_F(ImageTest, ParallelPreparesOfOneImageImportItOnceAndPickDifferentHostPorts) {
  std::string web = create_pot("par");
  ASSERT_POT_OK(pot({"export-ports", "-p", web, "-e", "80"}));  // travels: the pot side only
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "1", "-D", registry_.string()}));
  std::string url = serve_registry();
  track(web + "_1");
  std::vector<std::unique_ptr<Background>> prepares;
  for (int i = 0; i < 4; ++i) {
    track("job_" + std::to_string(i));
    prepares.push_back(
        root().pot_background({"prepare", "-U", url, "-p", web, "-t", "1", "-a", std::to_string(i),
                               "-n", "job", "-N", "public-bridge"}));
  }
  for (auto& prepare : prepares) {
    auto code = prepare->wait(60000);
    ASSERT_TRUE(code.has_value());
    EXPECT_EQ(*code, 0) << prepare->err();
  }
  auto pots = split_lines(pot({"ls", "-q"}).out);
  std::set<std::string> host_ports;
  for (int i = 0; i < 4; ++i) {
    std::string job = "job_" + std::to_string(i);
    EXPECT_EQ(std::count(pots.begin(), pots.end(), job), 1) << i;
    // Each picked its host port while the others were being made: none may share one.
    auto conf = parse_assignments(read_text(root().jail_dir(job) / "conf" / "pot.conf"));
    EXPECT_NE(conf["pot.export.ports"], "") << job;
    host_ports.insert(conf["pot.export.ports"]);
  }
  EXPECT_EQ(host_ports.size(), 4U) << "parallel prepares picked the same host port";
  std::string log = server_->out();
  size_t archive_gets = 0;
  for (size_t at = log.find("GET /" + web + "_1.tar.zst"); at != std::string::npos;
       at = log.find("GET /" + web + "_1.tar.zst", at + 1))
    ++archive_gets;
  EXPECT_EQ(archive_gets, 1U) << log;
}

TEST_F(ImageTest, NginxServingTheDirectoryIsARegistry) {
  std::string web = web_pot("ngx");
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "1.0", "-D", registry_.string()}));
  std::string url = serve_with_nginx();
  RunResult ls = pot({"registry", "ls", url});
  ASSERT_POT_OK(ls);
  EXPECT_NE(ls.out.find(web + "\t1.0\t"), std::string::npos) << ls.out;
  prepare_start_and_fetch(url, web, "n1", {});
}

TEST_F(ImageTest, PushNeedsTheTokenAndPublishesWholeImagesOnce) {
  std::string web = create_pot("push");
  fs::path out = root().tmp() / unique_name("out");
  fs::create_directories(out);
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "2", "-D", out.string()}));
  fs::path token = root().tmp() / unique_name("token");
  write_text(token, "s3cret-token\n", 0600);
  fs::path wrong = root().tmp() / unique_name("wrong");
  write_text(wrong, "guess\n", 0600);
  std::string url = serve_registry({"--token-file", token.string()});

  RunResult refused = pot({"registry", "push", "-U", url, "-p", web, "-t", "2", "-D", out.string(),
                           "--token-file", wrong.string()});
  EXPECT_NE(refused.code, 0);
  EXPECT_EQ(refused.err_lines().size(), 1U) << refused;
  EXPECT_FALSE(fs::exists(registry_ / (web + "_2.sha256")));
  EXPECT_FALSE(fs::exists(registry_ / (web + "_2.tar.zst")));

  ASSERT_POT_OK(pot({"registry", "push", "-U", url, "-p", web, "-t", "2", "-D", out.string(),
                     "--token-file", token.string()}));
  EXPECT_EQ(sha256_of(registry_ / (web + "_2.tar.zst")), sha256_of(out / (web + "_2.tar.zst")));
  EXPECT_NE(expect_ok(pot({"registry", "ls", url})).out.find(web + "\t2\t"), std::string::npos);
  RunResult again = pot({"registry", "push", "-U", url, "-p", web, "-t", "2", "-D", out.string(),
                         "--token-file", token.string()});
  EXPECT_NE(again.code, 0) << "tags are immutable";
  EXPECT_NE(again.err.find("409"), std::string::npos) << again;

  ASSERT_POT_OK(pot({"import", "-p", web, "-t", "2", "-U", url}));
  track(web + "_2");
}

TEST_F(ImageTest, BadImagesAndServersAreRefusedAndLeaveNothing) {
  std::string web = create_pot("bad");
  fs::path key = root().tmp() / unique_name("key");
  fs::path other = root().tmp() / unique_name("other");
  ASSERT_POT_OK(pot({"keygen", "-k", key.string()}));
  ASSERT_POT_OK(pot({"keygen", "-k", other.string()}));
  ASSERT_POT_OK(
      pot({"export", "-p", web, "-t", "s", "-D", registry_.string(), "-S", key.string()}));
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "u", "-D", registry_.string()}));
  std::string url = "file://" + registry_.string();
  track(web + "_s");
  track(web + "_u");

  auto refused = [&](const std::vector<std::string>& args, const std::string& why,
                     const std::vector<std::string>& env = {}) {
    RunOptions options;
    options.env = root().env(env);
    RunResult r = pot(args, options);
    EXPECT_NE(r.code, 0) << why << "\n" << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << why << ": one line\n" << r;
    EXPECT_NE(r.err.find(why), std::string::npos) << r;
    return r;
  };
  refused({"import", "-p", web, "-t", "nope", "-U", url}, "not found");
  refused({"import", "-p", "../etc", "-t", "1", "-U", url}, "invalid pot name");
  refused({"import", "-p", web, "-t", "a/b", "-U", url}, "invalid image tag");
  refused({"import", "-p", web, "-t", "s", "-U", "ftp://127.0.0.1/x"}, "ftp://");
  refused({"import", "-p", web, "-t", "s", "-U", url, "-C", other.string() + ".pub"},
          "signed by key");
  refused({"import", "-p", web, "-t", "u", "-U", url}, "is not signed",
          {"POT_DEFAULT_SIGNATURE_PUBKEY=" + key.string() + ".pub"});
  expect_nothing_of(web + "_s");
  expect_nothing_of(web + "_u");

  // The archive changed after the digest was written.
  fs::path archive = registry_ / (web + "_u.tar.zst");
  std::string bytes = read_text(archive);
  bytes[bytes.size() / 2] ^= 0x55;
  write_text(archive, bytes);
  refused({"import", "-p", web, "-t", "u", "-U", url}, "SHA-256 mismatch");
  expect_nothing_of(web + "_u");

  // A signed digest file, changed: the signature catches it before any digest is trusted.
  std::string digest = read_text(registry_ / (web + "_s.sha256"));
  digest[0] = digest[0] == 'a' ? 'b' : 'a';
  write_text(registry_ / (web + "_s.sha256"), digest);
  refused({"import", "-p", web, "-t", "s", "-U", url, "-C", key.string() + ".pub"},
          "does not verify");
  expect_nothing_of(web + "_s");

  // A corrupt archive with matching digests: unpacking fails and the dataset goes.
  write_text(archive, bytes.substr(0, bytes.size() / 2));
  write_manifest_and_digest(web, "u", 100 << 20, 1000000);
  refused({"import", "-p", web, "-t", "u", "-U", url}, "truncated");
  expect_nothing_of(web + "_u");
  EXPECT_EQ(dir_entries(root().fs_root() / "jails").count(web + "_u"), 0U);
}

TEST_F(ImageTest, ServersThatFailAreReportedAndLeaveNothing) {
  std::string body(1 << 20, 'x');
  CannedServer error500([](int fd, const std::string&) {
    CannedServer::write_all(fd,
                            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n"
                            "Connection: close\r\n\r\noops");
  });
  RunResult r = pot({"import", "-p", "img", "-t", "1", "-U", error500.url()});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("500"), std::string::npos) << r;
  EXPECT_EQ(r.err_lines().size(), 1U) << r;
  expect_nothing_of("img_1");

  // Serves a real digest file and manifest, then cuts every archive transfer short.
  std::string web = create_pot("cut");
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "1", "-D", registry_.string()}));
  fs::path dir = registry_;
  CannedServer cut([&](int fd, const std::string& path) {
    std::string file = read_text(dir / path.substr(1));
    if (path.find(".tar.zst") != std::string::npos) {
      CannedServer::write_all(
          fd, "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(file.size()) + "\r\n\r\n" +
                  file.substr(0, file.size() / 3));
      return;  // closes mid-transfer
    }
    CannedServer::write_all(fd,
                            "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(file.size()) +
                                "\r\nConnection: close\r\n\r\n" + file);
  });
  r = pot({"import", "-p", web, "-t", "1", "-U", cut.url()});
  EXPECT_NE(r.code, 0);
  EXPECT_EQ(r.err_lines().size(), 1U) << r;
  EXPECT_NE(r.err.find("closed"), std::string::npos) << r;
  expect_nothing_of(web + "_1");
  EXPECT_FALSE(fs::exists(cache() / (web + "_1.tar.zst")));
  for (const auto& entry : dir_entries(cache()))
    EXPECT_EQ(entry.find(".part"), std::string::npos) << "partial download left: " << entry;
}

TEST_F(ImageTest, InterruptedImportLeavesNothing) {
  std::string web = create_pot("int");
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "1", "-D", registry_.string()}));
  fs::path dir = registry_;
  // The archive trickles out slowly, so the import is surely mid-download when interrupted.
  std::atomic<bool> stop{false};
  CannedServer slow([&](int fd, const std::string& path) {
    std::string file = read_text(dir / path.substr(1));
    std::string head = "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(file.size()) +
                       "\r\nConnection: close\r\n\r\n";
    if (path.find(".tar.zst") == std::string::npos) {
      CannedServer::write_all(fd, head + file);
      return;
    }
    CannedServer::write_all(fd, head);
    for (size_t at = 0; at < file.size() && !stop; at += 1024) {
      CannedServer::write_all(fd, file.substr(at, 1024));
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });
  auto import = root().pot_background({"import", "-p", web, "-t", "1", "-U", slow.url()});
  ASSERT_TRUE(wait_until([&] { return slow.requests() >= 3; }, 10000));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  import->kill(SIGINT);
  auto code = import->wait(10000);
  stop = true;
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(import->err().find("interrupted"), std::string::npos) << import->err();
  expect_nothing_of(web + "_1");
  EXPECT_FALSE(fs::exists(cache() / (web + "_1.tar.zst")));
}

// Each archive is hostile in one way; the digests are right, so the extraction itself is on
// trial. Nothing may appear outside the pot, and no pot may remain.
TEST_F(ImageTest, HostileArchivesAreRefusedWithNothingWrittenOutside) {
  using namespace pot::testing;
  fs::path outside = root().tmp() / unique_name("outside");
  fs::create_directories(outside);
  std::string victim = (outside / "victim").string();
  write_text(victim, "untouched\n");
  std::string url = "file://" + registry_.string();

  struct Case {
    std::string tag;
    std::vector<TestEntry> entries;
    std::string why;
    uint64_t unpacked_size = 1 << 20;
  };
  std::vector<Case> cases{
      {"dotdot", {dir("./"), file("../../../../../.." + victim, "pwned")}, ".."},
      {"inner-dotdot", {dir("./"), file("x/../../y", "pwned")}, ".."},
      {"symlink-out", {symlink("link", outside.string()), file("link/victim", "pwned")}, "symlink"},
      {"hardlink-out", {hardlink("h", victim)}, "hard link"},
      {"parent-link", {symlink("etc", outside.string()), file("etc/new", "pwned")}, "symlink"},
      {"device", {dir("dev/"), node("dev/sda", AE_IFBLK, 8, 0)}, "device"},
      {"bomb", {file("zeros", std::string(8 << 20, '\0'))}, "size limit", 4096},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.tag);
    std::string image = "evil_" + c.tag;
    track(image);
    write_raw_image("evil", c.tag, c.entries, c.unpacked_size);
    RunResult r = pot({"import", "-p", "evil", "-t", c.tag, "-U", url});
    EXPECT_NE(r.code, 0) << r;
    EXPECT_EQ(r.err_lines().size(), 1U) << r;
    EXPECT_NE(r.err.find(c.why), std::string::npos) << r;
    expect_nothing_of(image);
    EXPECT_EQ(read_text(victim), "untouched\n");
    EXPECT_EQ(dir_entries(outside), std::set<std::string>{"victim"});
  }

  // An absolute name lands inside the pot, as tar makes it relative.
  write_raw_image("evil", "absolute", {file(victim, "inside")});
  track("evil_absolute");
  ASSERT_POT_OK(pot({"import", "-p", "evil", "-t", "absolute", "-U", url}));
  EXPECT_EQ(read_text(root().jail_dir("evil_absolute") / "m" / victim.substr(1)), "inside");
  EXPECT_EQ(read_text(victim), "untouched\n");

  // A manifest claiming more than the disk holds: refused before anything is unpacked.
  write_raw_image("evil", "huge", {file("a", "a")}, 1ULL << 50);
  track("evil_huge");
  RunResult huge = pot({"import", "-p", "evil", "-t", "huge", "-U", url});
  EXPECT_NE(huge.code, 0) << huge;
  EXPECT_NE(huge.err.find("more than the"), std::string::npos) << huge;
  expect_nothing_of("evil_huge");

  // Truncated: a valid archive cut short (digests made for the cut file).
  write_raw_image("evil", "cut", {file("a", std::string(1 << 20, 'a')), file("b", "b")});
  std::string bytes = read_text(registry_ / "evil_cut.tar.zst");
  write_text(registry_ / "evil_cut.tar.zst", bytes.substr(0, bytes.size() - 20));
  write_manifest_and_digest("evil", "cut", 2 << 20, 4);
  track("evil_cut");
  RunResult r = pot({"import", "-p", "evil", "-t", "cut", "-U", url});
  EXPECT_NE(r.code, 0) << r;
  EXPECT_NE(r.err.find("truncated"), std::string::npos) << r;
  expect_nothing_of("evil_cut");
}

TEST_F(ImageTest, PruneRemovesOnlyStoppedPrunablePotsThatRan) {
  std::string web = create_pot("prn");
  ASSERT_POT_OK(pot({"set-cmd", "-p", web, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "1", "-D", registry_.string()}));
  std::string url = "file://" + registry_.string();
  track(web + "_1");
  for (const char* alloc : {"x", "y", "z"}) {
    ASSERT_POT_OK(pot({"prepare", "-U", url, "-p", web, "-t", "1", "-a", alloc, "-n", "job"}));
    track(std::string("job_") + alloc);
  }
  // job_x ran and ended; job_y runs (in the background: a non-persistent pot runs in the
  // foreground); job_z was prepared and never started, as between the driver's prepare and
  // start.
  ASSERT_POT_OK(pot({"set-cmd", "-p", "job_x", "-c", "true"}));
  ASSERT_POT_OK(pot({"start", "job_x"}));
  auto running = root().pot_background({"start", "job_y"});
  ASSERT_TRUE(wait_until([&] { return is_running("job_y"); }, 10000));

  RunResult dry = pot({"prune", "-n"});
  ASSERT_POT_OK(dry);
  EXPECT_EQ(dry.out, "would prune job_x\n");
  RunResult grace = pot({"prune", "-g"});
  ASSERT_POT_OK(grace);
  EXPECT_EQ(grace.out, "") << "-g: job_x ended less than a minute ago";
  ASSERT_POT_OK(pot({"prune"}));
  auto pots = split_lines(pot({"ls", "-q"}).out);
  EXPECT_EQ(std::count(pots.begin(), pots.end(), "job_x"), 0) << "ran, stopped, prunable: pruned";
  EXPECT_EQ(std::count(pots.begin(), pots.end(), "job_y"), 1) << "running: kept";
  EXPECT_EQ(std::count(pots.begin(), pots.end(), "job_z"), 1) << "never started: kept";
  EXPECT_EQ(std::count(pots.begin(), pots.end(), web), 1) << "not prunable: kept";
  EXPECT_EQ(std::count(pots.begin(), pots.end(), web + "_1"), 1) << "the image: kept";
  ASSERT_POT_OK(pot({"stop", "-p", "job_y"}));
  running->wait(10000);

  // An image made from a prepared pot does not carry prunable (nor to-be-pruned) along.
  ASSERT_POT_OK(pot({"export", "-p", "job_y", "-t", "again", "-D", registry_.string()}));
  std::string manifest = read_text(registry_ / "job_y_again.manifest.json");
  EXPECT_EQ(manifest.find("prunable"), std::string::npos) << manifest;
  ASSERT_POT_OK(pot({"import", "-p", "job_y", "-t", "again", "-U", url}));
  track("job_y_again");
  ASSERT_POT_OK(pot({"prune"}));
  pots = split_lines(pot({"ls", "-q"}).out);
  EXPECT_EQ(std::count(pots.begin(), pots.end(), "job_y_again"), 1) << "an image is not pruned";

  RunResult dup = pot({"prepare", "-U", url, "-p", web, "-t", "1", "-a", "z", "-n", "job"});
  EXPECT_NE(dup.code, 0);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos) << dup;
  RunResult bad_port = pot({"prepare", "-U", url, "-p", web, "-t", "1", "-a", "w", "-e", "99999"});
  EXPECT_NE(bad_port.code, 0);
  EXPECT_EQ(dir_entries(root().fs_root() / "jails").count(web + "_1_w"), 0U);
}

// An image pot imported without a signature check does not satisfy a later prepare that
// requires one; a pot that is no image at all is refused too.
TEST_F(ImageTest, PrepareWithAKeyRefusesAnImageImportedWithoutIt) {
  std::string web = create_pot("sig");
  fs::path key = root().tmp() / unique_name("key");
  ASSERT_POT_OK(pot({"keygen", "-k", key.string()}));
  ASSERT_POT_OK(
      pot({"export", "-p", web, "-t", "1", "-D", registry_.string(), "-S", key.string()}));
  std::string url = "file://" + registry_.string();
  ASSERT_POT_OK(pot({"import", "-p", web, "-t", "1", "-U", url}));  // no key asked for
  track(web + "_1");
  track("job_a");
  RunResult refused = pot({"prepare", "-U", url, "-p", web, "-t", "1", "-a", "a", "-n", "job", "-C",
                           key.string() + ".pub"});
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("without checking a signature"), std::string::npos) << refused;
  EXPECT_EQ(dir_entries(root().fs_root() / "jails").count("job_a"), 0U);

  ASSERT_POT_OK(pot({"destroy", "-p", web + "_1"}));
  ASSERT_POT_OK(pot({"prepare", "-U", url, "-p", web, "-t", "1", "-a", "a", "-n", "job", "-C",
                     key.string() + ".pub"}));
  ASSERT_POT_OK(pot({"prepare", "-U", url, "-p", web, "-t", "1", "-a", "b", "-n", "job", "-C",
                     key.string() + ".pub"}))
      << "the image pot now records the key that checked it";
  track("job_b");

  std::string fake = create_pot("fake");
  ASSERT_POT_OK(pot({"rename", "-p", fake, "-n", "made_1"}));
  track("made_1");
  RunResult not_image = pot({"prepare", "-U", url, "-p", "made", "-t", "1", "-a", "c"});
  EXPECT_NE(not_image.code, 0);
  EXPECT_NE(not_image.err.find("not an imported image"), std::string::npos) << not_image;
}

// A failed export leaves the published image as it was: a secret key others can read is
// refused before any work, and an export interrupted while writing publishes nothing and
// leaves no staged file. Staged files of a killed export go with the next export; those of
// a live one stay.
TEST_F(ImageTest, FailedExportLeavesThePublishedImageAlone) {
  std::string web = create_pot("fexp");
  fs::path key = root().tmp() / unique_name("key");
  ASSERT_POT_OK(pot({"keygen", "-k", key.string()}));
  ASSERT_POT_OK(
      pot({"export", "-p", web, "-t", "1", "-D", registry_.string(), "-S", key.string()}));
  std::set<std::string> before = dir_entries(registry_);
  std::map<std::string, std::string> digests;
  for (const auto& file : before) digests[file] = sha256_of(registry_ / file);
  auto unchanged = [&] {
    EXPECT_EQ(dir_entries(registry_), before) << "no staged file left";
    for (const auto& [file, digest] : digests)
      EXPECT_EQ(sha256_of(registry_ / file), digest) << file;
  };

  fs::permissions(key, fs::perms::others_read, fs::perm_options::add);
  RunResult refused =
      pot({"export", "-p", web, "-t", "1", "-D", registry_.string(), "-S", key.string()});
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("readable by others"), std::string::npos) << refused;
  unchanged();
  fs::permissions(key, fs::perms::others_read, fs::perm_options::remove);

  // Enough incompressible data that the export is surely still writing when interrupted.
  fs::path big = root().tmp() / unique_name("big");
  RunOptions shell;
  shell.env = base_environment();
  expect_ok(
      run_process({"/bin/sh", "-c", "head -c 300000000 /dev/urandom > " + big.string()}, shell));
  ASSERT_POT_OK(pot({"copy-in", "-p", web, "-s", big.string(), "-d", "/big"}));
  fs::remove(big);
  ASSERT_POT_OK(pot({"snapshot", "-p", web}));
  auto exporting = root().pot_background(
      {"export", "-p", web, "-t", "1", "-D", registry_.string(), "-S", key.string()});
  // The archive is written into an unnamed file in the directory (O_TMPFILE): interrupt
  // once the export has it open.
  bool writing = wait_until(
      [&] {
        std::error_code ec;
        fs::path fds = "/proc/" + std::to_string(exporting->pid()) + "/fd";
        for (const auto& fd : fs::directory_iterator(fds, ec)) {
          std::string target = fs::read_symlink(fd.path(), ec).string();
          if (target.rfind(registry_.string() + "/", 0) == 0) return true;
        }
        return false;
      },
      20000, 5);
  ASSERT_TRUE(writing) << "the export never wrote into the directory: " << exporting->err();
  exporting->kill(SIGINT);
  auto code = exporting->wait(20000);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(exporting->err().find("interrupted"), std::string::npos) << exporting->err();
  unchanged();

  // Leftovers of a killed export (a process that no longer runs) and of a live one (this
  // test process, by its creation name).
  std::string dead = ".creating.999999999.1." + web + "_1.tar.zst";
  std::string live = pot::creation_path(registry_, web + "_9.tar.zst").filename().string();
  write_text(registry_ / dead, "half");
  write_text(registry_ / live, "in progress");
  ASSERT_POT_OK(pot({"export", "-p", web, "-t", "2", "-D", registry_.string()}));
  EXPECT_FALSE(fs::exists(registry_ / dead)) << "a killed export's file is removed";
  EXPECT_TRUE(fs::exists(registry_ / live)) << "a live export's file is kept";
  fs::remove(registry_ / live);
}

}  // namespace
}  // namespace potit
