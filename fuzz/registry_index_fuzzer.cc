// parse_index, the reader of a registry's `index.json` (`pot registry ls`, the image
// client), which comes over the network. Checks, beyond no crash and no sanitizer report:
//  - only pot::Error escapes (never a JSON library exception);
//  - every accepted entry names a valid image (make_image_ref agrees: the client makes file
//    names and URLs of it);
//  - format_index() then parse_index() gives back the same entries.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "fuzz_check.h"
#include "image/image_ref.h"
#include "image/registry_index.h"

namespace {

bool same(const std::vector<pot::image::IndexEntry>& a,
          const std::vector<pot::image::IndexEntry>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].pot != b[i].pot || a[i].tag != b[i].tag || a[i].created != b[i].created ||
        a[i].size != b[i].size || a[i].is_signed != b[i].is_signed)
      return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<pot::image::IndexEntry> entries;
  try {
    entries = pot::image::parse_index(text);
  } catch (const pot::Error&) {
    return 0;
  }
  for (const auto& entry : entries) {
    pot::image::ImageRef ref = pot::image::make_image_ref(entry.pot, entry.tag);
    FUZZ_CHECK(pot::image::image_name_of(ref.archive_file()) == ref.name());
  }
  FUZZ_CHECK(same(pot::image::parse_index(pot::image::format_index(entries)), entries));
  return 0;
}
