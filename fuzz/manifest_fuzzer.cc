// Manifest::parse, the reader of an image's `<pot>_<tag>.manifest.json`, which comes from a
// registry over the network. Checks, beyond no crash and no sanitizer report:
//  - only pot::Error escapes (never a JSON library exception);
//  - an accepted manifest names a valid image (make_image_ref agrees) and its own archive;
//  - every setting could be one pot.conf line: its key is non-empty without `=`, line breaks
//    or NUL, and its value, set under a bare key and under a quoted key, reads back from the
//    serialized pot.conf unchanged;
//  - to_json() then parse() gives back the same manifest.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/pot_conf.h"
#include "fuzz_check.h"
#include "image/image_ref.h"
#include "image/manifest.h"

namespace {

bool same(const pot::image::Manifest& a, const pot::image::Manifest& b) {
  return a.pot == b.pot && a.tag == b.tag && a.created == b.created &&
         a.archive_file == b.archive_file && a.archive_size == b.archive_size &&
         a.unpacked_size == b.unpacked_size && a.entries == b.entries && a.settings == b.settings;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  pot::image::Manifest manifest;
  try {
    manifest = pot::image::Manifest::parse(text);
  } catch (const pot::Error&) {
    return 0;
  }

  pot::image::ImageRef ref = pot::image::make_image_ref(manifest.pot, manifest.tag);
  FUZZ_CHECK(manifest.archive_file == ref.archive_file());

  for (const auto& [key, value] : manifest.settings) {
    FUZZ_CHECK(!key.empty());
    FUZZ_CHECK(key.find_first_of(std::string_view("=\n\r\0", 4)) == std::string::npos);
    // pot.cmd is written bare unless it needs quotes, pot.env always in quotes.
    for (const char* conf_key : {"pot.cmd", "pot.env"}) {
      pot::PotConf conf;
      conf.set(conf_key, value);
      auto reread = pot::PotConf::parse(conf.serialize());
      FUZZ_CHECK(reread.entries() == conf.entries());
    }
  }

  std::string json = manifest.to_json();  // parsed strings are UTF-8, so this cannot throw
  FUZZ_CHECK(same(pot::image::Manifest::parse(json), manifest));
  return 0;
}
