// Keys and signatures are single text lines (format in signing.h). The secret key only ever
// lives in fixed buffers that are wiped when they go out of scope: never in a std::string,
// whose reallocations would leave copies of it in freed memory.
#include "image/signing.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"
#include "image/digest.h"

namespace pot::image {
namespace {

constexpr std::string_view kSecretLabel = "pot-ed25519-secret";
constexpr std::string_view kPublicLabel = "pot-ed25519-public";
constexpr std::string_view kSignatureLabel = "pot-ed25519-signature";
constexpr size_t kKeyIdDigits = 16;
// A key file is one short line; anything much longer is not one.
constexpr size_t kMaxKeyText = 512;

void init_sodium() {
  static const bool ok = ::sodium_init() >= 0;
  if (!ok) throw Error("libsodium: initialisation failed");
}

// Bytes or text that must not outlive their use.
template <size_t N>
struct Wiped {
  std::array<unsigned char, N> bytes{};
  size_t size = 0;
  Wiped() = default;
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;
  ~Wiped() { ::sodium_memzero(bytes.data(), bytes.size()); }
  unsigned char* data() { return bytes.data(); }
  std::string_view view() const { return {reinterpret_cast<const char*>(bytes.data()), size}; }
  bool append(std::string_view text) {
    if (text.size() > N - size) return false;
    std::memcpy(bytes.data() + size, text.data(), text.size());
    size += text.size();
    return true;
  }
};

std::string key_id(const unsigned char (&public_key)[crypto_sign_PUBLICKEYBYTES]) {
  Sha256 hash;
  hash.update(public_key, sizeof public_key);
  return hash.hex_digest().substr(0, kKeyIdDigits);
}

std::string to_base64(const unsigned char* data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  ::sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
  return out;
}

// Decodes exactly `size` bytes of base64 into `out`.
bool from_base64(std::string_view text, unsigned char* out, size_t size) {
  size_t decoded = 0;
  if (::sodium_base642bin(out, size, text.data(), text.size(), nullptr, &decoded, nullptr,
                          sodium_base64_VARIANT_ORIGINAL) != 0)
    return false;
  return decoded == size;
}

// The three fields of a key or signature line: label, key id, base64. Trailing white space
// (the newline) is allowed, nothing else around them.
struct Line {
  std::string_view label, id, base64;
};

bool is_key_id(std::string_view id) {
  if (id.size() != kKeyIdDigits) return false;
  for (char c : id) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool split_line(std::string_view text, std::string_view label, Line& line) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
    text.remove_suffix(1);
  size_t first = text.find(' ');
  if (first == std::string_view::npos) return false;
  size_t second = text.find(' ', first + 1);
  if (second == std::string_view::npos) return false;
  line.label = text.substr(0, first);
  line.id = text.substr(first + 1, second - first - 1);
  line.base64 = text.substr(second + 1);
  return line.label == label && is_key_id(line.id) &&
         line.base64.find_first_of(" \n") == std::string_view::npos;
}

// Writes `text` to a new file (refused if it exists) with exactly `mode`.
void create_key_file(const std::filesystem::path& path, std::string_view text, mode_t mode) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd) throw_sys("creating " + quote_name(path.string()));
  // The umask may have taken bits away from a public key that others are meant to read.
  if (::fchmod(fd.get(), mode) != 0) throw_sys("chmod " + quote_name(path.string()));
  while (!text.empty()) {
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("writing " + quote_name(path.string()));
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd.get()) != 0) throw_sys("fsync " + quote_name(path.string()));
}

// Removes the files it was given unless dismissed: a failed keygen leaves nothing behind.
class RemoveOnFailure {
 public:
  RemoveOnFailure() = default;
  RemoveOnFailure(const RemoveOnFailure&) = delete;
  RemoveOnFailure& operator=(const RemoveOnFailure&) = delete;
  ~RemoveOnFailure() {
    for (const auto& path : paths_) ::unlink(path.c_str());
  }
  void add(std::filesystem::path path) { paths_.push_back(std::move(path)); }
  void dismiss() { paths_.clear(); }

 private:
  std::vector<std::filesystem::path> paths_;
};

std::filesystem::path public_key_path(const std::filesystem::path& secret_file) {
  std::filesystem::path pub = secret_file;
  pub += ".pub";
  return pub;
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// Reads and checks the secret key in `path` into `secret_key`; returns its key id.
std::string load_secret_key(const std::filesystem::path& path,
                            Wiped<crypto_sign_SECRETKEYBYTES>& secret_key) {
  std::string name = quote_name(path.string());
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) throw_sys("opening secret key " + name);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) throw_sys("stat " + name);
  if (!S_ISREG(st.st_mode)) throw Error("secret key " + name + ": not a regular file");
  // As ssh does: a key others could read may already have been copied, so it is not used.
  if ((st.st_mode & 077) != 0) {
    const char* what = (st.st_mode & 044) != 0 ? "readable" : "accessible";
    throw Error("secret key " + name + " is " + what + " by others (mode " + mode_text(st.st_mode) +
                "): chmod 600 it");
  }

  Wiped<kMaxKeyText> text;
  for (;;) {
    if (text.size == kMaxKeyText)
      throw Error("secret key " + name + ": not a pot ed25519 secret key");
    ssize_t n = ::read(fd.get(), text.data() + text.size, kMaxKeyText - text.size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("reading secret key " + name);
    }
    if (n == 0) break;
    text.size += static_cast<size_t>(n);
  }

  Line line;
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  Wiped<crypto_sign_SECRETKEYBYTES> derived;
  bool ok = split_line(text.view(), kSecretLabel, line) &&
            from_base64(line.base64, secret_key.data(), crypto_sign_SECRETKEYBYTES);
  // The key holds the seed and the public key; both halves must agree (a damaged file
  // would otherwise make signatures nobody can verify).
  ok = ok && crypto_sign_seed_keypair(public_key, derived.data(), secret_key.data()) == 0 &&
       ::sodium_memcmp(derived.data(), secret_key.data(), crypto_sign_SECRETKEYBYTES) == 0;
  std::string id = ok ? key_id(public_key) : std::string();
  if (!ok || id != line.id) throw Error("secret key " + name + ": not a pot ed25519 secret key");
  return id;
}

}  // namespace

void generate_key_pair(const std::filesystem::path& secret_file) {
  init_sodium();
  std::filesystem::path public_file = public_key_path(secret_file);
  for (const auto& path : {secret_file, public_file}) {
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0)
      throw Error(quote_name(path.string()) + " already exists: not overwriting a key");
  }

  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  Wiped<crypto_sign_SECRETKEYBYTES> secret_key;
  crypto_sign_keypair(public_key, secret_key.data());
  std::string id = key_id(public_key);

  Wiped<kMaxKeyText> secret_text;
  Wiped<sodium_base64_ENCODED_LEN(crypto_sign_SECRETKEYBYTES, sodium_base64_VARIANT_ORIGINAL)>
      secret_base64;
  ::sodium_bin2base64(reinterpret_cast<char*>(secret_base64.data()), secret_base64.bytes.size(),
                      secret_key.data(), crypto_sign_SECRETKEYBYTES,
                      sodium_base64_VARIANT_ORIGINAL);
  secret_base64.size = secret_base64.bytes.size() - 1;
  secret_text.append(kSecretLabel);
  secret_text.append(" " + id + " ");
  secret_text.append(secret_base64.view());
  secret_text.append("\n");

  RemoveOnFailure cleanup;
  // O_EXCL in create_key_file: a file appearing since the check above is not overwritten,
  // and not removed either (it is only added to the cleanup once this call made it).
  create_key_file(secret_file, secret_text.view(), 0600);
  cleanup.add(secret_file);
  std::string public_text =
      std::string(kPublicLabel) + " " + id + " " + to_base64(public_key, sizeof public_key) + "\n";
  create_key_file(public_file, public_text, 0644);
  cleanup.dismiss();
}

std::string sign_message(const std::filesystem::path& secret_file, std::string_view message) {
  init_sodium();
  Wiped<crypto_sign_SECRETKEYBYTES> secret_key;
  std::string id = load_secret_key(secret_file, secret_key);
  unsigned char signature[crypto_sign_BYTES];
  crypto_sign_detached(signature, nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size(), secret_key.data());
  return std::string(kSignatureLabel) + " " + id + " " + to_base64(signature, sizeof signature) +
         "\n";
}

namespace {

// Reads a public key file into `public_key`; returns its key id.
std::string read_public_key(const std::filesystem::path& public_key_file,
                            unsigned char (&public_key)[crypto_sign_PUBLICKEYBYTES]) {
  init_sodium();
  std::string key_text = with_context("public key", [&] { return read_file(public_key_file); });
  Line key_line;
  if (key_text.size() > kMaxKeyText || !split_line(key_text, kPublicLabel, key_line) ||
      !from_base64(key_line.base64, public_key, sizeof public_key) ||
      key_id(public_key) != key_line.id)
    throw Error("public key " + quote_name(public_key_file.string()) +
                ": not a pot ed25519 public key");
  return std::string(key_line.id);
}

}  // namespace

std::string public_key_id(const std::filesystem::path& public_key_file) {
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  return read_public_key(public_key_file, public_key);
}

void verify_message(const std::filesystem::path& public_key_file, std::string_view message,
                    std::string_view signature_text) {
  std::string name = quote_name(public_key_file.string());
  unsigned char public_key[crypto_sign_PUBLICKEYBYTES];
  std::string id = read_public_key(public_key_file, public_key);

  Line signature_line;
  unsigned char signature[crypto_sign_BYTES];
  if (signature_text.size() > kMaxKeyText ||
      !split_line(signature_text, kSignatureLabel, signature_line) ||
      !from_base64(signature_line.base64, signature, sizeof signature))
    throw Error("signature: malformed");

  if (signature_line.id != id)
    throw Error("signed by key " + std::string(signature_line.id) + ", not by " + name + " (key " +
                id + ")");
  if (crypto_sign_verify_detached(signature, reinterpret_cast<const unsigned char*>(message.data()),
                                  message.size(), public_key) != 0)
    throw Error("signature does not verify with " + name +
                ": the signed file was changed or the signature forged");
}

}  // namespace pot::image
