#include "image/registry_index.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <system_error>
#include <tuple>

#include "core/error.h"
#include "core/file_util.h"
#include "core/lock.h"
#include "core/unique_fd.h"
#include "image/digest.h"
#include "image/image_ref.h"
#include "image/manifest.h"

namespace pot::image {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kDigestSuffix = ".sha256";
constexpr const char* kIndexFile = "index.json";

std::optional<struct stat> stat_regular(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return st;
}

// The index entry for the image whose digest file is `<name>.sha256`, or nullopt when the
// image is incomplete or broken (a half-pushed or damaged image is not offered).
std::optional<IndexEntry> complete_image(const std::filesystem::path& dir,
                                         const std::string& name) {
  try {
    Manifest manifest = Manifest::parse(read_file(dir / (name + ".manifest.json")));
    ImageRef ref = make_image_ref(manifest.pot, manifest.tag);
    if (ref.name() != name) return std::nullopt;
    auto archive = stat_regular(dir / ref.archive_file());
    if (!archive || static_cast<uint64_t>(archive->st_size) != manifest.archive_size)
      return std::nullopt;
    auto digests = parse_digest_list(read_file(dir / ref.digest_file()));
    for (const auto& file : {ref.archive_file(), ref.manifest_file()}) {
      if (std::none_of(digests.begin(), digests.end(),
                       [&](const DigestEntry& entry) { return entry.file == file; }))
        return std::nullopt;
    }
    IndexEntry entry;
    entry.pot = manifest.pot;
    entry.tag = manifest.tag;
    entry.created = manifest.created;
    entry.size = manifest.archive_size;
    entry.is_signed = stat_regular(dir / ref.signature_file()).has_value();
    return entry;
  } catch (const Error&) {
    return std::nullopt;
  }
}

[[noreturn]] void fail(const std::string& reason) {
  throw Error("registry index: " + reason);
}

}  // namespace

std::vector<IndexEntry> scan_registry_dir(const std::filesystem::path& dir) {
  std::vector<IndexEntry> entries;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    std::string file = it->path().filename().string();
    if (!file.ends_with(kDigestSuffix) || !is_image_file_name(file)) continue;
    if (auto entry = complete_image(dir, file.substr(0, file.size() - kDigestSuffix.size())))
      entries.push_back(std::move(*entry));
  }
  if (ec)
    throw Error("reading registry directory " + quote_name(dir.string()) + ": " + ec.message(),
                ec.value());
  std::sort(entries.begin(), entries.end(), [](const IndexEntry& a, const IndexEntry& b) {
    return std::tie(a.pot, a.tag) < std::tie(b.pot, b.tag);
  });
  return entries;
}

std::string format_index(const std::vector<IndexEntry>& entries) {
  Json images = Json::array();
  for (const auto& entry : entries) {
    images.push_back({{"pot", entry.pot},
                      {"tag", entry.tag},
                      {"created", entry.created},
                      {"size", entry.size},
                      {"signed", entry.is_signed}});
  }
  // Names are checked ASCII (make_image_ref), so dump cannot meet invalid UTF-8.
  return Json{{"images", std::move(images)}}.dump(2) + "\n";
}

std::vector<IndexEntry> parse_index(std::string_view text) {
  try {
    Json json = Json::parse(text);
    if (!json.is_object()) fail("not a JSON object");
    auto images = json.find("images");
    if (images == json.end() || !images->is_array()) fail("`images` is not an array");
    std::vector<IndexEntry> entries;
    for (size_t i = 0; i < images->size(); ++i) {
      const Json& image = (*images)[i];
      std::string where = "image " + std::to_string(i + 1) + ": ";
      if (!image.is_object()) fail(where + "not an object");
      auto get = [&](const char* key) -> const Json& {
        auto it = image.find(key);
        if (it == image.end()) fail(where + "no field `" + key + "`");
        return *it;
      };
      const Json& pot = get("pot");
      const Json& tag = get("tag");
      const Json& created = get("created");
      const Json& size = get("size");
      const Json& is_signed = get("signed");
      if (!pot.is_string() || !tag.is_string()) fail(where + "`pot` or `tag` is not a string");
      // The client makes file names and URLs of these.
      ImageRef ref = with_context("registry index: " + where.substr(0, where.size() - 2), [&] {
        return make_image_ref(pot.get<std::string>(), tag.get<std::string>());
      });
      if (!created.is_number_integer() ||
          (created.is_number_unsigned() && created.get<uint64_t>() > INT64_MAX))
        fail(where + "`created` is not an integer");
      if (!size.is_number_unsigned()) fail(where + "`size` is not a non-negative integer");
      if (!is_signed.is_boolean()) fail(where + "`signed` is not true or false");
      IndexEntry entry;
      entry.pot = std::move(ref.pot);
      entry.tag = std::move(ref.tag);
      entry.created = created.get<int64_t>();
      entry.size = size.get<uint64_t>();
      entry.is_signed = is_signed.get<bool>();
      entries.push_back(std::move(entry));
    }
    return entries;
  } catch (const Json::parse_error& e) {
    fail("not valid JSON (at byte " + std::to_string(e.byte) + ")");
  } catch (const Json::exception& e) {
    fail(e.what());
  }
}

void write_registry_index(const std::filesystem::path& dir) {
  // Two writers (an export and the server after a push) must not interleave a scan with the
  // other's rename, or the older scan could win.
  FileLock lock = FileLock::acquire_directory(dir, "registry directory");
  // 0644: the web server serving the directory may run as another user.
  write_file_atomic(dir / kIndexFile, format_index(scan_registry_dir(dir)), 0644);
}

}  // namespace pot::image
