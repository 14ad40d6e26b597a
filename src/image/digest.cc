#include "image/digest.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <set>

#include "core/error.h"
#include "core/unique_fd.h"

namespace pot::image {
namespace {

// Large reads: the archive hashed on import is tens of megabytes.
constexpr size_t kReadBuffer = size_t{1} << 20;
constexpr size_t kHexDigits = 2 * SHA256_DIGEST_SIZE;

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Why `file` is not a plain file name in the digest's directory, or nullptr.
const char* file_name_problem(std::string_view file) {
  if (file.empty()) return "no file name";
  if (file == "." || file == "..") return "file name is `.` or `..`";
  for (char c : file) {
    if (c == '/') return "file name contains `/`";
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return "file name contains a control character";
  }
  return nullptr;
}

}  // namespace

Sha256::Sha256() {
  sha256_init(&state_);
}

void Sha256::update(const void* data, size_t size) {
  sha256_update(&state_, size, static_cast<const uint8_t*>(data));
}

std::string Sha256::hex_digest() {
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&state_, SHA256_DIGEST_SIZE, digest);
  std::string hex(kHexDigits + 1, '\0');
  ::sodium_bin2hex(hex.data(), hex.size(), digest, sizeof digest);
  hex.pop_back();
  return hex;
}

std::string sha256_file(const std::filesystem::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_sys("opening " + quote_name(path.string()));
  ::posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  auto buffer = std::make_unique_for_overwrite<char[]>(kReadBuffer);
  Sha256 hash;
  for (;;) {
    ssize_t n = ::read(fd.get(), buffer.get(), kReadBuffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("reading " + quote_name(path.string()));
    }
    if (n == 0) break;
    hash.update(buffer.get(), static_cast<size_t>(n));
  }
  return hash.hex_digest();
}

std::string format_digest_list(const std::vector<DigestEntry>& entries) {
  std::string out;
  for (const auto& entry : entries) out += entry.sha256 + "  " + entry.file + "\n";
  return out;
}

std::vector<DigestEntry> parse_digest_list(std::string_view text) {
  std::vector<DigestEntry> entries;
  std::set<std::string, std::less<>> seen;
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    auto fail = [&](std::string_view reason) {
      throw Error("digest file: line " + std::to_string(line_number) + ": " + std::string(reason));
    };

    size_t hex_end = 0;
    while (hex_end < line.size() && line[hex_end] != ' ') ++hex_end;
    if (hex_end == line.size()) fail("expected `<SHA-256>  <file name>`");
    std::string_view hex = line.substr(0, hex_end);
    for (char c : hex) {
      if (!is_hex(c)) fail("the SHA-256 has a character that is not a hex digit");
    }
    if (hex.size() != kHexDigits)
      fail("the SHA-256 has " + std::to_string(hex.size()) + " hex digits, not 64");
    // `sha256sum` separates with two spaces, or ` *` in its binary mode.
    if (line.size() < hex_end + 2 || (line[hex_end + 1] != ' ' && line[hex_end + 1] != '*'))
      fail("expected two spaces between the SHA-256 and the file name");
    std::string_view file = line.substr(hex_end + 2);
    if (const char* problem = file_name_problem(file)) fail(problem);
    if (!seen.emplace(file).second) fail(quote_name(file) + " is listed twice");

    DigestEntry entry;
    entry.sha256.reserve(kHexDigits);
    for (char c : hex) entry.sha256.push_back(lower(c));
    entry.file = file;
    entries.push_back(std::move(entry));
  }
  if (entries.empty()) throw Error("digest file: lists no files");
  return entries;
}

void verify_file_digest(const std::vector<DigestEntry>& entries, const std::filesystem::path& dir,
                        const std::string& file) {
  const DigestEntry* listed = nullptr;
  for (const auto& entry : entries) {
    if (entry.file == file) listed = &entry;
  }
  if (listed == nullptr) throw Error(quote_name(file) + ": not listed in the digest");
  std::string actual = sha256_file(dir / file);
  if (actual != listed->sha256)
    throw Error(quote_name(file) + ": SHA-256 mismatch (expected " + listed->sha256 + ", got " +
                actual + ")");
}

}  // namespace pot::image
