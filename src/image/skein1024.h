// Skein-1024-1024: the hash FreeBSD's `skein1024` tool prints, which the original pot uses
// to check its images (NAME_TAG.xz.skein). No Debian library has it, so it is ours, written
// from the Skein 1.3 specification (Threefish-1024 inside the UBI chaining mode; 1024-bit
// state, 1024-bit output, plain hashing: no key, no tree) and checked against the
// specification's known-answer tests in tests/unit/skein1024_test.cc.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pot::image {

class Skein1024 {
 public:
  static constexpr size_t kBlockBytes = 128;
  static constexpr size_t kDigestBytes = 128;
  using Digest = std::array<uint8_t, kDigestBytes>;

  // Ready to hash (the configuration block is already processed).
  Skein1024();

  void update(const void* data, size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }

  // The digest of everything passed to update(); the object is spent afterwards (call
  // reset() to hash another message).
  Digest final();

  void reset();

 private:
  // One UBI step: chain_ = Threefish(key = chain_, tweak, block) XOR block.
  void process_block(const uint8_t* block, uint64_t position, uint64_t type_flags);

  std::array<uint64_t, kBlockBytes / 8> chain_{};  // the UBI chaining value
  // The last block is held back until final(): only then is it known to be the last one,
  // which it must say in its tweak.
  std::array<uint8_t, kBlockBytes> pending_{};
  size_t pending_size_ = 0;
  uint64_t message_bytes_ = 0;  // bytes of message before pending_
  bool first_block_done_ = false;
};

// Skein-1024-1024 of `bytes` in one call.
Skein1024::Digest skein1024(std::string_view bytes);

// Lowercase hex, as `skein1024 -q` prints it (256 digits for a digest).
std::string to_hex(const Skein1024::Digest& digest);

}  // namespace pot::image
