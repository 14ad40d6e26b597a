// Fetching and uploading with libcurl, loaded with dlopen on first use (see CMakeLists.txt);
// <curl/curl.h> is used for its constants and types only.
//
// A download goes into an anonymous file (O_TMPFILE) in the destination's directory and gets
// its name only when complete, so a failed, interrupted or killed fetch leaves nothing behind.
// When a transfer over HTTP breaks mid-way, the next round asks for the rest with a Range
// request (RESUME_FROM) and accepts only a 206 that starts where we stopped; libcurl itself
// refuses a 200 to a range request (CURLE_RANGE_ERROR), which means the server ignores
// ranges: we then start again from zero, once. A round that brings no new byte ends it.
//
// Every callback runs inside libcurl's C frames, so none lets an exception through: it keeps
// the exception, makes libcurl stop, and the exception is rethrown after curl_easy_perform.
#include "image/http_client.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <exception>
#include <optional>
#include <utility>

#include "core/error.h"
#include "core/file_util.h"
#include "core/interrupt.h"
#include "core/shared_library.h"
#include "core/unique_fd.h"
#include "image/progress.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUserAgent = "pot/0.1";
constexpr long kConnectTimeoutSeconds = 10;
constexpr long kStallSeconds = 30;  // less than 1 byte/s for this long ends a transfer
constexpr long kMaxRedirects = 5;
constexpr size_t kMaxErrorBody = 4096;  // of an error answer, only its first line is used

// The libcurl entry points pot uses.
struct CurlApi {
  decltype(&::curl_global_init) global_init = nullptr;
  decltype(&::curl_easy_init) easy_init = nullptr;
  decltype(&::curl_easy_setopt) easy_setopt = nullptr;
  decltype(&::curl_easy_perform) easy_perform = nullptr;
  decltype(&::curl_easy_getinfo) easy_getinfo = nullptr;
  decltype(&::curl_easy_cleanup) easy_cleanup = nullptr;
  decltype(&::curl_easy_strerror) easy_strerror = nullptr;
  decltype(&::curl_slist_append) slist_append = nullptr;
  decltype(&::curl_slist_free_all) slist_free_all = nullptr;
};

CurlApi load_curl() {
  SharedLibrary library("libcurl.so.4", "install libcurl4");
  CurlApi api;
  library.resolve("curl_global_init", api.global_init);
  library.resolve("curl_easy_init", api.easy_init);
  library.resolve("curl_easy_setopt", api.easy_setopt);
  library.resolve("curl_easy_perform", api.easy_perform);
  library.resolve("curl_easy_getinfo", api.easy_getinfo);
  library.resolve("curl_easy_cleanup", api.easy_cleanup);
  library.resolve("curl_easy_strerror", api.easy_strerror);
  library.resolve("curl_slist_append", api.slist_append);
  library.resolve("curl_slist_free_all", api.slist_free_all);
  CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT);
  if (rc != CURLE_OK) throw Error(std::string("initialising libcurl: ") + api.easy_strerror(rc));
  return api;
}

// Loaded once (a function-local static is initialised by one thread) and never unloaded:
// curl_global_init must run once per process. A failed load throws and is tried again by the
// next caller.
const CurlApi& curl() {
  static const CurlApi loaded = load_curl();
  return loaded;
}

class EasyHandle {
 public:
  EasyHandle() : api_(curl()), handle_(api_.easy_init()) {
    if (handle_ == nullptr) throw Error("libcurl: curl_easy_init failed");
  }
  ~EasyHandle() { api_.easy_cleanup(handle_); }
  EasyHandle(const EasyHandle&) = delete;
  EasyHandle& operator=(const EasyHandle&) = delete;

  CURL* get() const { return handle_; }

  // `value` must have the type the option takes (long, curl_off_t or a pointer): it goes
  // through a varargs call.
  template <typename T>
  void set(CURLoption option, T value) {
    CURLcode rc = api_.easy_setopt(handle_, option, value);
    if (rc != CURLE_OK) {
      throw Error("libcurl: setting option " + std::to_string(option) + ": " +
                  api_.easy_strerror(rc));
    }
  }

  long response_code() const {
    long code = 0;
    if (api_.easy_getinfo(handle_, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK) return 0;
    return code;
  }
  // -1 when unknown.
  curl_off_t content_length() const {
    curl_off_t length = -1;
    if (api_.easy_getinfo(handle_, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK)
      return -1;
    return length;
  }

 private:
  const CurlApi& api_;
  CURL* handle_;
};

class HeaderList {
 public:
  HeaderList() = default;
  ~HeaderList() {
    if (list_ != nullptr) curl().slist_free_all(list_);
  }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  void append(const std::string& header) {
    curl_slist* appended = curl().slist_append(list_, header.c_str());
    if (appended == nullptr) throw Error("libcurl: out of memory for a header");
    list_ = appended;
  }
  curl_slist* get() const { return list_; }

 private:
  curl_slist* list_ = nullptr;
};

bool is_http(std::string_view url) {
  return !url.starts_with("file://");
}

bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() &&
         (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' || text.back() == '\n'))
    text.remove_suffix(1);
  return text;
}

std::optional<uint64_t> parse_u64(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value;
}

// HTTP/2 has no reason phrases; these are the ones a registry answers with.
const char* standard_reason(long status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 416:
      return "Range Not Satisfiable";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

// Where a transfer's body goes. restart() empties it (the server ignored a range request).
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void write(const char* data, size_t size) = 0;
  virtual void restart() = 0;
};

class StringSink : public Sink {
 public:
  void write(const char* data, size_t size) override { text.append(data, size); }
  void restart() override { text.clear(); }
  std::string text;
};

class FileSink : public Sink {
 public:
  FileSink(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
  void write(const char* data, size_t size) override {
    while (size > 0) {
      ssize_t n = ::write(fd_, data, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_sys("writing " + quote_name(name_));
      }
      data += n;
      size -= static_cast<size_t>(n);
    }
  }
  void restart() override {
    if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0)
      throw_sys("truncating " + quote_name(name_));
  }

 private:
  int fd_;
  std::string name_;
};

// The state one curl_easy_perform shares with its callbacks.
struct Transfer {
  const EasyHandle* easy = nullptr;
  Sink* sink = nullptr;
  bool http = true;
  bool upload = false;
  uint64_t max_bytes = UINT64_MAX;
  const std::function<void(uint64_t, uint64_t)>* progress = nullptr;

  uint64_t offset = 0;    // bytes the sink held before this round (where a resume starts)
  uint64_t received = 0;  // bytes of this round's body in the sink
  uint64_t total = 0;     // the whole body's size, 0 when unknown

  // Of the response being read (a redirect or `100 Continue` comes before the final one).
  std::string reason;
  std::optional<uint64_t> range_start;
  std::optional<uint64_t> range_total;
  bool body_started = false;
  bool discarding = false;  // an error answer: keep its start for the message only
  std::string error_body;

  // Why a callback stopped the transfer.
  bool too_large = false;
  std::optional<uint64_t> wrong_range_start;
  std::exception_ptr failure;

  void new_response() {
    reason.clear();
    range_start.reset();
    range_total.reset();
    body_started = false;
    discarding = false;
    error_body.clear();
  }

  // Returns false to stop the transfer.
  bool begin_body() {
    body_started = true;
    long status = easy->response_code();
    if (http && (status < 200 || status >= 300)) {
      discarding = true;
      return true;
    }
    if (upload) {
      discarding = true;  // a successful upload's answer: nothing to keep but the message
      return true;
    }
    if (http && (offset > 0 || range_start)) {
      // libcurl itself refuses a 200 to a range request; check that a 206 is the right part.
      if (range_start.value_or(0) != offset) {
        wrong_range_start = range_start.value_or(0);
        return false;
      }
    }
    curl_off_t length = easy->content_length();
    if (range_total) {
      total = *range_total;
    } else if (length >= 0) {
      total = offset + static_cast<uint64_t>(length);
    }
    if (total > max_bytes) {
      too_large = true;
      return false;
    }
    return true;
  }

  size_t on_body(const char* data, size_t size) {
    if (!body_started && !begin_body()) return 0;
    if (discarding) {
      error_body.append(data, std::min(size, kMaxErrorBody - error_body.size()));
      // A download has no use for the rest of an error page: stop reading it.
      if (!upload && error_body.size() >= kMaxErrorBody) return 0;
      return size;
    }
    if (size > max_bytes - offset - received) {
      too_large = true;
      return 0;
    }
    sink->write(data, size);
    received += size;
    return size;
  }

  // `HTTP/1.1 206 Partial Content` and `Content-Range: bytes 100-999/1000`.
  void on_header(std::string_view line) {
    line = trim(line);
    if (line.starts_with("HTTP/")) {
      new_response();
      size_t code = line.find(' ');
      size_t text = code == std::string_view::npos ? code : line.find(' ', code + 1);
      if (text != std::string_view::npos) reason = std::string(trim(line.substr(text + 1)));
      return;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || !ascii_iequals(line.substr(0, colon), "content-range"))
      return;
    std::string_view value = trim(line.substr(colon + 1));
    if (!value.starts_with("bytes ")) return;
    value.remove_prefix(6);
    size_t dash = value.find('-');
    size_t slash = value.find('/');
    if (dash == std::string_view::npos || slash == std::string_view::npos || dash > slash) return;
    range_start = parse_u64(value.substr(0, dash));
    range_total = parse_u64(value.substr(slash + 1));
  }

  void report_progress(uint64_t upload_done, uint64_t upload_total) {
    if (progress == nullptr || !*progress) return;
    if (upload) {
      (*progress)(upload_done, upload_total);
    } else if (!discarding) {
      (*progress)(offset + received, total);
    }
  }
};

size_t write_callback(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  try {
    return transfer->on_body(data, size * count);
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;
  }
}

size_t header_callback(char* data, size_t size, size_t count, void* user) {
  auto* transfer = static_cast<Transfer*>(user);
  try {
    transfer->on_header(std::string_view(data, size * count));
    return size * count;
  } catch (...) {
    transfer->failure = std::current_exception();
    return 0;
  }
}

int progress_callback(void* user, curl_off_t, curl_off_t, curl_off_t ultotal, curl_off_t ulnow) {
  auto* transfer = static_cast<Transfer*>(user);
  if (interrupted()) return 1;
  try {
    transfer->report_progress(static_cast<uint64_t>(ulnow), static_cast<uint64_t>(ultotal));
    return 0;
  } catch (...) {
    transfer->failure = std::current_exception();
    return 1;
  }
}

// Options every transfer has; `protocols` are the schemes allowed for the URL.
void configure(EasyHandle& easy, Transfer& transfer, const std::string& url, char* error_buffer,
               const char* protocols) {
  easy.set(CURLOPT_URL, url.c_str());
  easy.set(CURLOPT_PROTOCOLS_STR, protocols);
  // file: never on a redirect: a server could otherwise make us read a local file. And an
  // https URL stays https: a redirect must not drop the transport's protection.
  easy.set(CURLOPT_REDIR_PROTOCOLS_STR, url.rfind("https://", 0) == 0 ? "https" : "http,https");
  easy.set(CURLOPT_CONNECTTIMEOUT, kConnectTimeoutSeconds);
  easy.set(CURLOPT_LOW_SPEED_LIMIT, 1L);
  easy.set(CURLOPT_LOW_SPEED_TIME, kStallSeconds);
  easy.set(CURLOPT_FAILONERROR, 0L);  // the status is read here, with the reason phrase
  easy.set(CURLOPT_NOSIGNAL, 1L);
  easy.set(CURLOPT_USERAGENT, kUserAgent);
  easy.set(CURLOPT_ERRORBUFFER, error_buffer);
  easy.set(CURLOPT_WRITEFUNCTION, &write_callback);
  easy.set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  easy.set(CURLOPT_HEADERFUNCTION, &header_callback);
  easy.set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
  // Always on: it is also how an interrupt (Ctrl-C) stops a transfer within a second.
  easy.set(CURLOPT_NOPROGRESS, 0L);
  easy.set(CURLOPT_XFERINFOFUNCTION, &progress_callback);
  easy.set(CURLOPT_XFERINFODATA, static_cast<void*>(&transfer));
}

std::string curl_message(CURLcode rc, const char* error_buffer) {
  if (error_buffer[0] != '\0') return std::string(trim(error_buffer));
  return curl().easy_strerror(rc);
}

std::string status_text(long status, const Transfer& transfer) {
  std::string reason = transfer.reason.empty() ? standard_reason(status) : transfer.reason;
  std::string text = "HTTP " + std::to_string(status);
  if (!reason.empty()) text += " " + reason;
  return text;
}

std::string first_line(std::string_view text) {
  text = trim(text.substr(0, text.find('\n')));
  std::string line;
  for (char c : text) line.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
  return line;
}

std::string amount(uint64_t done, uint64_t total) {
  if (total == 0) return human_bytes(done);
  return human_bytes(done) + " of " + human_bytes(total);
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The local path of a file:// URL, for telling a missing file from another failure.
std::string file_url_path(std::string_view url) {
  std::string_view rest = url.substr(7);
  if (rest.starts_with("localhost/")) rest.remove_prefix(9);
  std::string path;
  for (size_t i = 0; i < rest.size(); ++i) {
    if (rest[i] == '%' && i + 2 < rest.size() && hex_value(rest[i + 1]) >= 0 &&
        hex_value(rest[i + 2]) >= 0) {
      path.push_back(static_cast<char>(hex_value(rest[i + 1]) * 16 + hex_value(rest[i + 2])));
      i += 2;
    } else {
      path.push_back(rest[i]);
    }
  }
  return path;
}

bool file_url_missing(std::string_view url) {
  struct stat st {};
  std::string path = file_url_path(url);
  return ::stat(path.c_str(), &st) != 0 && (errno == ENOENT || errno == ENOTDIR);
}

// Downloads `url` into `sink`, resuming as the comment at the top says.
void download(const std::string& url, Sink& sink, const FetchOptions& options) {
  check_url(url);
  const std::string context = "fetching " + quote_name(url);
  const bool http = is_http(url);
  uint64_t have = 0;
  uint64_t total = 0;  // as the last answer that said it; 0 when none did
  int resumes_left = options.max_resumes;
  bool restarted = false;
  std::string last_break;
  for (;;) {
    EasyHandle easy;
    Transfer transfer;
    transfer.easy = &easy;
    transfer.sink = &sink;
    transfer.http = http;
    transfer.max_bytes = options.max_bytes;
    transfer.progress = &options.progress;
    transfer.offset = have;
    transfer.total = total;
    char error_buffer[CURL_ERROR_SIZE] = {};
    configure(easy, transfer, url, error_buffer, "file,http,https");
    easy.set(CURLOPT_FOLLOWLOCATION, 1L);
    easy.set(CURLOPT_MAXREDIRS, kMaxRedirects);
    if (have > 0) easy.set(CURLOPT_RESUME_FROM_LARGE, static_cast<curl_off_t>(have));

    CURLcode rc = curl().easy_perform(easy.get());
    if (transfer.failure) std::rethrow_exception(transfer.failure);
    if (rc == CURLE_ABORTED_BY_CALLBACK) throw_if_interrupted();
    have = transfer.offset + transfer.received;
    total = transfer.total;

    long status = easy.response_code();
    if (rc == CURLE_TOO_MANY_REDIRECTS || rc == CURLE_UNSUPPORTED_PROTOCOL)
      throw Error(context + ": " + curl_message(rc, error_buffer));
    if (http && status != 0 && (status < 200 || status >= 300))
      throw HttpStatusError(context + ": " + status_text(status, transfer), status);
    if (transfer.too_large) {
      throw Error(context + ": larger than the limit of " + human_bytes(options.max_bytes) +
                  (total > options.max_bytes ? " (" + human_bytes(total) + ")" : ""));
    }
    if (transfer.wrong_range_start) {
      throw Error(context + ": the server sent the part from byte " +
                  std::to_string(*transfer.wrong_range_start) + ", not from byte " +
                  std::to_string(transfer.offset));
    }
    if (rc == CURLE_OK && (total == 0 || have == total)) return;

    // libcurl's answer to a 200 (or a 206 from another offset) to a range request.
    if (rc == CURLE_RANGE_ERROR && http && transfer.offset > 0) {
      if (restarted) throw Error(context + ": " + last_break + ", and the server cannot resume");
      restarted = true;
      sink.restart();
      have = 0;
      total = 0;
      continue;
    }
    if (!http && rc == CURLE_FILE_COULDNT_READ_FILE && file_url_missing(url))
      throw HttpStatusError(context + ": not found", 404);

    bool closed = rc == CURLE_OK || rc == CURLE_PARTIAL_FILE || rc == CURLE_RECV_ERROR ||
                  rc == CURLE_GOT_NOTHING;
    bool stalled = rc == CURLE_OPERATION_TIMEDOUT && have > 0;
    if (!closed && !stalled) throw Error(context + ": " + curl_message(rc, error_buffer));
    last_break =
        (stalled ? "the transfer stalled after " : "the server closed the connection after ") +
        amount(have, total);
    // A round that brought nothing would bring nothing again.
    if (!http || transfer.received == 0 || resumes_left <= 0)
      throw Error(context + ": " + last_break);
    --resumes_left;
  }
}

constexpr std::string_view kPartPrefix = ".part.";

// Removes the `.part.<pid>.<name>.*` files of `destination` whose process is gone: a download
// killed on a filesystem without O_TMPFILE, or between a commit's link and rename.
void remove_abandoned_part_files(const fs::path& dir, const std::string& name) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string entry = it->path().filename().string();
    if (!entry.starts_with(kPartPrefix)) continue;
    std::string_view rest = std::string_view(entry).substr(kPartPrefix.size());
    pid_t pid = 0;
    auto [after_pid, parse_error] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (parse_error != std::errc() || pid <= 0) continue;
    rest.remove_prefix(static_cast<size_t>(after_pid - rest.data()));
    if (!rest.starts_with("." + name + ".")) continue;
    if (::kill(pid, 0) == 0 || errno != ESRCH) continue;  // alive, or not ours to judge
    ::unlink(it->path().c_str());
  }
}

// The download's file: anonymous (O_TMPFILE) in the destination's directory, so nothing is
// left even when the process is killed; on filesystems without O_TMPFILE a file named
// `.part.<pid>.<name>.XXXXXX` beside the destination, removed by the destructor, or by the
// next download of the same name when the process was killed.
class PartFile {
 public:
  explicit PartFile(fs::path destination) : destination_(std::move(destination)) {
    fs::path dir = destination_.parent_path();
    if (dir.empty()) dir = ".";
    remove_abandoned_part_files(dir, part_stem());
    fd_.reset(::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644));
    if (fd_) return;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      throw_sys("creating a file in " + quote_name(dir.string()));
    std::string name = part_name();
    fd_.reset(::mkostemp(name.data(), O_CLOEXEC));
    if (!fd_) throw_sys("creating " + quote_name(name));
    named_ = name;
    if (::fchmod(fd_.get(), 0644) != 0) throw_sys("setting the mode of " + quote_name(name));
  }
  ~PartFile() {
    if (!named_.empty()) ::unlink(named_.c_str());
  }
  PartFile(const PartFile&) = delete;
  PartFile& operator=(const PartFile&) = delete;

  int fd() const { return fd_.get(); }

  // Gives the file the destination's name, replacing what had it.
  void commit() {
    if (named_.empty()) {
      // linkat cannot replace a file: link under a unique name, then rename over the target.
      std::string proc = "/proc/self/fd/" + std::to_string(fd_.get());
      for (int attempt = 0; named_.empty(); ++attempt) {
        std::string name = part_name();
        name.replace(name.size() - 6, 6, random_hex(3));
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
          named_ = name;
        } else if (errno != EEXIST || attempt == 8) {
          throw_sys("linking " + quote_name(name));
        }
      }
    }
    if (::rename(named_.c_str(), destination_.c_str()) != 0)
      throw_sys("renaming " + quote_name(named_.string()) + " to " +
                quote_name(destination_.string()));
    named_.clear();
  }

 private:
  std::string part_stem() const { return destination_.filename().string().substr(0, 160); }
  std::string part_name() const {
    fs::path part =
        destination_.parent_path() /
        (std::string(kPartPrefix) + std::to_string(::getpid()) + "." + part_stem() + ".XXXXXX");
    return part.string();
  }

  fs::path destination_;
  fs::path named_;
  UniqueFd fd_;
};

// Feeds an upload from a file descriptor.
struct UploadSource {
  int fd;
  std::string name;
  std::exception_ptr failure;
};

size_t read_callback(char* buffer, size_t size, size_t count, void* user) {
  auto* source = static_cast<UploadSource*>(user);
  for (;;) {
    ssize_t n = ::read(source->fd, buffer, size * count);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) {
      if (interrupted()) return CURL_READFUNC_ABORT;
      continue;
    }
    try {
      throw_sys("reading " + quote_name(source->name));
    } catch (...) {
      source->failure = std::current_exception();
    }
    return CURL_READFUNC_ABORT;
  }
}

}  // namespace

void check_url(std::string_view url) {
  for (char c : url) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f)
      throw Error("invalid URL " + quote_name(url) + ": it has a space or a control character");
  }
  for (std::string_view scheme : {"file://", "http://", "https://"}) {
    if (url.starts_with(scheme)) {
      if (url.size() == scheme.size()) throw Error("invalid URL " + quote_name(url) + ": empty");
      return;
    }
  }
  throw Error("invalid URL " + quote_name(url) +
              ": it must start with http://, https:// or file://");
}

std::string join_url(std::string_view base, std::string_view file) {
  while (base.ends_with('/')) base.remove_suffix(1);
  while (file.starts_with('/')) file.remove_prefix(1);
  return std::string(base) + "/" + std::string(file);
}

void fetch_to_file(const std::string& url, const std::filesystem::path& destination,
                   const FetchOptions& options) {
  check_url(url);
  PartFile part(destination);
  FileSink sink(part.fd(), destination.string());
  download(url, sink, options);
  part.commit();
}

std::string fetch_to_string(const std::string& url, uint64_t max_bytes) {
  FetchOptions options;
  options.max_bytes = max_bytes;
  StringSink sink;
  download(url, sink, options);
  return std::move(sink.text);
}

void put_file(const std::string& url, const std::filesystem::path& file, const std::string& token,
              const FetchOptions& options) {
  check_url(url);
  const std::string context = "uploading " + quote_name(url);
  if (!is_http(url)) throw Error(context + ": only http:// and https:// URLs take uploads");
  for (char c : token) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f)
      throw Error(context + ": the token has a character that cannot go in an HTTP header");
  }
  UniqueFd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_sys("opening " + quote_name(file.string()));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_sys("stat " + quote_name(file.string()));
  if (!S_ISREG(st.st_mode)) throw Error(quote_name(file.string()) + " is not a regular file");

  EasyHandle easy;
  Transfer transfer;
  transfer.easy = &easy;
  transfer.upload = true;
  transfer.progress = &options.progress;
  UploadSource source{fd.get(), file.string(), nullptr};
  char error_buffer[CURL_ERROR_SIZE] = {};
  configure(easy, transfer, url, error_buffer, "http,https");
  // No redirects: the body and the token go only where they were sent.
  easy.set(CURLOPT_FOLLOWLOCATION, 0L);
  easy.set(CURLOPT_UPLOAD, 1L);
  easy.set(CURLOPT_READFUNCTION, &read_callback);
  easy.set(CURLOPT_READDATA, static_cast<void*>(&source));
  easy.set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(st.st_size));
  HeaderList headers;
  if (!token.empty()) headers.append("Authorization: Bearer " + token);
  headers.append("Content-Type: application/octet-stream");
  easy.set(CURLOPT_HTTPHEADER, headers.get());

  CURLcode rc = curl().easy_perform(easy.get());
  if (transfer.failure) std::rethrow_exception(transfer.failure);
  if (source.failure) std::rethrow_exception(source.failure);
  if (rc == CURLE_ABORTED_BY_CALLBACK) throw_if_interrupted();
  long status = easy.response_code();
  if (status != 0 && (status < 200 || status >= 300)) {
    std::string reason = first_line(transfer.error_body);
    std::string text = status_text(status, transfer);
    throw HttpStatusError(context + ": " + (reason.empty() ? text : reason + " (" + text + ")"),
                          status);
  }
  if (rc != CURLE_OK) throw Error(context + ": " + curl_message(rc, error_buffer));
}

}  // namespace pot::image
