#include "freebsd/release_base.h"

#include <algorithm>
#include <cctype>
#include <regex>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "image/digest.h"
#include "image/safe_extract.h"

namespace pot::freebsd {

std::string release_name(const std::string& release) {
  static const std::regex kRelease(
      R"([0-9]{1,3}\.[0-9]{1,3}(-(RELEASE|RC[0-9]{1,2}|BETA[0-9]{1,2}))?)");
  if (!std::regex_match(release, kRelease)) {
    throw Error("invalid FreeBSD release " + quote_name(release) +
                ": expected MAJOR.MINOR, e.g. 14.1 or 14.2-RC1");
  }
  // share/pot/common.sh _get_freebsd_release_name: a candidate keeps its name.
  return release.find('-') == std::string::npos ? release + "-RELEASE" : release;
}

ReleaseFiles release_files(const Settings& settings, const std::string& release) {
  std::string name = release_name(release);
  return {settings.cache_pot / (name + "_base.txz"), settings.cache_pot / (name + "_MANIFEST")};
}

std::string manifest_sha256(std::string_view manifest, const std::string& file,
                            const std::string& manifest_name) {
  std::istringstream lines{std::string(manifest)};
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(file + "\t", 0) != 0) continue;
    size_t start = file.size() + 1;
    size_t end = line.find('\t', start);
    std::string digest = line.substr(start, end == std::string::npos ? end : end - start);
    bool hex =
        digest.size() == 64 && std::all_of(digest.begin(), digest.end(),
                                           [](unsigned char c) { return std::isxdigit(c) != 0; });
    if (!hex) {
      throw Error(quote_name(manifest_name) + ": the SHA-256 of " + quote_name(file) +
                  " is not 64 hex digits");
    }
    std::transform(digest.begin(), digest.end(), digest.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return digest;
  }
  throw Error(quote_name(manifest_name) + " does not list " + quote_name(file));
}

void unpack_release_base(const Settings& settings, const std::string& release,
                         const fs::path& target) {
  ReleaseFiles files = release_files(settings, release);
  for (const fs::path& file : {files.archive, files.manifest}) {
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) {
      throw Error(quote_name(file.string()) + " is missing: put the release's " +
                  (file == files.archive ? "base.txz" : "MANIFEST") +
                  " there (pot does not download it)");
    }
  }
  std::string expected =
      manifest_sha256(read_file(files.manifest), "base.txz", files.manifest.string());
  std::string actual = image::sha256_file(files.archive);
  if (actual != expected) {
    throw Error(quote_name(files.archive.string()) + ": SHA-256 mismatch with " +
                quote_name(files.manifest.string()) + " (expected " + expected + ", got " + actual +
                ")");
  }
  // A base system has setuid programs (su, passwd) and no device nodes (devfs makes /dev).
  ExtractOptions options;
  options.keep_setuid = true;
  with_context("unpacking " + quote_name(files.archive.string()),
               [&] { extract_archive(files.archive.string(), target.string(), options); });
}

}  // namespace pot::freebsd
