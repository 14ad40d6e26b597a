// A registry directory's index, `index.json`: the images it holds. Written by `pot export -D`,
// by the registry server at start and after each push, atomically and under a lock on the
// directory, so any static HTTP server serving the directory serves a correct index.
//   {"images": [{"pot": "web", "tag": "1.0", "created": ..., "size": ..., "signed": true}]}
// An image is listed once its digest file exists (the digest file is published last).
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pot::image {

struct IndexEntry {
  std::string pot;
  std::string tag;
  int64_t created = 0;
  uint64_t size = 0;  // compressed archive bytes
  bool is_signed = false;
};

// The images complete in `dir` (digest + manifest + archive present, manifest parses and names
// the image, archive size as in the manifest, digest lists archive and manifest), sorted by
// pot then tag. Broken images are skipped, not fatal.
std::vector<IndexEntry> scan_registry_dir(const std::filesystem::path& dir);
std::string format_index(const std::vector<IndexEntry>& entries);
// Throws Error("registry index: ...") on malformed input.
std::vector<IndexEntry> parse_index(std::string_view json);
// Rescans `dir` and replaces `dir`/index.json atomically (flock on the directory).
void write_registry_index(const std::filesystem::path& dir);

}  // namespace pot::image
