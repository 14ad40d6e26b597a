#include "image/image_ref.h"

#include <array>

#include "core/names.h"

namespace pot::image {

std::vector<std::string> ImageRef::files_in_publish_order() const {
  return {archive_file(), manifest_file(), signature_file(), digest_file()};
}

ImageRef make_image_ref(std::string_view pot, std::string_view tag) {
  validate_name("pot", pot);
  // A tag becomes part of file names and URLs exactly like a pot name, so it obeys the same
  // rules.
  validate_name("image tag", tag);
  return ImageRef{std::string(pot), std::string(tag)};
}

namespace {

// Pot names and tags may both contain `_`, so `<pot>_<tag>` can split in more than one
// place; a name is an image name if any split gives two valid parts.
bool is_image_name(std::string_view name) {
  for (size_t pos = name.find('_'); pos != std::string_view::npos; pos = name.find('_', pos + 1)) {
    if (is_valid_name(name.substr(0, pos)) && is_valid_name(name.substr(pos + 1))) return true;
  }
  return false;
}

}  // namespace

bool is_image_file_name(std::string_view file_name) {
  static constexpr std::array<std::string_view, 4> kSuffixes = {".tar.zst", ".manifest.json",
                                                                ".sha256", ".sha256.sig"};
  for (std::string_view suffix : kSuffixes) {
    if (file_name.size() > suffix.size() && file_name.ends_with(suffix) &&
        is_image_name(file_name.substr(0, file_name.size() - suffix.size())))
      return true;
  }
  return false;
}

}  // namespace pot::image
