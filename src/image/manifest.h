// The manifest travelling with an image: what it is and which pot.conf settings a pot made
// from it gets. JSON, so other tools (and a browser on a registry) can read it.
//   {"format": 1, "pot": "web", "tag": "1.0", "created": 1764165600,
//    "archive": {"file": "web_1.0.tar.zst", "size": 61234567, "unpacked_size": 230000000,
//                "entries": 10234},
//    "settings": [["pot.cmd", "nginx -g 'daemon off;'"], ["pot.env", "A=1"], ...]}
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pot::image {

struct Manifest {
  static constexpr int kFormat = 1;
  std::string pot;
  std::string tag;
  int64_t created = 0;  // seconds since the epoch
  std::string archive_file;
  uint64_t archive_size = 0;   // bytes of the compressed archive
  uint64_t unpacked_size = 0;  // sum of the regular files' sizes, the import limit's base
  uint64_t entries = 0;        // archive entries
  std::vector<std::pair<std::string, std::string>> settings;  // pot.conf key, value; repeats ok

  std::string to_json() const;
  // Throws Error("manifest: ...") on malformed JSON, a missing or mistyped field, an unknown
  // format, names that make_image_ref refuses, an archive file other than the ref's, or a
  // setting that could not be one pot.conf line (line break, NUL, `=` or empty key).
  static Manifest parse(std::string_view json);
};

}  // namespace pot::image
