// The original pot's image format, as `pot export` writes it and `pot import` reads it
// (bsdpot/pot share/pot/export.sh and import.sh), so that images in existing registries
// can be imported:
//
//   NAME_TAG.xz             `zfs send -R POOL/jails/NAME@SNAP | xz -LEVEL -T 0`
//   NAME_TAG.xz.meta        one line: the origin `POT:TAG@SNAP` of a cloned pot, else `-`
//                           (the original's import treats a missing .meta as empty)
//   NAME_TAG.xz.skein       `cat NAME_TAG.xz NAME_TAG.xz.meta | skein1024 -q`: the
//                           Skein-1024-1024 digest in lowercase hex and a newline; import
//                           compares it byte for byte (`cmp`)
//   NAME_TAG.xz.skein.sig   optional: a signify(1) signature of the .skein file
//
// Importing is: verify_original_image, parse_original_meta (import the origin first when
// there is one), then decompress_xz_to_fd into a pipe to `zfs receive`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pot::image {

struct OriginalImageFiles {
  std::filesystem::path xz;
  std::filesystem::path meta;
  std::filesystem::path skein;
  std::optional<std::filesystem::path> signature;  // set when a signature is at hand
};

// The files of image NAME at TAG in `dir`, named as the original does; `signature` is set
// when `dir` holds NAME_TAG.xz.skein.sig. Throws Error when `name` or `tag` is empty or is
// not a plain file-name part (contains `/` or a control character, or is `.` or `..`).
OriginalImageFiles original_image_files(const std::filesystem::path& dir, std::string_view name,
                                        std::string_view tag);

// The name the original gives a pot imported from image NAME at TAG: `NAME_TAG` with every
// `.` replaced by `_` (so `web` at `1.2` becomes `web_1_2`).
std::string original_imported_pot_name(std::string_view name, std::string_view tag);

// The exact content of a .skein file for `xz` and `meta`: what `skein1024 -q` prints for
// the two files one after the other. Both are read in chunks (images are gigabytes); a
// missing `meta` counts as empty, as in the original's import.
std::string original_skein_text(const std::filesystem::path& xz, const std::filesystem::path& meta);

// Checks an image before it is imported; throws a one-line Error naming the file and the
// reason:
//   - with `public_key` (a signify public key file): `files.signature` must be set and be a
//     signify signature of the .skein file's bytes by that key (same key number, valid
//     ed25519 signature). Checked first: it is cheap and stops a forged image before its
//     gigabytes are hashed. Without `public_key`, any signature is ignored.
//   - the .skein file must equal original_skein_text(files.xz, files.meta) byte for byte,
//     as the original's `cmp` requires.
void verify_original_image(const OriginalImageFiles& files,
                           const std::optional<std::filesystem::path>& public_key = std::nullopt);

// The origin a cloned pot's image depends on: image `pot` at `tag` must be imported first,
// and the clone is received with its snapshot `snapshot` as origin.
struct OriginalImageOrigin {
  std::string pot;
  std::string tag;
  std::string snapshot;
};

// Reads a .meta file's text. Only the first line counts (the original reads it with
// `head -n1`); an empty line or `-` means no origin. Otherwise the line must be
// `POT:TAG@SNAPSHOT` with all three parts non-empty, one `:` before one `@`, and no `/`,
// white space or control characters; anything else throws Error("image meta ...").
std::optional<OriginalImageOrigin> parse_original_meta(std::string_view text);

// Decompresses the xz file at `path` into `fd` (typically a pipe to `zfs receive`), as
// `xzcat` does: concatenated streams are accepted, the data is streamed in chunks, and the
// decoder's memory is capped (far above what `xz -9` needs). Returns the number of bytes
// written. Throws Error naming `path` on a file that is not xz, corrupt or truncated data
// (bytes already written stay written: the reader must discard its partial result, as
// `zfs receive` does with an incomplete stream), and on a write error. Writing to a pipe
// whose reader has gone raises SIGPIPE: callers ignore SIGPIPE to get the EPIPE error.
uint64_t decompress_xz_to_fd(const std::filesystem::path& path, int fd);

}  // namespace pot::image
