// Checking signify(1) signatures (OpenBSD's signing tool, also in FreeBSD's base system),
// which can accompany the original pot's images as NAME_TAG.xz.skein.sig.
//
// Both files are two lines: `untrusted comment: ...` and base64 of
//   public key  "Ed" | key number (8 bytes) | ed25519 public key (32 bytes)
//   signature   "Ed" | key number (8 bytes) | ed25519 signature (64 bytes)
// The key number ties a signature to the key that made it; the signature covers the signed
// file's bytes exactly (a detached signature, as `signify -S -m FILE` writes it).
#pragma once

#include <filesystem>
#include <string_view>

namespace pot::image {

// Throws Error naming the file and the reason unless `signature_file` holds a signify
// signature of `message` made by the key in `public_key_file`: a malformed key or signature
// file, a signature by another key (key numbers differ) and one that does not verify each
// get their own message.
void verify_signify_signature(const std::filesystem::path& public_key_file,
                              const std::filesystem::path& signature_file,
                              std::string_view message);

}  // namespace pot::image
