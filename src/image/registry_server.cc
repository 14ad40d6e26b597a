// The registry server (the pot-registry program): the files of a registry directory over
// HTTP, and pushes into it.
//
// A push is one PUT per file of an image, the digest file last. Each body streams into
// DIR/.staging/<file>.<random> and is renamed to .staging/<file> once whole. The PUT of the
// digest file publishes: it checks the staged archive and manifest against the staged digest
// file, renames them (and a staged signature) into DIR, the digest file last, and rewrites
// index.json. Readers look for the digest file first, so they see an image whole or not at
// all. Publishing and the renames into .staging hold one mutex: two pushes cannot interleave,
// and no upload replaces a staged file between its check and its publication.
//
// Only names is_image_file_name accepts (and index.json) are served or written. They have no
// `/`, and every file is opened relative to the directory's descriptor with O_NOFOLLOW, so no
// request reaches outside DIR.
#include "image/registry_server.h"

#include <fcntl.h>
#include <httplib.h>
#include <poll.h>
#include <signal.h>
#include <sodium.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"
#include "image/digest.h"
#include "image/image_ref.h"
#include "image/manifest.h"
#include "image/progress.h"
#include "image/registry_index.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;

constexpr const char* kIndexFile = "index.json";
constexpr const char* kStagingDir = ".staging";
constexpr size_t kReadChunk = 64 * 1024;
constexpr uint64_t kMaxDiscard = 1 << 20;

// The image `file` belongs to (`<pot>_<tag>`); the file must pass is_image_file_name.
std::string image_of(const std::string& file) {
  std::string image = image_name_of(file);
  if (image.empty()) throw Error(quote_name(file) + " is not an image file name");
  return image;
}

std::string first_line(std::string_view text) {
  text = text.substr(0, text.find('\n'));
  std::string line;
  for (char c : text) line.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  return line;
}

bool ascii_istarts_with(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char c = text[i] >= 'A' && text[i] <= 'Z' ? static_cast<char>(text[i] + 32) : text[i];
    if (c != prefix[i]) return false;
  }
  return true;
}

// httplib 0.11 hands handlers the Range it parsed and then serves it as given, even past the
// end of the file. The handler clamps it the way RFC 9110 says, or drops it (a server may
// ignore a Range, and an error answer must not be cut). The Request is httplib's own
// non-const object; handlers merely see it as const.
httplib::Ranges& ranges_of(const httplib::Request& req) {
  return const_cast<httplib::Request&>(req).ranges;
}

// An answer with a one-line reason as its body (put_file shows it to the user).
void answer(const httplib::Request& req, httplib::Response& res, int status,
            const std::string& reason) {
  ranges_of(req).clear();
  res.status = status;
  res.set_content(first_line(reason) + "\n", "text/plain; charset=utf-8");
}

void not_allowed(const httplib::Request& req, httplib::Response& res) {
  res.set_header("Allow", "GET, HEAD, PUT");
  answer(req, res, 405, req.method + " is not allowed");
}

// Reads and drops a refused request's body, when small, so the next request on the
// connection is read from its start. A large one is left unread: curl stops sending when an
// answer comes early, and closes the connection.
void discard_body(httplib::Response& res, const httplib::ContentReader& read_body) {
  int status = res.status;  // httplib sets its own when reading fails
  uint64_t dropped = 0;
  read_body([&](const char*, size_t size) {
    dropped += size;
    return dropped <= kMaxDiscard;
  });
  res.status = status;
}

const char* content_type_of(const std::string& name) {
  if (name.ends_with(".json")) return "application/json";
  if (name.ends_with(".zst")) return "application/zstd";
  if (name.ends_with(".sha256")) return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

// Compares tokens in constant time: both are hashed to a fixed size first, so neither their
// content nor their length shows in the time taken.
bool same_token(std::string_view given, std::string_view expected) {
  unsigned char a[crypto_generichash_BYTES];
  unsigned char b[crypto_generichash_BYTES];
  crypto_generichash(a, sizeof a, reinterpret_cast<const unsigned char*>(given.data()),
                     given.size(), nullptr, 0);
  crypto_generichash(b, sizeof b, reinterpret_cast<const unsigned char*>(expected.data()),
                     expected.size(), nullptr, 0);
  return ::sodium_memcmp(a, b, sizeof a) == 0;
}

// An upload being received: .staging/<file>.<random>, removed unless committed.
class StagedUpload {
 public:
  StagedUpload(int staging_fd, std::string file) : staging_fd_(staging_fd), file_(std::move(file)) {
    temp_ = file_ + "." + random_hex(8);
    fd_.reset(::openat(staging_fd_, temp_.c_str(),
                       O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644));
    if (!fd_) throw_sys("creating " + quote_name(std::string(kStagingDir) + "/" + temp_));
  }
  ~StagedUpload() {
    if (!temp_.empty()) ::unlinkat(staging_fd_, temp_.c_str(), 0);
  }
  StagedUpload(const StagedUpload&) = delete;
  StagedUpload& operator=(const StagedUpload&) = delete;

  void write(const char* data, size_t size) {
    while (size > 0) {
      ssize_t n = ::write(fd_.get(), data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_sys("writing " + quote_name(std::string(kStagingDir) + "/" + temp_));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
  }

  // Durable before it can be published: a digest file must never outlive the power cut that
  // lost the archive it names.
  void commit() {
    if (::fdatasync(fd_.get()) != 0)
      throw_sys("syncing " + quote_name(std::string(kStagingDir) + "/" + temp_));
    if (::renameat(staging_fd_, temp_.c_str(), staging_fd_, file_.c_str()) != 0)
      throw_sys("renaming " + quote_name(std::string(kStagingDir) + "/" + temp_));
    temp_.clear();
  }

 private:
  int staging_fd_;
  std::string file_;
  std::string temp_;
  UniqueFd fd_;
};

class Registry {
 public:
  explicit Registry(const RegistryServerOptions& options)
      : dir_(options.dir), token_(options.token), max_upload_(options.max_upload_bytes) {
    dir_fd_.reset(::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir_fd_) throw_sys("registry directory " + quote_name(dir_.string()));
    // Leftovers of uploads cut short by an earlier run.
    remove_tree(dir_ / kStagingDir);
    make_dirs(dir_ / kStagingDir, 0700);
    staging_fd_.reset(
        ::openat(dir_fd_.get(), kStagingDir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!staging_fd_) throw_sys("opening " + quote_name((dir_ / kStagingDir).string()));
    write_registry_index(dir_);
  }

  // GET and HEAD.
  void get(const httplib::Request& req, httplib::Response& res) const {
    std::string name = requested_name(req);
    if (name != kIndexFile && !is_image_file_name(name))
      return answer(req, res, 404, quote_name(name) + ": not found");
    UniqueFd fd(::openat(dir_fd_.get(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st {};
    if (!fd || ::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
      if (!fd && errno != ENOENT && errno != ELOOP)
        return answer(req, res, 500, quote_name(name) + ": " + std::strerror(errno));
      return answer(req, res, 404, quote_name(name) + ": not found");
    }
    auto size = static_cast<size_t>(st.st_size);
    if (!clamp_range(req, res, size)) return;
    res.set_header("Accept-Ranges", "bytes");
    if (size == 0) {
      res.set_content(std::string(), content_type_of(name));
      return;
    }
    auto file = std::make_shared<UniqueFd>(std::move(fd));
    auto buffer = std::make_shared<std::vector<char>>(kReadChunk);
    res.set_content_provider(size, content_type_of(name),
                             [file, buffer](size_t offset, size_t length, httplib::DataSink& sink) {
                               ssize_t n = ::pread(file->get(), buffer->data(),
                                                   std::min(length, buffer->size()),
                                                   static_cast<off_t>(offset));
                               if (n <= 0)
                                 return false;  // an error, or the file shrank: cut the connection
                               return sink.write(buffer->data(), static_cast<size_t>(n));
                             });
  }

  // Whether a PUT may go on; answers it when not. Runs before the body is read (and for
  // `Expect: 100-continue`, before the client even sends it).
  bool accept_upload(const httplib::Request& req, httplib::Response& res) const {
    if (token_.empty()) {
      answer(req, res, 405, "this registry is read-only (serve it with a token to accept pushes)");
      return false;
    }
    std::string authorization = req.get_header_value("Authorization");
    if (!ascii_istarts_with(authorization, "bearer ")) {
      res.set_header("WWW-Authenticate", "Bearer realm=\"pot registry\"");
      answer(req, res, 401, "a push needs a token (Authorization: Bearer)");
      return false;
    }
    std::string_view given = std::string_view(authorization).substr(7);
    while (given.starts_with(' ')) given.remove_prefix(1);
    while (given.ends_with(' ')) given.remove_suffix(1);
    if (!same_token(given, token_)) {
      answer(req, res, 403, "wrong token");
      return false;
    }
    std::string name = requested_name(req);
    if (!is_image_file_name(name)) {
      answer(req, res, 400, quote_name(name) + " is not an image file name");
      return false;
    }
    if (published(image_of(name))) {
      answer(req, res, 409,
             "image " + quote_name(image_of(name)) + " exists already; tags are immutable");
      return false;
    }
    if (req.has_header("Content-Encoding") || req.is_multipart_form_data()) {
      answer(req, res, 415, "send the file as it is, without an encoding");
      return false;
    }
    if (req.has_header("Content-Length") &&
        req.get_header_value<uint64_t>("Content-Length") > max_upload_) {
      answer(req, res, 413, "larger than the limit of " + human_bytes(max_upload_));
      return false;
    }
    return true;
  }

  void put(const httplib::Request& req, httplib::Response& res,
           const httplib::ContentReader& read_body) {
    if (!accept_upload(req, res)) return discard_body(res, read_body);
    std::string name = requested_name(req);
    StagedUpload upload(staging_fd_.get(), name);
    uint64_t received = 0;
    bool too_large = false;
    uint64_t dropped = 0;
    std::exception_ptr failure;
    bool complete = read_body([&](const char* data, size_t size) {
      // Beyond the limit (which only a chunked body can reach), read on a little, as
      // discard_body does, to keep the connection in step.
      too_large = too_large || size > max_upload_ - received;
      if (too_large) {
        dropped += size;
        return dropped <= kMaxDiscard;
      }
      try {
        upload.write(data, size);
      } catch (...) {
        failure = std::current_exception();
        return false;
      }
      received += size;
      return true;
    });
    if (failure) std::rethrow_exception(failure);
    if (too_large)
      return answer(req, res, 413, "larger than the limit of " + human_bytes(max_upload_));
    if (!complete) return answer(req, res, 400, "the upload of " + quote_name(name) + " broke off");

    std::lock_guard lock(publish_mutex_);
    std::string image = image_of(name);
    // The archive comes first in a push: what an abandoned push staged (a signature, say)
    // must not be published with this one.
    if (name == ImageFiles(image).archive) unstage(ImageFiles(image));
    upload.commit();
    if (name != ImageFiles(image).digest) {
      return answer(req, res, 202, "staged " + quote_name(name));
    }
    publish(req, res, image);
  }

 private:
  static std::string requested_name(const httplib::Request& req) {
    std::string_view path = req.path;
    if (path.starts_with('/')) path.remove_prefix(1);
    if (path.empty()) return kIndexFile;
    return std::string(path);
  }

  bool published(const std::string& image) const {
    struct stat st {};
    return ::fstatat(dir_fd_.get(), ImageFiles(image).digest.c_str(), &st, AT_SYMLINK_NOFOLLOW) ==
           0;
  }

  bool staged(const std::string& file) const {
    struct stat st {};
    return ::fstatat(staging_fd_.get(), file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
  }

  void unstage(const ImageFiles& files) const {
    for (const std::string* file :
         {&files.archive, &files.manifest, &files.signature, &files.digest})
      ::unlinkat(staging_fd_.get(), file->c_str(), 0);
  }

  // Serves `bytes=a-b` within the file; false when answered with 416 already.
  static bool clamp_range(const httplib::Request& req, httplib::Response& res, size_t size) {
    httplib::Ranges& ranges = ranges_of(req);
    if (ranges.size() > 1 ||
        (ranges.size() == 1 && ranges[0].first == -1 && ranges[0].second == -1))
      ranges.clear();  // nobody pot knows asks for several parts: send the whole file
    if (ranges.empty()) return true;
    auto& [first, last] = ranges[0];
    auto end = static_cast<ssize_t>(size);
    bool satisfiable = first == -1 ? last > 0 : first < end;
    if (size == 0 || !satisfiable) {
      answer(req, res, 416, "range not satisfiable");
      res.set_header("Content-Range", "bytes */" + std::to_string(size));
      return false;
    }
    if (first == -1) {
      last = std::min(last, end);  // a suffix longer than the file is the whole file
    } else if (last == -1 || last >= end) {
      last = end - 1;
    }
    return true;
  }

  // Under publish_mutex_, with the digest file just staged.
  void publish(const httplib::Request& req, httplib::Response& res, const std::string& image) {
    ImageFiles files(image);
    if (published(image)) {
      ::unlinkat(staging_fd_.get(), files.digest.c_str(), 0);
      return answer(req, res, 409,
                    "image " + quote_name(image) + " exists already; tags are immutable");
    }
    fs::path staging = dir_ / kStagingDir;
    try {
      auto entries = parse_digest_list(read_file(staging / files.digest));
      for (const std::string* file : {&files.archive, &files.manifest}) {
        if (!staged(*file))
          throw Error(quote_name(*file) + " was not uploaded before the digest file");
        verify_file_digest(entries, staging, *file);
      }
      // The index and importers take the image's name from its manifest: it must be this one.
      // (Read only when small: a manifest is a few hundred bytes, an upload may be gigabytes.)
      constexpr uintmax_t kMaxManifest = 1 << 20;
      if (fs::file_size(staging / files.manifest) > kMaxManifest)
        throw Error(quote_name(files.manifest) + " is larger than a manifest can be");
      Manifest manifest = Manifest::parse(read_file(staging / files.manifest));
      if (manifest.pot + "_" + manifest.tag != image)
        throw Error("its manifest names " + quote_name(manifest.pot + "_" + manifest.tag));
    } catch (const Error& e) {
      unstage(files);
      return answer(req, res, 400, "image " + quote_name(image) + ": " + e.what());
    }
    std::vector<const std::string*> order = {&files.archive, &files.manifest};
    if (staged(files.signature)) order.push_back(&files.signature);
    order.push_back(&files.digest);
    for (const std::string* file : order) {
      if (::renameat(staging_fd_.get(), file->c_str(), dir_fd_.get(), file->c_str()) != 0)
        throw_sys("publishing " + quote_name(*file));
    }
    if (::fsync(dir_fd_.get()) != 0) throw_sys("syncing " + quote_name(dir_.string()));
    write_registry_index(dir_);
    answer(req, res, 201, "published " + quote_name(image));
  }

  fs::path dir_;
  std::string token_;
  uint64_t max_upload_;
  UniqueFd dir_fd_;
  UniqueFd staging_fd_;
  std::mutex publish_mutex_;
};

// Stops the server on SIGINT or SIGTERM, or when `stop_fd` becomes readable. The signals are
// blocked in the calling thread, and so in every thread httplib starts from it, and read from
// a signalfd by a watcher thread.
class StopWatcher {
 public:
  StopWatcher(httplib::Server& server, int stop_fd) : server_(server), stop_fd_(stop_fd) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    if (int err = ::pthread_sigmask(SIG_BLOCK, &signals, &old_mask_); err != 0)
      throw_sys("blocking SIGINT and SIGTERM", err);
    signal_fd_.reset(::signalfd(-1, &signals, SFD_CLOEXEC));
    wake_fd_.reset(::eventfd(0, EFD_CLOEXEC));
    if (!signal_fd_ || !wake_fd_) {
      int err = errno;
      ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
      throw_sys("creating the server's stop descriptors", err);
    }
    thread_ = std::thread([this] { watch(); });
  }
  ~StopWatcher() {
    ended_ = true;
    uint64_t one = 1;
    (void)!::write(wake_fd_.get(), &one, sizeof one);
    thread_.join();
    ::pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

  // After listen_after_bind returned.
  void serving_ended() { ended_ = true; }

 private:
  void watch() {
    std::vector<pollfd> fds = {{signal_fd_.get(), POLLIN, 0}, {wake_fd_.get(), POLLIN, 0}};
    if (stop_fd_ >= 0) fds.push_back({stop_fd_, POLLIN, 0});
    for (;;) {
      int n = ::poll(fds.data(), fds.size(), -1);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 || fds[1].revents != 0) return;
      if (fds[0].revents != 0) {
        // Taken, or it would still be pending when the mask is restored, and kill us then.
        signalfd_siginfo info{};
        (void)!::read(signal_fd_.get(), &info, sizeof info);
        break;
      }
      if (fds.size() > 2 && fds[2].revents != 0) break;
    }
    // httplib's stop() does nothing before the accept loop runs: wait for it to start.
    while (!ended_) {
      if (server_.is_running()) {
        server_.stop();
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  httplib::Server& server_;
  int stop_fd_;
  sigset_t old_mask_{};
  UniqueFd signal_fd_;
  UniqueFd wake_fd_;
  std::atomic<bool> ended_{false};
  std::thread thread_;
};

}  // namespace

void serve_registry(const RegistryServerOptions& options) {
  if (::sodium_init() < 0) throw Error("libsodium: initialisation failed");
  std::error_code ec;
  if (!fs::is_directory(options.dir, ec))
    throw Error("registry directory " + quote_name(options.dir.string()) + ": " +
                (ec ? ec.message() : "not a directory"));
  std::string address = options.address;
  if (address.size() > 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  // Set up once the port is ours (no request is read before listen_after_bind), so that a
  // server that cannot listen leaves the directory alone.
  std::optional<Registry> registry;

  httplib::Server server;
  server.set_read_timeout(30, 0);
  server.set_write_timeout(30, 0);
  server.set_keep_alive_timeout(2);
  server.set_payload_max_length(options.max_upload_bytes);
  // httplib's default is SO_REUSEPORT, which would let a second server share the port
  // silently; SO_REUSEADDR only lets a restart bind despite connections in TIME_WAIT.
  server.set_socket_options([](int sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  // Other methods are refused: those that may have a body by a handler that drops it (httplib
  // would buffer it whole for a plain handler), the rest before routing.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    for (const char* method : {"GET", "HEAD", "PUT", "POST", "PATCH", "DELETE"}) {
      if (req.method == method) return httplib::Server::HandlerResponse::Unhandled;
    }
    not_allowed(req, res);
    return httplib::Server::HandlerResponse::Handled;
  });
  // Every path goes to the handlers (`.` would not match a decoded newline, and an unmatched
  // PUT has its body buffered by httplib); they check the name.
  const std::string any_path = R"([\s\S]*)";
  server.Get(any_path,
             [&](const httplib::Request& req, httplib::Response& res) { registry->get(req, res); });
  server.Put(any_path,
             [&](const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& read_body) { registry->put(req, res, read_body); });
  auto refuse = [](const httplib::Request& req, httplib::Response& res,
                   const httplib::ContentReader& read_body) {
    not_allowed(req, res);
    discard_body(res, read_body);
  };
  server.Post(any_path, refuse);
  server.Patch(any_path, refuse);
  server.Delete(any_path, refuse);
  server.set_expect_100_continue_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (req.method != "PUT" || registry->accept_upload(req, res)) return 100;
    // The client sends no body now. httplib writes this answer without adding its length,
    // which would leave the client reading until the connection closes.
    res.set_header("Content-Length", std::to_string(res.body.size()));
    return res.status;
  });
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr failure) {
        std::string reason = "internal error";
        try {
          std::rethrow_exception(failure);
        } catch (const std::exception& e) {
          reason = e.what();
        } catch (...) {
        }
        std::fprintf(stderr, "pot-registry: %s %s: %s\n", req.method.c_str(),
                     quote_name(req.path).c_str(), first_line(reason).c_str());
        answer(req, res, 500, reason);
      });

  if (options.log_requests) {
    server.set_logger([](const httplib::Request& req, const httplib::Response& res) {
      std::printf("%s %s %d\n", req.method.c_str(), req.path.c_str(), res.status);
      std::fflush(stdout);
    });
  }

  StopWatcher watcher(server, options.stop_fd);
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(address);
    if (port < 0) throw Error("listening on " + quote_name(options.address) + ": cannot bind");
  } else if (!server.bind_to_port(address, port)) {
    throw Error("listening on " + quote_name(options.address + ":" + std::to_string(port)) +
                ": cannot bind (in use, or not an address of this host)");
  }
  registry.emplace(options);
  if (options.on_listening) options.on_listening(port);
  bool ok = server.listen_after_bind();
  watcher.serving_ended();
  if (!ok) throw Error("serving on " + quote_name(options.address) + ": accept failed");
}

}  // namespace pot::image
