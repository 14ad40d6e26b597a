// signify(1) public keys and detached signatures: parsing and verification (libsodium's
// ed25519, which is what signify uses).
#include "image/signify.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.h"
#include "core/file_util.h"

namespace pot::image {

namespace {

constexpr std::string_view kCommentPrefix = "untrusted comment: ";
constexpr std::string_view kAlgorithm = "Ed";
constexpr size_t kKeyNumberBytes = 8;
// Key and signature files are a few hundred bytes; anything much larger is not one.
constexpr uintmax_t kMaxFileBytes = 4096;

using KeyNumber = std::array<unsigned char, kKeyNumberBytes>;

struct PublicKey {
  KeyNumber number{};
  std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> key{};
};

struct Signature {
  KeyNumber number{};
  std::array<unsigned char, crypto_sign_BYTES> signature{};
};

void ensure_sodium() {
  static const bool ok = ::sodium_init() >= 0;
  if (!ok) throw Error("libsodium failed to initialise");
}

std::string hex_of(const KeyNumber& number) {
  std::string hex(number.size() * 2 + 1, '\0');
  ::sodium_bin2hex(hex.data(), hex.size(), number.data(), number.size());
  hex.pop_back();
  return hex;
}

// The payload of a signify file: the bytes base64 encodes on the line after the comment,
// which must be exactly `size` bytes starting with "Ed". Throws Error naming `path` and
// `what` (a "signify public key", a "signify signature").
std::string read_payload(const std::filesystem::path& path, std::string_view what, size_t size) {
  const std::string bad = quote_name(path.string()) + ": not a " + std::string(what);
  std::error_code ec;
  uintmax_t file_size = std::filesystem::file_size(path, ec);
  if (!ec && file_size > kMaxFileBytes)
    throw Error(bad + " (larger than " + std::to_string(kMaxFileBytes) + " bytes)");
  const std::string text = read_file(path);

  size_t comment_end = text.find('\n');
  if (text.compare(0, kCommentPrefix.size(), kCommentPrefix) != 0 ||
      comment_end == std::string::npos) {
    throw Error(bad + " (no `untrusted comment:` line)");
  }
  size_t line_end = text.find('\n', comment_end + 1);
  std::string_view base64 = std::string_view(text).substr(
      comment_end + 1,
      line_end == std::string::npos ? std::string::npos : line_end - comment_end - 1);
  if (line_end != std::string::npos && line_end + 1 != text.size()) {
    throw Error(bad + " (text after the second line)");
  }

  std::string payload(size, '\0');
  size_t decoded = 0;
  const char* end = nullptr;
  if (::sodium_base642bin(reinterpret_cast<unsigned char*>(payload.data()), payload.size(),
                          base64.data(), base64.size(), nullptr, &decoded, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != base64.data() + base64.size() || decoded != size) {
    throw Error(bad + " (the second line is not base64 of " + std::to_string(size) + " bytes)");
  }
  if (payload.compare(0, kAlgorithm.size(), kAlgorithm) != 0) {
    throw Error(bad + " (algorithm is not Ed25519)");
  }
  return payload;
}

PublicKey read_public_key(const std::filesystem::path& path) {
  const std::string payload = read_payload(
      path, "signify public key", kAlgorithm.size() + kKeyNumberBytes + crypto_sign_PUBLICKEYBYTES);
  PublicKey key;
  std::memcpy(key.number.data(), payload.data() + kAlgorithm.size(), kKeyNumberBytes);
  std::memcpy(key.key.data(), payload.data() + kAlgorithm.size() + kKeyNumberBytes, key.key.size());
  return key;
}

Signature read_signature(const std::filesystem::path& path) {
  const std::string payload = read_payload(path, "signify signature",
                                           kAlgorithm.size() + kKeyNumberBytes + crypto_sign_BYTES);
  Signature sig;
  std::memcpy(sig.number.data(), payload.data() + kAlgorithm.size(), kKeyNumberBytes);
  std::memcpy(sig.signature.data(), payload.data() + kAlgorithm.size() + kKeyNumberBytes,
              sig.signature.size());
  return sig;
}

}  // namespace

void verify_signify_signature(const std::filesystem::path& public_key_file,
                              const std::filesystem::path& signature_file,
                              std::string_view message) {
  ensure_sodium();
  const PublicKey key = read_public_key(public_key_file);
  const Signature sig = read_signature(signature_file);
  if (sig.number != key.number) {
    throw Error(quote_name(signature_file.string()) + ": signed by key " + hex_of(sig.number) +
                ", not by " + quote_name(public_key_file.string()) + " (key " + hex_of(key.number) +
                ")");
  }
  if (::crypto_sign_verify_detached(sig.signature.data(),
                                    reinterpret_cast<const unsigned char*>(message.data()),
                                    message.size(), key.key.data()) != 0) {
    throw Error(quote_name(signature_file.string()) + ": signature does not verify with " +
                quote_name(public_key_file.string()) + " (the signed file was changed)");
  }
}

}  // namespace pot::image
