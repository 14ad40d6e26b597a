// The registry server behind `pot registry serve` (the pot-registry program): serves a
// registry directory over HTTP and, with a token, accepts uploads.
//
//   GET/HEAD /                 and /index.json: the index (registry_index.h)
//   GET/HEAD /<image file>     the file, with Range support so downloads resume
//   PUT /<image file>          needs `Authorization: Bearer <token>`; the body goes to a
//                              staging directory (DIR/.staging). A PUT of the digest file
//                              publishes: the staged archive and manifest must match it, then
//                              they (and a staged signature) are renamed into DIR, the digest
//                              file last, and the index is rewritten. A reader never sees a
//                              half-written file, and an image only once it is whole.
//                              An image that exists already is refused (409): tags are
//                              immutable, as readers may have cached them.
// Anything else: 404/405. Only names image_ref.h accepts are served or written, so no
// request reaches outside DIR.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace pot::image {

struct RegistryServerOptions {
  std::filesystem::path dir;
  std::string address = "127.0.0.1";
  int port = 8080;    // 0: pick a free port
  std::string token;  // empty: read-only
  uint64_t max_upload_bytes = 64ULL << 30;
  // Called once listening, with the port (tests and `pot registry serve` print it).
  std::function<void(int port)> on_listening;
  // One line per request on stdout (`GET /web_1.0.tar.zst 200`), as an access log.
  bool log_requests = false;
  // Also stops when this descriptor (an eventfd, a pipe's read end) becomes readable: tests
  // serve on a thread and cannot send the process a signal. -1: signals only.
  int stop_fd = -1;
};

// Serves until SIGINT/SIGTERM (blocked in the calling thread while serving, so other threads
// should block them too); throws Error when it cannot listen (naming the address).
void serve_registry(const RegistryServerOptions& options);

}  // namespace pot::image
