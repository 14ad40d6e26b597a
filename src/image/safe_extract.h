// Extracting an untrusted tar archive (an image, a pot export) into a directory without letting
// any entry reach a file outside that directory.
//
// libarchive only parses the archive (every filter it can detect, tar/ustar/pax/GNU formats);
// the files are created by this module with fd-relative calls instead of archive_write_disk:
//  - an entry name is made relative (a leading `/` is dropped, as tar does) and refused if any
//    component is `..`;
//  - its parent is walked one component at a time from an fd of the target directory with
//    openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS), creating missing
//    directories on the way; a parent that is a symlink is refused, so a symlink entry can
//    point anywhere but nothing is ever written through it;
//  - the last component is created relative to that parent fd, never following a symlink
//    (O_CREAT|O_EXCL|O_NOFOLLOW, mkdirat, symlinkat, mknodat, linkat); an existing
//    non-directory of the same name is unlinked first, like tar does;
//  - a hard link's target is resolved the same way and must be a regular file inside the root;
//  - char/block devices are refused unless allowed; fifos are fine.
// Regular files get their data (sparse holes kept), numeric owner, mode and mtime through the
// open fd. Directories are created 0700 so the extraction can always write into them; their
// owner, mode and times are applied at the end, deepest first, since adding entries would change
// a directory's mtime and a read-only mode would block its children.
//
// A zstd archive (pot's images: a series of independent frames, or any single-frame file) is
// decompressed by libzstd on a thread of its own, which feeds libarchive the plain tar through a
// few buffers, so decompression and file writing overlap; a stream that is corrupt or ends
// inside a frame, even after the tar's last entry, is an error. Other compressions go through
// libarchive's filters.
//
// Ownership is applied when running as euid 0; otherwise a refused chown is ignored (tar's
// behaviour for unprivileged users).
//
// On any failure extract_archive throws pot::Error naming the archive and, where there is one,
// the entry; the target directory is then left partly filled and the caller removes it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace pot {

struct ExtractOptions {
  bool allow_device_nodes = false;         // char/block devices refused unless set (fifos ok)
  bool keep_setuid = true;                 // when false, setuid/setgid bits of files are dropped
  uint64_t max_total_bytes = 64ULL << 30;  // decompression-bomb guard: sum of regular file sizes
  uint64_t max_entries = 10'000'000;
  // Called between entries, every few MB of file data, with the bytes written so far. It may
  // throw (an interrupt): the extraction stops there like on any other error.
  std::function<void(uint64_t bytes)> progress;
};

struct ExtractStats {
  uint64_t entries = 0;  // archive entries processed
  uint64_t bytes = 0;    // sum of the (logical) sizes of the regular files written
};

// Extracts the tar archive at `archive_path`, compressed with anything libarchive detects (none,
// gzip, xz, zstd, bzip2, ...), into the existing directory `target_dir`. Throws pot::Error on a
// hostile entry, a corrupt or truncated archive, a limit exceeded or a system error; the caller
// then removes `target_dir`.
ExtractStats extract_archive(const std::string& archive_path, const std::string& target_dir,
                             const ExtractOptions& options = {});

}  // namespace pot
