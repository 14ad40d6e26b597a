// Image names: make_image_ref (a pot name and a tag, from the command line, a manifest or a
// registry index) and image_name_of / is_image_file_name (file names the registry server
// accepts uploads of and scans). The input is a pot name and a tag separated by the first
// newline, and also, whole, a file name. Checks, beyond no crash and no sanitizer report:
//  - only pot::Error escapes;
//  - an accepted ref's name is `<pot>_<tag>` and each of its four files maps back to it, the
//    digest file published last;
//  - a file name image_name_of accepts is `<name><suffix>`, and its name splits at the last
//    `_` into a pot and a tag that make_image_ref accepts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "fuzz_check.h"
#include "image/image_ref.h"

using pot::image::image_name_of;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);

  size_t newline = text.find('\n');
  std::string_view pot = text.substr(0, newline);
  std::string_view tag = newline == std::string_view::npos ? "" : text.substr(newline + 1);
  try {
    pot::image::ImageRef ref = pot::image::make_image_ref(pot, tag);
    FUZZ_CHECK(ref.pot == pot && ref.tag == tag);
    FUZZ_CHECK(ref.name() == std::string(pot) + "_" + std::string(tag));
    auto files = ref.files_in_publish_order();
    FUZZ_CHECK(files.size() == 4 && files.back() == ref.digest_file());
    for (const auto& file : files) {
      FUZZ_CHECK(image_name_of(file) == ref.name());
      FUZZ_CHECK(pot::image::is_image_file_name(file));
    }
  } catch (const pot::Error&) {
  }

  std::string name = image_name_of(text);
  FUZZ_CHECK(pot::image::is_image_file_name(text) == !name.empty());
  if (!name.empty()) {
    FUZZ_CHECK(text.substr(0, name.size()) == name);
    pot::image::ImageFiles files(name);
    FUZZ_CHECK(text == files.archive || text == files.manifest || text == files.digest ||
               text == files.signature);
    size_t separator = name.rfind('_');
    FUZZ_CHECK(separator != std::string::npos);
    auto ref = pot::image::make_image_ref(name.substr(0, separator), name.substr(separator + 1));
    FUZZ_CHECK(ref.name() == name);
  }
  return 0;
}
