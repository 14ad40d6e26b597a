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
#include <utility>

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

// Rather than moving the sixteen words after every round as the specification's
// permutation does, the eight rounds of a group work on the words where they lie:
// kPlacement[r][i] is where logical word i is at round r of a group (r = 0: in order), and
// after the eighth round the words are put back in order once. Together with rounds unrolled
// at compile time this makes every index a constant, which is most of the speed.
constexpr size_t kGroupRounds = 8;
using Placement = std::array<uint8_t, kWords>;

constexpr std::array<Placement, kGroupRounds + 1> make_placement() {
  std::array<Placement, kGroupRounds + 1> placement{};
  for (size_t i = 0; i < kWords; ++i) placement[0][i] = static_cast<uint8_t>(i);
  for (size_t r = 0; r < kGroupRounds; ++r) {
    for (size_t i = 0; i < kWords; ++i) placement[r + 1][i] = placement[r][kPermutation[i]];
  }
  return placement;
}
constexpr auto kPlacement = make_placement();

// MIX of the pair j in round r of a group: (a, b) -> (a + b, (b <<< R) ^ (a + b)).
template <size_t R, size_t J>
inline void mix(Words& v) {
  constexpr size_t a = kPlacement[R][2 * J];
  constexpr size_t b = kPlacement[R][2 * J + 1];
  v[a] += v[b];
  v[b] = rotate_left(v[b], kRotation[R][J]) ^ v[a];
}

template <size_t... R>
inline void rounds(Words& v, std::index_sequence<R...> /*rounds*/) {
  auto one_round = [&v]<size_t Round, size_t... J>(std::index_sequence<J...> /*pairs*/) {
    (mix<Round, J>(v), ...);
  };
  (one_round.template operator()<R>(std::make_index_sequence<kWords / 2>{}), ...);
}

// The key schedule: subkey s is key words s, s+1, ... (mod 17), with the tweak words and s
// added to the last three.
class KeySchedule {
 public:
  KeySchedule(const Words& key, uint64_t t0, uint64_t t1) {
    uint64_t parity = kKeyParity;
    for (size_t i = 0; i < kWords; ++i) parity ^= key[i];
    // Written out twice, so that key word (s + i) mod 17 is key_[s mod 17 + i].
    for (size_t i = 0; i < key_.size(); ++i) {
      key_[i] = (i % (kWords + 1)) == kWords ? parity : key[i % (kWords + 1)];
    }
    tweak_ = {t0, t1, t0 ^ t1, t0, t1};
  }

  // Adds subkey `s` to the words, logical word i being at v[placement[i]].
  void add(Words& v, size_t s, const Placement& placement) const {
    for (size_t i = 0; i < kWords; ++i) v[placement[i]] += key_[s % (kWords + 1) + i];
    v[placement[kWords - 3]] += tweak_[s % 3];
    v[placement[kWords - 2]] += tweak_[s % 3 + 1];
    v[placement[kWords - 1]] += s;
  }

 private:
  std::array<uint64_t, 2 * (kWords + 1)> key_{};
  std::array<uint64_t, 5> tweak_{};
};

// Threefish-1024 encryption of `plain` under `key` and the tweak (t0, t1).
Words threefish1024(const Words& key, uint64_t t0, uint64_t t1, const Words& plain) {
  const KeySchedule schedule(key, t0, t1);
  Words v = plain;
  for (size_t group = 0; group < kRounds / kGroupRounds; ++group) {
    schedule.add(v, 2 * group, kPlacement[0]);
    rounds(v, std::index_sequence<0, 1, 2, 3>{});
    schedule.add(v, 2 * group + 1, kPlacement[4]);
    rounds(v, std::index_sequence<4, 5, 6, 7>{});
    const Words placed = v;
    for (size_t i = 0; i < kWords; ++i) v[i] = placed[kPlacement[kGroupRounds][i]];
  }
  schedule.add(v, kSubkeys - 1, kPlacement[0]);
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
