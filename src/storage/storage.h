// Datasets: the directories that hold bases, pots' roots and their snapshots. A backend makes
// them cheap (btrfs subvolumes and snapshots) or plain (dir: real copies). Paths are host
// paths under POT_FS_ROOT; callers never care which backend made them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "core/settings.h"

namespace pot {

class Storage {
 public:
  virtual ~Storage() = default;
  virtual std::string name() const = 0;

  // `pot init`: make POT_FS_ROOT ready (for btrfs on a non-btrfs root: an image file,
  // formatted and loop-mounted on the root). Twice is harmless.
  virtual void init() = 0;
  // Re-attach after a reboot when needed; cheap when already ready. Throws when the root was
  // never initialised.
  virtual void ensure_ready() = 0;
  // `pot de-init`: undo init (the caller has removed pots and bases).
  virtual void deinit() = 0;

  virtual void create(const std::filesystem::path& dataset) = 0;
  // A writable (or read-only) copy of `source` at `target`: a snapshot where supported.
  virtual void clone(const std::filesystem::path& source, const std::filesystem::path& target,
                     bool read_only) = 0;
  // Removes a dataset and everything under it (nested datasets too). Missing is fine.
  virtual void destroy(const std::filesystem::path& dataset) = 0;
  virtual bool is_dataset(const std::filesystem::path& path) const = 0;
};

// bases/, jails/, cache/, bridges/ and run/ under the root, mode 0700 (also when they exist):
// a pot's root runs as host uid 0, so a setuid file made inside it must be out of reach of
// the host's other users.
void make_private_dirs(const Settings& settings);

// The backend POT_STORAGE names.
std::unique_ptr<Storage> make_storage(const Settings& settings);

}  // namespace pot
