// ed25519 signatures (libsodium) over an image's digest file.
//
// Keys and signatures are one line of text each, so they can be pasted, mailed and kept in
// configuration:
//   secret key file (mode 0600)  `pot-ed25519-secret <key id> <base64 of 64 bytes>`
//   public key file (FILE.pub)   `pot-ed25519-public <key id> <base64 of 32 bytes>`
//   signature file               `pot-ed25519-signature <key id> <base64 of 64 bytes>`
// The key id (16 hex digits of SHA-256 of the public key) lets an error say which key made a
// signature that does not verify.
#pragma once
#include <filesystem>
#include <string>
#include <string_view>

namespace pot::image {

// Writes a new key pair: `secret_file` (created 0600, refused if it exists) and
// `secret_file`.pub (0644). Nothing is left behind on failure.
void generate_key_pair(const std::filesystem::path& secret_file);

// The signature file's text for `message`, signed with the secret key in `secret_file`.
std::string sign_message(const std::filesystem::path& secret_file, std::string_view message);

// The key id of the public key in `public_key_file`; throws Error naming the file when it is
// not a pot public key.
std::string public_key_id(const std::filesystem::path& public_key_file);

// Throws Error naming the key and the reason unless `signature_text` is a valid signature of
// `message` by the public key in `public_key_file` (a malformed file, another key's
// signature and a forged one each get their own message).
void verify_message(const std::filesystem::path& public_key_file, std::string_view message,
                    std::string_view signature_text);

}  // namespace pot::image
