// Pot images: `pot export`, `pot import`, `pot prepare` and `pot prune`, composed from
// image/ (archives, digests, signatures, HTTP) and the pot operations.
//
// An imported image is a pot named `<pot>_<tag>` that is never started: prepare clones it
// (a btrfs snapshot), as the original clones its received ZFS dataset. The downloaded files
// stay in $POT_FS_ROOT/cache, so a second import of the same image fetches nothing.
//
// Where the storage has replication streams (ZFS on FreeBSD), export writes the pot's
// `zfs send -R` stream as the image's payload (the manifest says "zfs-send"), and import
// receives it; a tar image imports there too, into new datasets. Import also takes the
// original pot's images (NAME_TAG.xz, .meta, .skein, .sig; docs/original-images.md) where
// the storage can receive them. Elsewhere both kinds of stream are refused in one line.
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "pot/context.h"
#include "pot/pots.h"

namespace pot {

struct ExportOptions {
  std::string pot;
  std::string tag;
  std::filesystem::path dir = ".";   // -D
  int level = 3;                     // -l: zstd level 1-19
  std::filesystem::path secret_key;  // -S: sign with this key
};

struct ExportResult {
  std::string image;     // <pot>_<tag>
  std::string snapshot;  // the snapshot it was made from
};

// Writes the image of the pot's last snapshot (taking one when it has none) into
// options.dir, and refreshes that directory's index.json. The files appear together at the
// end (the digest list last); a failed export leaves the directory as it was.
ExportResult export_pot(Context& ctx, const ExportOptions& options);

struct ImportOptions {
  std::string pot;
  std::string tag;
  std::string url;  // -U: the registry's base URL
  // -C; empty: POT_DEFAULT_SIGNATURE_PUBKEY, if set. A pot key for our images, a signify
  // public key for the original's.
  std::filesystem::path public_key;
  bool reuse_existing = false;  // an existing image pot is no error (prepare)
};

// Fetches (or takes from the cache), checks and unpacks the image into the pot
// `<pot>_<tag>`, and returns that name. When the source has no image of ours by that name
// but the original pot's files of it, they are checked (Skein-1024, and with a key its
// signify signature) and received as the pot the original names `<pot>_<tag>` with dots
// made underscores. Nothing is unpacked before the digest (and signature) checked out; on
// any failure no pot and no cache file that failed a check is left.
std::string import_image(Context& ctx, const ImportOptions& options);

struct PrepareOptions {
  ImportOptions image;             // -U -p -t -C
  std::string allocation;          // -a
  std::string name;                // -n; empty: the image's name
  std::string command;             // -c
  CloneNetwork network;            // -N (default none) -i -B
  std::vector<std::string> ports;  // -e
  bool start = false;              // -s
};

// The Nomad driver's one call: import unless already imported (with a required key, the
// imported pot must have been checked against it), clone to NAME_ALLOC, make it
// a non-persistent, prunable pot without rc script, set its command and ports, and with
// `start` run it (in the foreground, as a non-persistent pot runs). Returns the new pot's
// name, or with `start` the command's exit code through `exit_code`.
std::string prepare_pot(Context& ctx, const PrepareOptions& options, int* exit_code);

struct PruneOptions {
  bool dry_run = false;   // -n
  int grace_seconds = 0;  // -g: keep pots whose last run ended less than this ago
};

// `pot prune`: destroys stopped pots that are prunable and have run (start marks them
// to-be-pruned, as the original does); returns their names.
std::vector<std::string> prune_pots(Context& ctx, const PruneOptions& options);

}  // namespace pot
