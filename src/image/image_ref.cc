#include "image/image_ref.h"

#include <initializer_list>

#include "core/error.h"
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
  // Pot names may contain `_`; tags may not, so `<pot>_<tag>` splits only at its last `_` and
  // pot `a` tag `b_c` cannot share its files with pot `a_b` tag `c`.
  if (tag.find('_') != std::string_view::npos)
    throw Error("invalid image tag name " + quote_name(tag) +
                ": contains `_`, which separates the pot name from the tag in image names");
  return ImageRef{std::string(pot), std::string(tag)};
}

namespace {

bool is_image_name(std::string_view name) {
  size_t separator = name.rfind('_');
  return separator != std::string_view::npos && is_valid_name(name.substr(0, separator)) &&
         is_valid_name(name.substr(separator + 1));
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
