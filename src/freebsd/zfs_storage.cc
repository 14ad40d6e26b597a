// The ZFS backend. Each operation is one or a few `zfs` commands, the ones the original pot
// runs (share/pot/init.sh, create.sh, snapshot.sh, revert.sh, destroy.sh, export.sh,
// import.sh), so an admin who knows the original sees the same datasets and snapshots:
//   P             mountpoint=POT_FS_ROOT, canmount=off (nothing is stored in P itself)
//   P/bases/B     a base; P/jails/NAME and P/jails/NAME/m a pot and its root
//   P/fscomp      kept for the original's layout; P/cache mounted at POT_CACHE
// A pot's snapshots are `zfs snapshot -r P/jails/NAME@<epoch>`, so they cover every dataset
// of the pot at once; rollback, send and receive work on that whole tree.
//
// Two things differ from the Linux backends, where a dataset is just a directory:
//  - a dataset is a mount, so a directory the pot layer made and filled before asking for the
//    dataset (its hidden work directory, with conf/ in it) would be hidden under the new
//    mount: its entries are carried into the dataset (copied: it is another filesystem);
//  - a clone depends on its origin snapshot, so destroying a dataset that has clones first
//    promotes them (the clone takes over the snapshots it needs), as `zfs promote` exists for.
#include "freebsd/zfs_storage.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <ctime>
#include <sstream>

#include "core/copy_tree.h"
#include "core/error.h"
#include "core/file_util.h"
#include "freebsd/command_stream.h"

namespace pot::freebsd {
namespace {

constexpr size_t kMaxDatasetName = 255;  // ZFS_MAX_DATASET_NAME_LEN less its terminator
constexpr std::string_view kCloneSnapshotPrefix = "pot-clone-";

using Argv = std::vector<std::string>;

fs::path without_trailing_slash(fs::path path) {
  path = path.lexically_normal();
  if (!path.has_filename() && path.has_relative_path()) path = path.parent_path();
  return path;
}

// ZFS takes letters, digits and `_ - . :` in a component; `.` and `..` alone are refused.
bool is_valid_component(const std::string& component) {
  if (component.empty() || component == "." || component == "..") return false;
  return std::all_of(component.begin(), component.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '_' || c == '-' || c == '.' || c == ':';
  });
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

bool is_number(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(),
                                      [](unsigned char c) { return std::isdigit(c) != 0; });
}

// Whether `dataset` is `tree` or inside it.
bool is_within(const std::string& dataset, const std::string& tree) {
  return dataset == tree || dataset.rfind(tree + "/", 0) == 0;
}

// A snapshot name for a clone that no other clone, in this process or another, takes.
std::string clone_snapshot_name() {
  static std::atomic<unsigned> sequence{0};
  return std::string(kCloneSnapshotPrefix) + std::to_string(std::time(nullptr)) + "-" +
         std::to_string(::getpid()) + "-" + std::to_string(sequence++);
}

class ZfsStorage : public Storage {
 public:
  ZfsStorage(const Settings& settings, SystemCommands& commands, StreamRunner run_stream)
      : settings_(settings),
        root_(without_trailing_slash(settings.fs_root)),
        commands_(commands),
        run_stream_(run_stream ? std::move(run_stream) : StreamRunner(run_streaming)) {}

  std::string name() const override { return "zfs"; }

  // share/pot/init.sh: the root dataset, then its children, each only when missing.
  void init() override {
    const std::string& pool = settings_.zfs_root;
    if (!exists(pool)) {
      commands_.check({"zfs", "create", "-o", "mountpoint=" + root_.string(), "-o", "canmount=off",
                       "-o", "compression=lz4", "-o", "atime=off", pool});
    }
    make_dirs(root_);  // canmount=off: nothing is mounted at the root itself
    for (const char* child : {"bases", "jails", "fscomp"}) {
      std::string dataset = pool + "/" + child;
      if (!exists(dataset)) commands_.check({"zfs", "create", dataset});
    }
    std::string cache = pool + "/cache";
    if (!exists(cache)) {
      commands_.check({"zfs", "create", "-o", "mountpoint=" + settings_.cache_pot.string(), "-o",
                       "compression=off", cache});
    }
    // bases/ and jails/ are the datasets' mountpoints now; run/, bridges/ and cache/ are
    // plain directories on whatever holds the root.
    make_private_dirs(settings_);
  }

  void ensure_ready() override {
    if (!exists(settings_.zfs_root)) {
      throw Error("POT_ZFS_ROOT " + quote_name(settings_.zfs_root) +
                  " is not initialised: run `pot init`");
    }
  }

  void deinit() override {
    if (exists(settings_.zfs_root)) commands_.check({"zfs", "destroy", "-r", settings_.zfs_root});
  }

  // share/pot/create.sh: `zfs create P/jails/NAME`, then `zfs create P/jails/NAME/m`.
  void create(const fs::path& path) override {
    std::string dataset = dataset_of(path);
    create_parent(path);
    make_over_directory(path, [&] { commands_.check({"zfs", "create", dataset}); });
  }

  // The original's multi pots receive a copy of their base's datasets (`zfs send | zfs
  // receive`) so that a base can go while pots made from it stay. A clone is fine here: the
  // pot layer refuses to destroy a base a pot uses, and destroy() promotes the clones of a
  // pot that is cloned, so no dataset outlives what it depends on; and a clone costs no copy.
  void clone(const fs::path& source, const fs::path& target, bool read_only) override {
    std::string origin = dataset_of(source);
    std::string dataset = dataset_of(target);
    create_parent(target);
    std::string snapshot = origin + "@" + clone_snapshot_name();
    commands_.check({"zfs", "snapshot", snapshot});
    Argv argv{"zfs", "clone"};
    if (read_only) argv.insert(argv.end(), {"-o", "readonly=on"});
    argv.insert(argv.end(), {snapshot, dataset});
    try {
      make_over_directory(target, [&] { commands_.check(argv); });
    } catch (...) {
      commands_.run({"zfs", "destroy", snapshot});  // nothing depends on it yet
      throw;
    }
  }

  // share/pot/destroy.sh: `zfs destroy -r -f P/jails/NAME`, then `rm -rf` of the directory.
  void destroy(const fs::path& path) override {
    std::string dataset = dataset_of(path);
    CommandResult tree = commands_.run({"zfs", "list", "-H", "-r", "-o", "name,origin", dataset});
    if (tree.exit_code == 0) {
      promote_dependent_clones(dataset);
      commands_.check({"zfs", "destroy", "-r", "-f", dataset});
      remove_clone_snapshots(dataset, tree.out);
    }
    remove_tree(path);
  }

  bool is_dataset(const fs::path& path) const override { return exists(dataset_of(path)); }

  // The original's P/jails/<pot>: a dataset holding conf/ and the pot's own datasets.
  void create_jail_dir(const fs::path& path) override { create(path); }

  void rename(const fs::path& from, const fs::path& to) override {
    std::string dataset = dataset_of(from);
    std::string target = dataset_of(to);
    if (exists(dataset)) {
      commands_.check({"zfs", "rename", dataset, target});  // the mountpoint follows
      return;
    }
    if (::rename(from.c_str(), to.c_str()) != 0)
      throw_sys("renaming " + quote_name(from.string()) + " to " + quote_name(to.string()));
  }

  // share/pot/common.sh _pot_zfs_snap: `zfs snapshot -r P/jails/NAME@<epoch>`.
  void snapshot(const fs::path& pot_dir, const std::string& name) override {
    commands_.check({"zfs", "snapshot", "-r", snapshot_of(pot_dir, name)});
  }

  // share/pot/common.sh _zfs_last_snap lists `-d 1 -t snapshot` and takes the greatest name;
  // ours are sorted by number too (epoch seconds), so the last is the newest. The snapshots
  // that clone() takes (pot-clone-*) are not the pot's.
  std::vector<std::string> snapshots(const fs::path& pot_dir) const override {
    std::string dataset = dataset_of(pot_dir);
    std::string out =
        commands_.check({"zfs", "list", "-H", "-t", "snapshot", "-o", "name", "-d", "1", dataset});
    std::vector<std::string> names;
    for (const std::string& line : lines_of(out)) {
      size_t at = line.find('@');
      if (at == std::string::npos || line.substr(0, at) != dataset) continue;
      std::string name = line.substr(at + 1);
      if (is_number(name)) names.push_back(name);
    }
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    return names;
  }

  // share/pot/common.sh _remove_oldest_pot_snap: `zfs destroy -r P/jails/NAME@S`.
  void destroy_snapshot(const fs::path& pot_dir, const std::string& name) override {
    commands_.check({"zfs", "destroy", "-r", snapshot_of(pot_dir, name)});
  }

  // share/pot/revert.sh rolls back each dataset of the pot, children first (`sort -r`),
  // skipping those without a snapshot. Ours names the snapshot, so the datasets are those
  // that have it (a dataset made after the snapshot has nothing to go back to); `-r` drops
  // newer snapshots, as rolling back past them requires.
  void rollback(const fs::path& pot_dir, const std::string& name) override {
    std::string dataset = dataset_of(pot_dir);
    std::string out =
        commands_.check({"zfs", "list", "-H", "-r", "-t", "snapshot", "-o", "name", dataset});
    std::vector<std::string> targets;
    for (const std::string& line : lines_of(out)) {
      size_t at = line.find('@');
      if (at != std::string::npos && line.substr(at + 1) == name) targets.push_back(line);
    }
    if (targets.empty()) {
      throw Error("snapshot " + quote_name(name) + " of " + quote_name(pot_dir.string()) +
                  " does not exist");
    }
    // By dataset name, greatest first: a child's name extends its parent's, so it comes
    // first (comparing whole lines would not do: `@` sorts after `/`).
    auto dataset_part = [](const std::string& snapshot) {
      return std::string_view(snapshot).substr(0, snapshot.find('@'));
    };
    std::sort(targets.begin(), targets.end(), [&](const std::string& a, const std::string& b) {
      return dataset_part(a) > dataset_part(b);
    });
    for (const std::string& target : targets) commands_.check({"zfs", "rollback", "-r", target});
  }

  fs::path snapshot_root(const fs::path& pot_dir, const std::string& name) const override {
    return pot_dir / "m" / ".zfs" / "snapshot" / name;
  }

  bool has_streams() const override { return true; }

  // share/pot/export.sh: `zfs send -R P/jails/NAME@S`.
  void send(const fs::path& pot_dir, const std::string& snapshot, int fd) override {
    Argv argv{"zfs", "send", "-R", snapshot_of(pot_dir, snapshot)};
    check_result(argv, run_stream_(argv, -1, fd));
  }

  // share/pot/import.sh: `zfs receive -x encryption P/jails/NAME` (the pool's encryption
  // setting, not the sender's). A stream is untrusted input: beyond the original, it is
  // received unmounted (-u) without the sender's mountpoint, canmount, setuid, devices and
  // exec (a stream carrying mountpoint=/etc must not mount over the host's), only a pot's
  // datasets are accepted in it, and only then is it mounted.
  void receive(int fd, const fs::path& pot_dir) override {
    std::string dataset = dataset_of(pot_dir);
    Argv argv{"zfs",      "receive", "-u",     "-x", "encryption", "-x", "mountpoint", "-x",
              "canmount", "-x",      "setuid", "-x", "devices",    "-x", "exec",       dataset};
    make_over_directory(pot_dir, [&] {
      check_result(argv, run_stream_(argv, fd, -1));
      std::vector<std::string> received;
      std::istringstream lines(
          commands_.check({"zfs", "list", "-H", "-r", "-o", "name,type", dataset}));
      for (std::string name, type; lines >> name >> type;) {
        if ((name != dataset && name != dataset + "/m") || type != "filesystem")
          throw Error("the stream received as " + quote_name(dataset) + " holds " +
                      quote_name(name) + " (" + type + "): a pot's stream holds its dataset and m");
        received.push_back(name);
      }
      for (const auto& name : received) commands_.check({"zfs", "mount", name});
    });
  }

 private:
  // The dataset at `path`: the same relative name under POT_ZFS_ROOT as `path` has under
  // POT_FS_ROOT.
  std::string dataset_of(const fs::path& path) const {
    fs::path normal = without_trailing_slash(path);
    fs::path relative = normal.lexically_relative(root_);
    if (!normal.is_absolute() || relative.empty() || *relative.begin() == "..") {
      throw Error(quote_name(path.string()) + " is not under POT_FS_ROOT " +
                  quote_name(root_.string()));
    }
    std::string dataset = settings_.zfs_root;
    if (relative == ".") return dataset;
    for (const auto& part : relative) {
      if (!is_valid_component(part.string())) {
        throw Error(quote_name(path.string()) + " has no valid ZFS dataset name: " +
                    quote_name(part.string()) + " is not a dataset name component");
      }
      dataset += "/" + part.string();
    }
    if (dataset.size() > kMaxDatasetName) {
      throw Error(quote_name(path.string()) + ": the dataset name " + quote_name(dataset) +
                  " is longer than ZFS allows");
    }
    return dataset;
  }

  std::string snapshot_of(const fs::path& pot_dir, const std::string& name) const {
    if (!is_valid_component(name))
      throw Error("invalid snapshot name " + quote_name(name) + " of " +
                  quote_name(pot_dir.string()));
    return dataset_of(pot_dir) + "@" + name;
  }

  // share/pot/common.sh _zfs_dataset_valid: `zfs list -o name -H DS`.
  bool exists(const std::string& dataset) const {
    return commands_.succeeds({"zfs", "list", "-o", "name", "-H", dataset});
  }

  // A pot's or base's own dataset (jails/NAME, bases/NAME) holds its other datasets; the
  // original makes it first. Those directly under the root's children are made by init.
  void create_parent(const fs::path& path) {
    fs::path parent = without_trailing_slash(path).parent_path();
    fs::path relative = parent.lexically_relative(root_);
    auto depth = std::distance(relative.begin(), relative.end());
    std::string top = relative.empty() ? "" : relative.begin()->string();
    if (depth < 2 || (top != "jails" && top != "bases")) return;
    if (!exists(dataset_of(parent))) create(parent);
  }

  // Runs `make`, which mounts a new dataset at `path`. A directory already at `path` with
  // entries in it would be hidden under the mount: the entries are moved aside first and
  // copied in after (the dataset is another filesystem), or put back when `make` fails.
  template <typename Make>
  void make_over_directory(const fs::path& path, Make&& make) {
    std::error_code ec;
    if (!fs::is_directory(path, ec) || fs::is_empty(path, ec)) {
      make();
      return;
    }
    fs::path aside = path;
    aside += ".carry";
    if (::rename(path.c_str(), aside.c_str()) != 0)
      throw_sys("moving " + quote_name(path.string()) + " aside");
    try {
      make();
    } catch (...) {
      ::rmdir(path.c_str());  // an empty mountpoint the failed command may have left
      ::rename(aside.c_str(), path.c_str());
      throw;
    }
    make_dirs(path);  // the mountpoint, there already when the dataset is mounted
    copy_tree(AT_FDCWD, aside.string(), AT_FDCWD, path.string());
    remove_tree(aside);
  }

  // Clones of the snapshots in `dataset`'s tree that live elsewhere (another pot cloned from
  // this one) would block its destroy: each is promoted, taking over the snapshot it needs.
  void promote_dependent_clones(const std::string& dataset) {
    std::string out =
        commands_.check({"zfs", "list", "-H", "-r", "-t", "snapshot", "-o", "clones", dataset});
    for (const std::string& line : lines_of(out)) {
      std::istringstream clones(line);
      for (std::string clone; std::getline(clones, clone, ',');) {
        if (clone.empty() || clone == "-" || is_within(clone, dataset)) continue;
        commands_.check({"zfs", "promote", clone});
      }
    }
  }

  // The snapshots clone() took of other datasets for the clones just destroyed: nothing
  // depends on them any more. `listing` is `zfs list -o name,origin` of the tree. Best effort:
  // one another clone now depends on (after a promote) stays.
  void remove_clone_snapshots(const std::string& dataset, const std::string& listing) {
    for (const std::string& line : lines_of(listing)) {
      size_t tab = line.find('\t');
      if (tab == std::string::npos) continue;
      std::string origin = line.substr(tab + 1);
      size_t at = origin.find('@');
      if (at == std::string::npos || is_within(origin.substr(0, at), dataset)) continue;
      if (origin.compare(at + 1, kCloneSnapshotPrefix.size(), kCloneSnapshotPrefix) != 0) continue;
      commands_.run({"zfs", "destroy", origin});
    }
  }

  Settings settings_;
  fs::path root_;
  SystemCommands& commands_;
  StreamRunner run_stream_;
};

}  // namespace

std::unique_ptr<Storage> make_zfs_storage(const Settings& settings, SystemCommands& commands,
                                          StreamRunner run_stream) {
  return std::make_unique<ZfsStorage>(settings, commands, std::move(run_stream));
}

}  // namespace pot::freebsd
