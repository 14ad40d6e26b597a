// SHA-256 of files and streams (nettle, which uses the CPU's SHA instructions where there are
// any), and the digest file that lists an image's files in the format `sha256sum -c` reads,
// so a user can check an image by hand.
#pragma once
#include <nettle/sha2.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace pot::image {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  // Lowercase hex of the digest; the object is spent afterwards.
  std::string hex_digest();

 private:
  sha256_ctx state_;
};

// Hex SHA-256 of a whole file; throws Error naming the file.
std::string sha256_file(const std::filesystem::path& path);

struct DigestEntry {
  std::string sha256;  // 64 lowercase hex digits
  std::string file;    // a plain file name, no directory
};

// `<hex>  <file>\n` per entry.
std::string format_digest_list(const std::vector<DigestEntry>& entries);
// Throws Error("digest file: line N: ...") on anything but well-formed lines with plain file
// names (no `/`, not `.` or `..`, no control characters, each listed once), and on an empty
// list. Accepts what `sha256sum` writes (upper-case hex, ` *` before the name); the digests
// returned are lowercase.
std::vector<DigestEntry> parse_digest_list(std::string_view text);

// Checks that `file` in `dir` has the digest `entries` names for it; throws
// Error("`file`: SHA-256 mismatch (expected ..., got ...)") or "... not listed in the digest".
void verify_file_digest(const std::vector<DigestEntry>& entries, const std::filesystem::path& dir,
                        const std::string& file);

}  // namespace pot::image
