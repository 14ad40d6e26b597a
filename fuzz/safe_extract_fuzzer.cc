// extract_archive, the extraction of untrusted tar archives (imported images, tar: bases),
// with every compression it reads (none, gzip, xz, zstd on its own thread, bzip2). Each input
// is written to a file and extracted into a fresh directory `box/target` of a private
// temporary directory, beside a sentinel directory `box/sentinel` and a sentinel file
// `box/outside`; then `box` is removed. Checks, beyond no crash, no sanitizer report and no
// leak (the decompression thread included):
//  - only pot::Error escapes;
//  - nothing is ever written outside the target: the sentinel directory stays empty, the
//    sentinel file keeps its content, mode, owner and single link (a hard link made to it
//    would show), `box` holds nothing else, and neither does the temporary directory;
//  - an extraction that succeeds stays within the limits given (entries, bytes).
// Device nodes are refused (the default), so fuzzing never makes one.
// A custom mutator repairs the header checksums of plain tar inputs after most mutations,
// so that mutated headers get past the checksum to the code that reads them.
// With POT_FUZZ_VERBOSE set in the environment, prints why each input was refused.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <system_error>

#include "core/error.h"
#include "core/file_util.h"
#include "fuzz_check.h"
#include "fuzz_temp_dir.h"
#include "image/safe_extract.h"

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kOutsideText = "outside the target: never written\n";

std::set<std::string> list(const fs::path& dir) {
  std::set<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    names.insert(it->path().filename().string());
  FUZZ_CHECK(!ec);
  return names;
}

const bool kVerbose = std::getenv("POT_FUZZ_VERBOSE") != nullptr;

}  // namespace

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size,
                                          unsigned int seed) {
  size = LLVMFuzzerMutate(data, size, max_size);
  if (seed % 8 == 0) return size;  // bad checksums stay reachable
  constexpr size_t kBlock = 512, kSum = 148, kSumSize = 8, kMagic = 257;
  for (size_t at = 0; at + kBlock <= size; at += kBlock) {
    uint8_t* block = data + at;
    if (std::memcmp(block + kMagic, "ustar", 5) != 0) continue;
    unsigned sum = 0;
    for (size_t i = 0; i < kBlock; ++i) sum += i >= kSum && i < kSum + kSumSize ? ' ' : block[i];
    char digits[kSumSize];
    std::snprintf(digits, sizeof digits, "%06o", sum);  // at most 0377000: six digits
    std::memcpy(block + kSum, digits, 7);               // the digits and a NUL
    block[kSum + 7] = ' ';
  }
  return size;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const fs::path& dir = pot::fuzz::temp_dir("safe_extract");
  const fs::path archive = dir / "archive";
  const fs::path box = dir / "box";
  const fs::path target = box / "target";
  const fs::path sentinel = box / "sentinel";
  const fs::path outside = box / "outside";

  pot::write_file_atomic(archive, std::string_view(reinterpret_cast<const char*>(data), size), 0644,
                         pot::Durability::kVolatile);
  fs::create_directories(target);
  fs::create_directory(sentinel);
  pot::write_file_atomic(outside, kOutsideText, 0644, pot::Durability::kVolatile);
  struct stat before {};
  FUZZ_CHECK(::lstat(outside.c_str(), &before) == 0);

  pot::ExtractOptions options;
  options.max_total_bytes = 8 << 20;
  options.max_entries = 4096;
  try {
    pot::ExtractStats stats = pot::extract_archive(archive, target, options);
    FUZZ_CHECK(stats.entries <= options.max_entries);
    FUZZ_CHECK(stats.bytes <= options.max_total_bytes);
  } catch (const pot::Error& e) {
    if (kVerbose) std::fprintf(stderr, "refused: %s\n", e.what());
  }

  FUZZ_CHECK(list(sentinel).empty());
  FUZZ_CHECK((list(box) == std::set<std::string>{"target", "sentinel", "outside"}));
  FUZZ_CHECK((list(dir) == std::set<std::string>{"archive", "box"}));
  struct stat after {};
  FUZZ_CHECK(::lstat(outside.c_str(), &after) == 0);
  FUZZ_CHECK(after.st_ino == before.st_ino && after.st_nlink == 1 &&
             after.st_mode == before.st_mode && after.st_uid == before.st_uid &&
             after.st_gid == before.st_gid && after.st_size == before.st_size &&
             after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
             after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
  FUZZ_CHECK(pot::read_file(outside) == kOutsideText);

  pot::remove_tree(box);
  return 0;
}
