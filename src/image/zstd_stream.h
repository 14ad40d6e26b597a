// An image whose payload is a byte stream rather than a tree (a ZFS replication stream, the
// output of `zfs send -R`): the stream is zstd-compressed into the image file as it is read,
// and decompressed back into the program that receives it (`zfs receive`).
//
// The stream comes from a program writing into one end of a pipe while we read the other,
// so pipe_through runs the two sides at once (the writer on a thread of its own).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace pot::image {

struct StreamCompressResult {
  uint64_t raw_bytes = 0;         // bytes read from the input
  uint64_t compressed_bytes = 0;  // size of the output file
  std::string sha256;             // hex SHA-256 of the output file
};

// Reads `input_fd` to its end and writes it zstd-compressed (level 1-19, one frame with its
// checksum) to `output`, created 0644 or truncated, hashing what is written. `progress`, when
// set, gets the input bytes read so far now and then, and may throw to stop (the caller
// removes the output).
StreamCompressResult compress_fd_to_file(
    int input_fd, const std::filesystem::path& output, int level,
    const std::function<void(uint64_t raw_bytes)>& progress = {});

// Decompresses the zstd file at `input` into `output_fd` (concatenated frames accepted).
// Throws Error naming the file on data that is not zstd or is corrupt, on a file that ends
// inside a frame, and as soon as more than `max_bytes` would come out (the limit a signed
// manifest sets: a decompression bomb stops there). Bytes already written stay written: the
// reader must discard an incomplete stream, as `zfs receive` does. Returns the bytes written.
// Writing to a pipe whose reader has gone fails with EPIPE, never SIGPIPE, when called
// through pipe_through.
uint64_t decompress_zstd_to_fd(const std::filesystem::path& input, int output_fd,
                               uint64_t max_bytes);

// Connects `writer` and `reader` with a pipe: `writer(fd)` runs on a thread of its own with
// SIGPIPE blocked (so a write after the reader went fails with EPIPE), `reader(fd)` on the
// caller's thread. Each side's end of the pipe is closed as soon as that side returns, so the
// other sees the end of the stream (or EPIPE). When a side throws, the first failure is
// rethrown after both are done: a failure of one side makes the other fail too, and the
// first says why.
void pipe_through(const std::function<void(int write_fd)>& writer,
                  const std::function<void(int read_fd)>& reader);

}  // namespace pot::image
