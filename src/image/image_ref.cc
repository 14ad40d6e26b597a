#include "image/image_ref.h"

#include <initializer_list>

#include "core/names.h"

namespace pot::image {
namespace {

constexpr std::string_view kArchiveSuffix = ".tar.zst";
constexpr std::string_view kManifestSuffix = ".manifest.json";
constexpr std::string_view kDigestSuffix = ".sha256";
constexpr std::string_view kSignatureSuffix = ".sha256.sig";

}  // namespace

ImageFiles::ImageFiles(const std::string& name)
    : archive(name + std::string(kArchiveSuffix)),
      manifest(name + std::string(kManifestSuffix)),
      signature(name + std::string(kSignatureSuffix)),
      digest(name + std::string(kDigestSuffix)) {}

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

std::string image_name_of(std::string_view file_name) {
  for (std::string_view suffix :
       {kArchiveSuffix, kManifestSuffix, kDigestSuffix, kSignatureSuffix}) {
    if (file_name.size() <= suffix.size() || !file_name.ends_with(suffix)) continue;
    std::string_view name = file_name.substr(0, file_name.size() - suffix.size());
    if (is_image_name(name)) return std::string(name);
  }
  return "";
}

bool is_image_file_name(std::string_view file_name) {
  return !image_name_of(file_name).empty();
}

}  // namespace pot::image
