// An image is named by the pot it was made from and a tag: `<pot>_<tag>`. The name becomes
// file names in a registry directory, in the cache and in URLs, so both parts are checked
// once, here, and the file names of an image are spelled only here.
//
//   <pot>_<tag>.tar.zst        the root filesystem, a zstd-compressed tar
//   <pot>_<tag>.manifest.json  what travels with it (see manifest.h)
//   <pot>_<tag>.sha256         SHA-256 of the two files above, `sha256sum` format
//   <pot>_<tag>.sha256.sig     optional: an ed25519 signature of the .sha256 file
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace pot::image {

// The files of the image named `name` (`<pot>_<tag>`).
struct ImageFiles {
  explicit ImageFiles(const std::string& name);
  std::string archive, manifest, signature, digest;
};

struct ImageRef {
  std::string pot;
  std::string tag;

  std::string name() const { return pot + "_" + tag; }
  std::string archive_file() const { return ImageFiles(name()).archive; }
  std::string manifest_file() const { return ImageFiles(name()).manifest; }
  std::string digest_file() const { return ImageFiles(name()).digest; }
  std::string signature_file() const { return ImageFiles(name()).signature; }
  // Every file of the image, in the order a publisher makes them visible: the digest file,
  // which names the others, comes after them (the signature, which is optional, before it).
  std::vector<std::string> files_in_publish_order() const;
};

// Throws Error("invalid image tag name `../x`: ...") (or "invalid pot name ...") unless pot is a
// valid pot name and tag is 1-64 characters of [A-Za-z0-9.-] not starting with a dot or a dash.
// A tag has no `_`, so an image name splits into pot and tag at its last `_`.
ImageRef make_image_ref(std::string_view pot, std::string_view tag);

// The image name `file_name` is a file of (`<name>.<suffix>` for one of the suffixes above,
// with a valid image name), or "" when it is none.
std::string image_name_of(std::string_view file_name);

// Whether `file_name` is one of an image's files (the registry server accepts uploads of
// nothing else).
bool is_image_file_name(std::string_view file_name);

}  // namespace pot::image
