// parse_digest_list, the reader of an image's `<pot>_<tag>.sha256` (sha256sum format), which
// comes from a registry over the network and names the files an import then opens. Checks,
// beyond no crash and no sanitizer report:
//  - an accepted list is not empty, and every entry has 64 lowercase hex digits and a plain
//    file name (not empty, not `.` or `..`, no `/`, no control character), each listed once;
//  - format_digest_list() then parse_digest_list() gives back the same entries.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "fuzz_check.h"
#include "image/digest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<pot::image::DigestEntry> entries;
  try {
    entries = pot::image::parse_digest_list(text);
  } catch (const pot::Error&) {
    return 0;
  }
  FUZZ_CHECK(!entries.empty());
  std::set<std::string> files;
  for (const auto& entry : entries) {
    FUZZ_CHECK(entry.sha256.size() == 64);
    for (char c : entry.sha256) FUZZ_CHECK((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    FUZZ_CHECK(!entry.file.empty() && entry.file != "." && entry.file != "..");
    for (char c : entry.file) {
      FUZZ_CHECK(c != '/' && c != 0x7f && static_cast<unsigned char>(c) >= 0x20);
    }
    FUZZ_CHECK(files.insert(entry.file).second);
  }
  auto reread = pot::image::parse_digest_list(pot::image::format_digest_list(entries));
  FUZZ_CHECK(reread.size() == entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    FUZZ_CHECK(reread[i].sha256 == entries[i].sha256 && reread[i].file == entries[i].file);
  }
  return 0;
}
