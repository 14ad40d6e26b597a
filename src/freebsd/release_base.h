// A base from a FreeBSD release, as the original's `pot create-base -r 14.1` makes one: the
// release's base.txz, checked against the release's MANIFEST, unpacked into the base's root.
// There is no download: both files must be in POT_CACHE already, under the original's cache
// names, `14.1-RELEASE_base.txz` and `14.1-RELEASE_MANIFEST` (a release candidate keeps its
// own name: `13.0-RC1_base.txz`).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "core/settings.h"

namespace pot::freebsd {

// The release's full name: "14.1" is "14.1-RELEASE"; "13.0-RC1" (or -BETA2) stays as it is.
// Throws Error on anything but `MAJOR.MINOR` with an optional `-RCn`/`-BETAn`/`-RELEASE`.
std::string release_name(const std::string& release);

struct ReleaseFiles {
  std::filesystem::path archive;   // POT_CACHE/<name>_base.txz
  std::filesystem::path manifest;  // POT_CACHE/<name>_MANIFEST
};
ReleaseFiles release_files(const Settings& settings, const std::string& release);

// The SHA-256 a FreeBSD MANIFEST gives for `file` (lines `file<TAB>sha256<TAB>...`).
// Throws Error naming `manifest_name` when the file is not listed or its digest is malformed.
std::string manifest_sha256(std::string_view manifest, const std::string& file,
                            const std::string& manifest_name);

// Checks the release's base.txz against its MANIFEST, then unpacks it into the existing
// directory `target` with the safe extractor. Throws Error naming the file and the reason
// (not in the cache, digest mismatch, a bad archive); `target` is then partly filled.
void unpack_release_base(const Settings& settings, const std::string& release,
                         const std::filesystem::path& target);

}  // namespace pot::freebsd
