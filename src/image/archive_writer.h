// Writing a directory tree as an image archive: a POSIX (pax) tar made by libarchive, compressed
// with zstd on several threads (one independent frame per 4 MiB of tar) into the output file,
// hashed on the way. Names are sorted, so the same tree gives the same bytes.
//
// Numeric owners, modes, times, symlinks, hard links (stored once) and sparse regular files
// are kept; sockets and device nodes are skipped; the archive's names are relative
// (`./etc/passwd`). The tree is read without following symlinks and without crossing into
// other mounts.
#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace pot::image {

struct ArchiveWriteOptions {
  int level = 3;    // zstd level, 1-19
  int threads = 0;  // zstd workers; 0: one per online CPU
  // Called now and then (every few MB of file data or thousand entries, and at the end) with
  // the bytes of file data read so far. It may throw (an interrupt): the export stops there
  // and the output is left as it was.
  std::function<void(uint64_t bytes_read)> progress;
};

struct ArchiveWriteResult {
  uint64_t entries = 0;
  uint64_t unpacked_bytes = 0;    // sum of regular files' sizes
  uint64_t compressed_bytes = 0;  // size of the output file
  std::string sha256;             // hex SHA-256 of the output file
};

// Writes the archive of `root`'s contents to `output` (created 0644; replaced atomically:
// a temporary file beside it is renamed over it at the end and removed on failure).
ArchiveWriteResult write_tree_archive(const std::filesystem::path& root,
                                      const std::filesystem::path& output,
                                      const ArchiveWriteOptions& options = {});

}  // namespace pot::image
