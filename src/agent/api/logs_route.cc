// `GET /v1/client/fs/logs/:alloc?task=T&type=stdout|stderr&offset=N&origin=start|end&
// follow=true&plain=true`: a task's log, read from the numbered files under the
// allocation's alloc/logs/.
//
// plain=true sends the bytes; otherwise Nomad's frames, one JSON object per chunk:
// {"Offset": <offset after the data>, "Data": <base64>, "File": "alloc/logs/web.stdout.0"},
// and "{}" heartbeats while a followed log is quiet. The answer is chunked. Without follow
// it ends at the end of the newest file that existed when it started. With follow it keeps
// reading: as the file grows, then into the next file once the monitor rotates (the current
// file is drained first), until the client leaves, the server stops, or the allocation is
// terminal and its log stopped growing. Files are polled (every 250 ms when idle).
#include <fcntl.h>
#include <httplib.h>
#include <sodium.h>
#include <sys/stat.h>

#include <memory>
#include <thread>

#include "agent/api/api_request.h"
#include "agent/api/client_connection.h"
#include "agent/api/log_position.h"
#include "agent/api/router.h"
#include "agent/api/stubs.h"
#include "core/unique_fd.h"

namespace pot::agent::http {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kFrameBytes = 64 * 1024;
constexpr std::chrono::milliseconds kPollStep{250};
constexpr std::chrono::seconds kHeartbeat{10};

std::string base64(const char* data, std::size_t size) {
  std::string text(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(text.data(), text.size(), reinterpret_cast<const unsigned char*>(data), size,
                    sodium_base64_VARIANT_ORIGINAL);
  text.resize(text.size() - 1);  // the terminating NUL
  return text;
}

class LogStream {
 public:
  LogStream(AgentApi& agent, const ServerContext& server, std::string alloc_id, fs::path logs_dir,
            std::string task, std::string type, bool plain, bool follow)
      : agent_(agent),
        server_(server),
        alloc_id_(std::move(alloc_id)),
        logs_dir_(std::move(logs_dir)),
        task_(std::move(task)),
        type_(std::move(type)),
        plain_(plain),
        follow_(follow) {}

  void start_at(const LogFileEntry& file, uint64_t offset, int64_t last_number) {
    open(file, offset);
    last_number_ = last_number;
  }
  void watch(std::optional<ClientConnection> connection) { connection_ = connection; }

  // One step: sends a chunk, moves to the next file, or waits a little; false ends.
  bool step(httplib::DataSink& sink) {
    if (server_.stopping || (connection_ && connection_->closed())) return false;
    char buffer[kFrameBytes];
    const ssize_t n = read_more(buffer);
    if (n > 0) {
      at_end_since_terminal_ = false;
      return send(sink, buffer, static_cast<std::size_t>(n));
    }
    // At the end of the current file: is there a newer one?
    std::optional<LogFileEntry> next;
    for (const LogFileEntry& file : list_log_files(logs_dir_, task_, type_)) {
      if (file.number > number_ && (follow_ || file.number <= last_number_)) {
        next = file;
        break;
      }
    }
    if (next) {
      // Written before the rotation but after our last read: drain it first.
      const ssize_t rest = read_more(buffer);
      if (rest > 0) return send(sink, buffer, static_cast<std::size_t>(rest));
      open(*next, 0);
      return true;
    }
    if (!follow_) return false;
    // Ends once the allocation is terminal and a read after that found nothing new.
    if (at_end_since_terminal_) return false;
    at_end_since_terminal_ = allocation_terminal();
    if (!plain_ && std::chrono::steady_clock::now() - last_write_ >= kHeartbeat) {
      return write(sink, "{}\n");
    }
    std::this_thread::sleep_for(kPollStep);
    return true;
  }

 private:
  void open(const LogFileEntry& file, uint64_t offset) {
    fd_.reset(::open((logs_dir_ / file.name).c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    number_ = file.number;
    name_ = file.name;
    offset_ = offset;
  }

  ssize_t read_more(char* buffer) {
    if (!fd_) return 0;
    struct stat info {};
    // A file truncated under us (copy-truncate rotation) is read again from its start.
    if (::fstat(fd_.get(), &info) == 0 && static_cast<uint64_t>(info.st_size) < offset_)
      offset_ = 0;
    const ssize_t n = ::pread(fd_.get(), buffer, kFrameBytes, static_cast<off_t>(offset_));
    return n < 0 ? 0 : n;
  }

  bool send(httplib::DataSink& sink, const char* data, std::size_t size) {
    offset_ += size;
    if (plain_) return write(sink, std::string(data, size));
    const Json frame = {
        {"Offset", offset_}, {"Data", base64(data, size)}, {"File", "alloc/logs/" + name_}};
    return write(sink, frame.dump() + "\n");
  }

  bool write(httplib::DataSink& sink, const std::string& text) {
    last_write_ = std::chrono::steady_clock::now();
    return sink.write(text.data(), text.size());
  }

  bool allocation_terminal() const {
    std::optional<Json> allocation = agent_.state().allocation(alloc_id_);
    return !allocation || alloc_terminal(*allocation);
  }

  AgentApi& agent_;
  const ServerContext& server_;
  std::string alloc_id_;
  fs::path logs_dir_;
  std::string task_;
  std::string type_;
  bool plain_;
  bool follow_;
  std::optional<ClientConnection> connection_;
  UniqueFd fd_;
  int64_t number_ = 0;
  std::string name_;
  uint64_t offset_ = 0;
  int64_t last_number_ = 0;  // without follow: the newest file when the read began
  bool at_end_since_terminal_ = false;
  std::chrono::steady_clock::time_point last_write_ = std::chrono::steady_clock::now();
};

void logs(ApiRequest& request) {
  const std::string& alloc_id = request.params[0];
  const std::string task = request.query("task");
  if (task.empty()) throw ApiError(400, "must provide task name");
  const std::string type = request.query("type");
  if (type != "stdout" && type != "stderr")
    throw ApiError(400, "must provide log type (stdout/stderr)");
  const bool follow = request.query_bool("follow", false);
  const bool plain = request.query_bool("plain", false);
  int64_t offset = 0;
  if (const std::string text = request.query("offset"); !text.empty()) {
    try {
      std::size_t used = 0;
      offset = std::stoll(text, &used);
      if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
      throw ApiError(400, "error parsing offset: " + text);
    }
  }
  std::string origin = request.query("origin");
  if (origin.empty()) origin = "start";
  if (origin != "start" && origin != "end") throw ApiError(400, "origin must be start or end");

  // An ID that is not in the state never becomes a path.
  std::optional<Json> allocation = request.agent.state().allocation(alloc_id);
  if (!allocation) throw ApiError(404, "alloc not found");
  if (const Json* states = ApiRequest::member(*allocation, "TaskStates");
      states != nullptr && states->is_object() && !states->empty() && !states->contains(task))
    throw ApiError(404, "unknown task name \"" + task + "\"");
  const fs::path logs_dir = request.agent.alloc_dir(alloc_id) / "alloc" / "logs";

  const std::vector<LogFileEntry> files = list_log_files(logs_dir, task, type);
  if (files.empty()) {
    throw ApiError(404,
                   "log entry for task \"" + task + "\" and log type \"" + type + "\" not found");
  }
  const LogPosition start = start_position(files, origin == "end", offset);
  auto stream = std::make_shared<LogStream>(request.agent, request.server, alloc_id, logs_dir, task,
                                            type, plain, follow);
  stream->start_at(files[start.file], start.offset, files.back().number);
  if (follow) stream->watch(ClientConnection::find(request.http));

  request.response.set_chunked_content_provider(
      plain ? "text/plain; charset=utf-8" : "application/json",
      [stream](std::size_t, httplib::DataSink& sink) {
        try {
          if (stream->step(sink)) return true;
        } catch (const std::exception&) {
          // A failed read ends the answer early; the client sees it end.
        }
        sink.done();
        return true;
      });
}

}  // namespace

void add_logs_route(Router& router) {
  router.get("/v1/client/fs/logs/:alloc", logs);
}

}  // namespace pot::agent::http
