// Fetching and uploading over file://, http:// and https:// with libcurl, which is loaded
// with dlopen on first use (only import, prepare and the registry client need it; see
// CMakeLists.txt).
//
// No redirects to other schemes, a connect timeout, and a stall timeout instead of a total
// one (a large image on a slow link is fine, a dead server is not).
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "core/error.h"

namespace pot::image {

// An HTTP answer other than 2xx (or a file:// URL naming no file: status 404). Carries the
// status so callers can say "image not found" for 404.
class HttpStatusError : public Error {
 public:
  HttpStatusError(std::string message, long status) : Error(std::move(message)), status_(status) {}
  long status() const { return status_; }

 private:
  long status_;
};

// Throws Error unless the URL starts with file://, http:// or https:// and has no
// whitespace or control characters.
void check_url(std::string_view url);

// `base` and `file` joined with exactly one `/`.
std::string join_url(std::string_view base, std::string_view file);

struct FetchOptions {
  uint64_t max_bytes = UINT64_MAX;  // a larger body fails the fetch
  // Resumes (HTTP Range) after a transfer broke mid-way, when the server supports ranges.
  int max_resumes = 3;
  // Called now and then with (bytes so far, total or 0 when unknown).
  std::function<void(uint64_t done, uint64_t total)> progress;
};

// Downloads `url` into `destination`: into a temporary file beside it, renamed over it only
// when complete, removed on any failure (also when interrupted by a signal that unwinds).
// Throws HttpStatusError for an HTTP error status, Error for anything else, both naming the
// URL.
void fetch_to_file(const std::string& url, const std::filesystem::path& destination,
                   const FetchOptions& options = {});

// Small bodies (an index, a manifest, a digest file): at most `max_bytes`.
std::string fetch_to_string(const std::string& url, uint64_t max_bytes = 1 << 20);

// PUT of a file with `Authorization: Bearer <token>` (no header when token is empty). Throws
// HttpStatusError with the server's one-line reason for a non-2xx answer.
void put_file(const std::string& url, const std::filesystem::path& file, const std::string& token,
              const FetchOptions& options = {});

}  // namespace pot::image
