// Skein-1024-1024 after the Skein 1.3 specification.
//
// Skein hashes with UBI (Unique Block Iteration): the chaining value is the key of the block
// cipher Threefish-1024, each 128-byte block is encrypted under it with a 128-bit tweak that
// says where the block is (bytes so far, including this block), what it is (configuration,
// message or output) and whether it is the first and/or last block of its kind, and the
// ciphertext XOR the block is the next chaining value. A hash is three UBI passes:
//   1. the 32-byte configuration ("SHA3", version 1, output length 1024 bits) from a zero
//      chain value;
//   2. the message (zero-padded to a whole block; an empty message is one block of zeros);
//   3. the output: an 8-byte counter 0, whose chain value is the digest.
// Words are 64-bit little-endian throughout.
#include "image/skein1024.h"

#include <algorithm>
#include <cstring>

namespace pot::image {

namespace {

constexpr size_t kWords = 16;
constexpr size_t kRounds = 80;
constexpr size_t kSubkeys = kRounds / 4 + 1;
// The key schedule's parity constant (C240 in the specification).
constexpr uint64_t kKeyParity = 0x1BD11BDAA9FC1A22ULL;

// MIX rotation amounts for Threefish-1024: row d mod 8, column j (the pair 2j, 2j+1).
constexpr uint8_t kRotation[8][8] = {
    {24, 13, 8, 47, 8, 17, 22, 37},   {38, 19, 10, 55, 49, 18, 23, 52},
    {33, 4, 51, 13, 34, 41, 59, 17},  {5, 20, 48, 41, 47, 28, 16, 25},
    {41, 9, 37, 31, 12, 47, 44, 30},  {16, 34, 56, 51, 4, 53, 42, 41},
    {31, 44, 47, 46, 19, 42, 44, 25}, {9, 48, 35, 52, 23, 31, 37, 20},
};
// After the MIXes of a round, word i takes the value of word kPermutation[i].
constexpr uint8_t kPermutation[kWords] = {0, 9, 2, 13, 6, 11, 4, 15, 10, 7, 12, 3, 14, 5, 8, 1};

// Block types and flags in the high tweak word.
constexpr uint64_t kTypeConfig = 4;
constexpr uint64_t kTypeMessage = 48;
constexpr uint64_t kTypeOutput = 63;
constexpr uint64_t type_flags(uint64_t type) {
  return type << 56;
}
constexpr uint64_t kFirstFlag = 1ULL << 62;
constexpr uint64_t kFinalFlag = 1ULL << 63;

using Words = std::array<uint64_t, kWords>;

uint64_t rotate_left(uint64_t x, unsigned n) {
  return (x << n) | (x >> (64 - n));
}

Words load_words(const uint8_t* bytes) {
  Words words{};
  for (size_t i = 0; i < kWords; ++i) {
    uint64_t w = 0;
    for (size_t b = 0; b < 8; ++b) w |= static_cast<uint64_t>(bytes[i * 8 + b]) << (8 * b);
    words[i] = w;
  }
  return words;
}

// Threefish-1024 encryption of `plain` under `key` and the tweak (t0, t1).
Words threefish1024(const Words& key, uint64_t t0, uint64_t t1, const Words& plain) {
  std::array<uint64_t, kWords + 1> k{};
  k[kWords] = kKeyParity;
  for (size_t i = 0; i < kWords; ++i) {
    k[i] = key[i];
    k[kWords] ^= key[i];
  }
  const std::array<uint64_t, 3> tweak = {t0, t1, t0 ^ t1};

  Words v = plain;
  auto add_subkey = [&](size_t s) {
    for (size_t i = 0; i < kWords; ++i) v[i] += k[(s + i) % (kWords + 1)];
    v[kWords - 3] += tweak[s % 3];
    v[kWords - 2] += tweak[(s + 1) % 3];
    v[kWords - 1] += s;
  };

  for (size_t d = 0; d < kRounds; ++d) {
    if (d % 4 == 0) add_subkey(d / 4);
    Words mixed{};
    for (size_t j = 0; j < kWords / 2; ++j) {
      uint64_t sum = v[2 * j] + v[2 * j + 1];
      mixed[2 * j] = sum;
      mixed[2 * j + 1] = rotate_left(v[2 * j + 1], kRotation[d % 8][j]) ^ sum;
    }
    for (size_t i = 0; i < kWords; ++i) v[i] = mixed[kPermutation[i]];
  }
  add_subkey(kSubkeys - 1);
  return v;
}

}  // namespace

Skein1024::Skein1024() {
  reset();
}

void Skein1024::reset() {
  chain_.fill(0);
  pending_.fill(0);
  pending_size_ = 0;
  message_bytes_ = 0;
  first_block_done_ = false;

  std::array<uint8_t, kBlockBytes> config{};
  const uint8_t schema[4] = {'S', 'H', 'A', '3'};
  std::copy(std::begin(schema), std::end(schema), config.begin());
  config[4] = 1;  // version 1, little-endian 16 bits
  const uint64_t output_bits = kDigestBytes * 8;
  for (size_t b = 0; b < 8; ++b) config[8 + b] = static_cast<uint8_t>(output_bits >> (8 * b));
  // Bytes 16..18 (tree parameters) stay zero: sequential hashing.
  constexpr uint64_t kConfigBytes = 32;
  process_block(config.data(), kConfigBytes, type_flags(kTypeConfig) | kFirstFlag | kFinalFlag);
}

void Skein1024::process_block(const uint8_t* block, uint64_t position, uint64_t type_flags) {
  Words message = load_words(block);
  Words cipher = threefish1024(chain_, position, type_flags, message);
  for (size_t i = 0; i < kWords; ++i) chain_[i] = cipher[i] ^ message[i];
}

void Skein1024::update(const void* data, size_t size) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  while (size > 0) {
    if (pending_size_ == kBlockBytes) {
      // More input follows, so the held block is not the last one.
      message_bytes_ += kBlockBytes;
      process_block(pending_.data(), message_bytes_,
                    type_flags(kTypeMessage) | (first_block_done_ ? 0 : kFirstFlag));
      first_block_done_ = true;
      pending_size_ = 0;
    }
    size_t take = std::min(kBlockBytes - pending_size_, size);
    std::memcpy(pending_.data() + pending_size_, bytes, take);
    pending_size_ += take;
    bytes += take;
    size -= take;
  }
}

Skein1024::Digest Skein1024::final() {
  std::fill(pending_.begin() + static_cast<std::ptrdiff_t>(pending_size_), pending_.end(), 0);
  process_block(pending_.data(), message_bytes_ + pending_size_,
                type_flags(kTypeMessage) | kFinalFlag | (first_block_done_ ? 0 : kFirstFlag));

  std::array<uint8_t, kBlockBytes> counter{};  // output block 0
  constexpr uint64_t kCounterBytes = 8;
  process_block(counter.data(), kCounterBytes, type_flags(kTypeOutput) | kFirstFlag | kFinalFlag);

  Digest digest{};
  for (size_t i = 0; i < kDigestBytes; ++i) {
    digest[i] = static_cast<uint8_t>(chain_[i / 8] >> (8 * (i % 8)));
  }
  return digest;
}

Skein1024::Digest skein1024(std::string_view bytes) {
  Skein1024 hash;
  hash.update(bytes);
  return hash.final();
}

std::string to_hex(const Skein1024::Digest& digest) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(digest.size() * 2);
  for (uint8_t byte : digest) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

}  // namespace pot::image
