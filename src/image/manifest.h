// The manifest travelling with an image: what it is and which pot.conf settings a pot made
// from it gets. JSON, so other tools (and a browser on a registry) can read it.
//   {"format": 1, "pot": "web", "tag": "1.0", "created": 1764165600,
//    "archive": {"file": "web_1.0.tar.zst", "size": 61234567, "unpacked_size": 230000000,
//                "entries": 10234},
//    "settings": [["pot.cmd", "nginx -g 'daemon off;'"], ["pot.env", "A=1"], ...]}
// With "payload": "zfs-send" (written only then), the archive file holds the pot's datasets
// as a zstd-compressed ZFS replication stream (`zfs send -R`) instead of a tar of its root:
// such an image imports only where the storage can receive it (FreeBSD). A manifest without
// "payload" is a tar, so the images made before the field existed stay valid.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pot::image {

// What the archive file holds.
enum class Payload {
  kTar,      // a zstd-compressed tar of the pot's root filesystem
  kZfsSend,  // a zstd-compressed `zfs send -R` stream of the pot's datasets
};

struct Manifest {
  static constexpr int kFormat = 1;
  std::string pot;
  std::string tag;
  int64_t created = 0;  // seconds since the epoch
  std::string archive_file;
  uint64_t archive_size = 0;  // bytes of the compressed archive
  Payload payload = Payload::kTar;
  uint64_t unpacked_size = 0;  // sum of the regular files' sizes (zfs-send: the stream's
                               // bytes), the import limit's base
  uint64_t entries = 0;        // archive entries (zfs-send: 0)
  std::vector<std::pair<std::string, std::string>> settings;  // pot.conf key, value; repeats ok

  std::string to_json() const;
  // Throws Error("manifest: ...") on malformed JSON, a missing or mistyped field, an unknown
  // format, names that make_image_ref refuses, an archive file other than the ref's, or a
  // setting that could not be one pot.conf line (line break, NUL, `=` or empty key), or a
  // payload other than "tar" and "zfs-send".
  static Manifest parse(std::string_view json);
};

}  // namespace pot::image
