// Streaming zstd over file descriptors, for images whose payload is a replication stream.
//
// Debian's static libzstd has no worker threads (see archive_writer.cc), so the stream is
// compressed on one thread; `zfs send` itself runs in its own process beside us.
#include "image/zstd_stream.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <zstd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"
#include "image/digest.h"

namespace pot::image {
namespace {

namespace fs = std::filesystem;

size_t read_some(int fd, void* buffer, size_t size, const std::string& what) {
  for (;;) {
    ssize_t n = ::read(fd, buffer, size);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno != EINTR) throw_sys("reading " + what);
  }
}

void write_all(int fd, const void* data, size_t size, const std::string& what) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, bytes, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("writing " + what);
    }
    bytes += n;
    size -= static_cast<size_t>(n);
  }
}

class CompressContext {
 public:
  CompressContext() : ctx_(::ZSTD_createCCtx()) {
    if (ctx_ == nullptr) throw Error("zstd: out of memory");
  }
  CompressContext(const CompressContext&) = delete;
  CompressContext& operator=(const CompressContext&) = delete;
  ~CompressContext() { ::ZSTD_freeCCtx(ctx_); }
  ZSTD_CCtx* get() const { return ctx_; }

 private:
  ZSTD_CCtx* ctx_;
};

class DecompressContext {
 public:
  DecompressContext() : ctx_(::ZSTD_createDCtx()) {
    if (ctx_ == nullptr) throw Error("zstd: out of memory");
  }
  DecompressContext(const DecompressContext&) = delete;
  DecompressContext& operator=(const DecompressContext&) = delete;
  ~DecompressContext() { ::ZSTD_freeDCtx(ctx_); }
  ZSTD_DCtx* get() const { return ctx_; }

 private:
  ZSTD_DCtx* ctx_;
};

void check_zstd(size_t code, const std::string& what) {
  if (::ZSTD_isError(code) != 0) throw Error(what + ": " + ::ZSTD_getErrorName(code));
}

// The first exception of two sides, by the order they failed in.
class FirstFailure {
 public:
  void record(std::exception_ptr error) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (!first_) first_ = std::move(error);
  }
  void rethrow() const {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mutex_;
  std::exception_ptr first_;
};

}  // namespace

StreamCompressResult compress_fd_to_file(int input_fd, const fs::path& output, int level,
                                         const std::function<void(uint64_t)>& progress) {
  const std::string what = quote_name(output.string());
  UniqueFd out(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!out) throw_sys("creating " + what);
  CompressContext ctx;
  check_zstd(::ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_compressionLevel, level), what);
  check_zstd(::ZSTD_CCtx_setParameter(ctx.get(), ZSTD_c_checksumFlag, 1), what);

  std::vector<char> in_buffer(::ZSTD_CStreamInSize());
  std::vector<char> out_buffer(::ZSTD_CStreamOutSize());
  Sha256 sha;
  StreamCompressResult result;
  for (;;) {
    size_t n = read_some(input_fd, in_buffer.data(), in_buffer.size(), "the stream to compress");
    const bool last = n == 0;
    ZSTD_inBuffer input{in_buffer.data(), n, 0};
    bool finished = false;
    while (!finished) {
      ZSTD_outBuffer chunk{out_buffer.data(), out_buffer.size(), 0};
      size_t remaining =
          ::ZSTD_compressStream2(ctx.get(), &chunk, &input, last ? ZSTD_e_end : ZSTD_e_continue);
      check_zstd(remaining, "compressing into " + what);
      write_all(out.get(), out_buffer.data(), chunk.pos, what);
      sha.update(out_buffer.data(), chunk.pos);
      result.compressed_bytes += chunk.pos;
      finished = last ? remaining == 0 : input.pos == input.size;
    }
    result.raw_bytes += n;
    if (progress) progress(result.raw_bytes);
    if (last) break;
  }
  if (::close(out.release()) != 0) throw_sys("closing " + what);
  result.sha256 = sha.hex_digest();
  return result;
}

uint64_t decompress_zstd_to_fd(const fs::path& input, int output_fd, uint64_t max_bytes) {
  const std::string what = quote_name(input.string());
  UniqueFd in(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in) throw_sys("opening " + what);
  DecompressContext ctx;
  std::vector<char> in_buffer(::ZSTD_DStreamInSize());
  std::vector<char> out_buffer(::ZSTD_DStreamOutSize());
  uint64_t written = 0;
  size_t frame_left = 1;  // what ZSTD_decompressStream last said; 0 at a frame's end
  for (;;) {
    size_t n = read_some(in.get(), in_buffer.data(), in_buffer.size(), what);
    if (n == 0) break;
    ZSTD_inBuffer chunk_in{in_buffer.data(), n, 0};
    bool output_full = false;
    while (chunk_in.pos < chunk_in.size || output_full) {
      ZSTD_outBuffer chunk_out{out_buffer.data(), out_buffer.size(), 0};
      frame_left = ::ZSTD_decompressStream(ctx.get(), &chunk_out, &chunk_in);
      if (::ZSTD_isError(frame_left) != 0)
        throw Error(what + ": corrupt zstd data (" + ::ZSTD_getErrorName(frame_left) + ")");
      if (chunk_out.pos > max_bytes - written)
        throw Error(what + ": decompresses to more than the " + std::to_string(max_bytes) +
                    " bytes its manifest states");
      write_all(output_fd, out_buffer.data(), chunk_out.pos, "the stream of " + what);
      written += chunk_out.pos;
      output_full = chunk_out.pos == chunk_out.size;
    }
  }
  if (frame_left != 0) throw Error(what + ": truncated zstd data (the file ends inside a frame)");
  return written;
}

void pipe_through(const std::function<void(int)>& writer, const std::function<void(int)>& reader) {
  std::array<int, 2> ends{};
  if (::pipe2(ends.data(), O_CLOEXEC) != 0) throw_sys("making a pipe");
  UniqueFd read_end(ends[0]);
  UniqueFd write_end(ends[1]);
  FirstFailure failure;
  std::thread writer_thread([&failure, &writer, fd = std::move(write_end)]() mutable {
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    ::pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    try {
      writer(fd.get());
    } catch (...) {
      failure.record(std::current_exception());
    }
    fd.reset();  // the reader sees the end of the stream
  });
  try {
    reader(read_end.get());
  } catch (...) {
    failure.record(std::current_exception());
  }
  read_end.reset();  // a writer still writing gets EPIPE and stops
  writer_thread.join();
  failure.rethrow();
}

}  // namespace pot::image
