// Datasets: the directories that hold bases, pots' roots and their snapshots. A backend makes
// them cheap (btrfs subvolumes and snapshots) or plain (dir: real copies). Paths are host
// paths under POT_FS_ROOT; callers never care which backend made them.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

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
  // A pot's own directory, jails/<pot>, which holds its conf/ and its datasets: a plain
  // directory (btrfs, dir), or a dataset of its own (ZFS, the original's P/jails/<pot>).
  virtual void create_jail_dir(const std::filesystem::path& path);
  // Moves a dataset (and what is under it) to a new path in the same root: rename(2) of a
  // directory or subvolume, `zfs rename` of a dataset (whose mountpoint follows).
  virtual void rename(const std::filesystem::path& from, const std::filesystem::path& to) = 0;

  // Snapshots of a pot: `pot_dir` is jails/<pot>, and a snapshot covers its writable
  // datasets (btrfs: the one under it, kept in snap/<name>; ZFS: `zfs snapshot -r`, as the
  // original). Names are seconds since the epoch, as the original's.
  virtual void snapshot(const std::filesystem::path& pot_dir, const std::string& name) = 0;
  // Oldest first; a snapshot being taken (or abandoned by a kill) is not listed.
  virtual std::vector<std::string> snapshots(const std::filesystem::path& pot_dir) const = 0;
  virtual void destroy_snapshot(const std::filesystem::path& pot_dir, const std::string& name) = 0;
  // Puts the pot's writable datasets back to the snapshot, atomically: at every moment the
  // pot has a whole root (btrfs: a clone swapped in with RENAME_EXCHANGE; ZFS: rollback).
  virtual void rollback(const std::filesystem::path& pot_dir, const std::string& name) = 0;
  // A read-only directory with the snapshot's root filesystem (what `pot export` packs):
  // btrfs snap/<name>; ZFS the `.zfs/snapshot/<name>` of the pot's m.
  virtual std::filesystem::path snapshot_root(const std::filesystem::path& pot_dir,
                                              const std::string& name) const = 0;

  // Replication streams (`zfs send -R` / `zfs receive`), where the backend has them: the
  // pot's datasets at the snapshot, written to `fd`; and a pot's datasets made at `pot_dir`
  // from a stream read from `fd`. Backends without streams throw Error.
  virtual bool has_streams() const { return false; }
  virtual void send(const std::filesystem::path& pot_dir, const std::string& snapshot, int fd);
  virtual void receive(int fd, const std::filesystem::path& pot_dir);
};

// bases/, jails/, cache/, bridges/ and run/ under the root, mode 0700 (also when they exist):
// a pot's root runs as host uid 0, so a setuid file made inside it must be out of reach of
// the host's other users.
void make_private_dirs(const Settings& settings);

// The backend POT_STORAGE names.
std::unique_ptr<Storage> make_storage(const Settings& settings);

}  // namespace pot
