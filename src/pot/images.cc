#include "pot/images.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <iostream>
#include <optional>

#include "core/error.h"
#include "core/file_util.h"
#include "core/interrupt.h"
#include "core/names.h"
#include "core/unique_fd.h"
#include "image/archive_writer.h"
#include "image/digest.h"
#include "image/http_client.h"
#include "image/image_ref.h"
#include "image/manifest.h"
#include "image/original_image.h"
#include "image/progress.h"
#include "image/registry_index.h"
#include "image/safe_extract.h"
#include "image/signing.h"
#include "image/zstd_stream.h"
#include "net/port_spec.h"
#include "pot/leftovers.h"
#include "pot/lifecycle.h"
#include "pot/network.h"
#include "pot/run_state.h"
#include "pot/settings_ops.h"

namespace pot {
namespace {

using image::ImageRef;
using image::Manifest;
using image::Payload;

// What an imported pot records about its image: which image, and the id of the key whose
// signature was checked (none: no key was asked for), so that prepare with a required key
// refuses an image pot no such check made.
constexpr const char* kImageKey = "pot.image";
constexpr const char* kImageSignerKey = "pot.image.signer";

// Limits on what an image's small files may be before we look at them.
constexpr uint64_t kMaxSmallFile = 1 << 20;

constexpr std::string_view kAttrPrefix = "pot.attr.";

// A pot.export.ports value with the host ports left out: they belong to the host it ran on.
std::string pot_side_of_ports(const std::string& value) {
  auto exports = net::parse_port_exports(value);
  for (auto& port : exports) port.host_port.reset();
  return net::format_port_exports(exports);
}

// The attributes about a pot's inside travel; those deciding what a host does with the pot
// (boot, pruning) belong to that host.
bool attribute_travels(std::string_view attr) {
  return attr == "persistent" || attr == "no-rc-script" || attr == "no-tmpfs" ||
         attr == "no-etc-hosts";
}

bool travels_with_image(const std::string& key) {
  if (key.rfind(kAttrPrefix, 0) == 0) return attribute_travels(key.substr(kAttrPrefix.size()));
  // osrelease: the release of the userland inside, which a FreeBSD jail reports.
  return key == "pot.cmd" || key == "pot.env" || key == "pot.export.ports" || key == "osrelease";
}

// The settings an image carries: the pot's command, environment, the attributes about its
// inside, and the pot side of its exported ports. Host ports belong to the host it ran on,
// and the network type too: an image must not choose the host's network.
std::vector<std::pair<std::string, std::string>> travelling_settings(const PotConf& conf) {
  std::vector<std::pair<std::string, std::string>> settings;
  for (const auto& [key, value] : conf.entries()) {
    if (!travels_with_image(key)) continue;
    settings.emplace_back(key, key == "pot.export.ports" ? pot_side_of_ports(value) : value);
  }
  return settings;
}

// Checks an image's settings (which come from the network) before they reach a pot.conf.
void apply_image_settings(const Manifest& manifest, PotConf& conf) {
  for (const auto& [key, value] : manifest.settings) {
    if (!travels_with_image(key))
      throw Error("manifest: setting " + quote_name(key) + " cannot travel with an image");
    if (key.rfind(kAttrPrefix, 0) == 0) {
      conf.set_attr(key.substr(kAttrPrefix.size()), parse_bool(value));
    } else if (key == "pot.export.ports") {
      conf.set(key, pot_side_of_ports(value));
    } else if (key == "pot.env") {
      if (value.find('=') == std::string::npos || value.find('\n') != std::string::npos)
        throw Error("manifest: environment entry " + quote_name(value) + " is not NAME=VALUE");
      conf.add(key, value);
    } else {
      if (value.find('\n') != std::string::npos)
        throw Error("manifest: " + quote_name(key) + " spans lines");
      conf.set(key, value);
    }
  }
}

std::string last_or_new_snapshot(Context& ctx, const std::string& pot) {
  auto snapshots = list_snapshots(ctx, pot);
  if (!snapshots.empty()) return snapshots.back();
  return snapshot_pot(ctx, pot);
}

void remove_file_if_present(const fs::path& path) {
  std::error_code ec;
  fs::remove(path, ec);
}

// The public key an import checks signatures with, when any.
fs::path signature_key(const Context& ctx, const ImportOptions& options) {
  if (!options.public_key.empty()) return options.public_key;
  return ctx.settings().signature_pubkey;
}

// What an imported pot records as the key its image was checked with: a pot key's id, or for
// a signify key (the original's images are signed with signify) `signify:` and 16 hex digits
// of the SHA-256 of its key line, so that prepare can tell the two kinds of keys apart.
std::string key_identity(const fs::path& key) {
  constexpr std::string_view kSignifyComment = "untrusted comment:";
  std::string text = read_file(key);
  if (text.rfind(kSignifyComment, 0) != 0) return image::public_key_id(key);
  size_t start = text.find('\n');
  std::string key_line = start == std::string::npos ? "" : text.substr(start + 1);
  key_line = key_line.substr(0, key_line.find('\n'));
  image::Sha256 digest;
  digest.update(key_line.data(), key_line.size());
  return "signify:" + digest.hex_digest().substr(0, 16);
}

// A small file at `url`, or nothing when there is none (404).
std::optional<std::string> fetch_small_file_if_any(const std::string& url) {
  try {
    return image::fetch_to_string(url, kMaxSmallFile);
  } catch (const image::HttpStatusError& e) {
    if (e.status() == 404) return std::nullopt;
    throw;
  }
}

// The image's digest file, fetched fresh each time (it is small, and it is what says whether
// the cached files are still the image the registry holds); nothing when the source has none.
std::optional<std::string> fetch_digest_file(const ImageRef& ref, const std::string& url) {
  return fetch_small_file_if_any(image::join_url(url, ref.digest_file()));
}

void verify_signature(const ImageRef& ref, const std::string& url, const fs::path& key,
                      const std::string& digest_text) {
  std::string signature;
  try {
    signature = image::fetch_to_string(image::join_url(url, ref.signature_file()), kMaxSmallFile);
  } catch (const image::HttpStatusError& e) {
    if (e.status() != 404) throw;
    throw Error("image " + quote_name(ref.name()) + " is not signed, and a signature by " +
                quote_name(key.string()) + " is required");
  }
  with_context("image " + quote_name(ref.name()),
               [&] { image::verify_message(key, digest_text, signature); });
}

// Downloads `file` from the image source `url` to `destination`, with a progress bar when
// asked for; a missing file is named as the image's.
void download_image_file(const std::string& url, const std::string& file,
                         const fs::path& destination, uint64_t max_bytes, bool show_progress) {
  image::FetchOptions fetch;
  fetch.max_bytes = max_bytes;
  std::optional<image::ProgressBar> bar;
  if (show_progress) {
    bar.emplace("fetching " + file, 0);
    fetch.progress = [&](uint64_t done, uint64_t total) {
      throw_if_interrupted();
      if (total != 0) bar->set_total(total);
      bar->update(done);
    };
  }
  try {
    image::fetch_to_file(image::join_url(url, file), destination, fetch);
  } catch (const image::HttpStatusError& e) {
    if (e.status() == 404)
      throw Error("image file " + quote_name(file) + " not found at " + quote_name(url));
    throw;
  }
}

// Makes `file` in the cache the one the digest list names: kept when it already is,
// downloaded otherwise. A file that fails the check is removed.
void cache_image_file(const std::string& url, const fs::path& cache_dir, const std::string& file,
                      const std::vector<image::DigestEntry>& digests, uint64_t max_bytes,
                      bool show_progress) {
  fs::path cached = cache_dir / file;
  if (fs::exists(cached)) {
    try {
      image::verify_file_digest(digests, cache_dir, file);
      return;
    } catch (const Error&) {
      remove_file_if_present(cached);  // another image under the same name: fetch it again
    }
  }
  download_image_file(url, file, cached, max_bytes, show_progress);
  try {
    image::verify_file_digest(digests, cache_dir, file);
  } catch (...) {
    remove_file_if_present(cached);
    throw;
  }
}

PotConf imported_pot_conf(const Manifest& manifest, const std::string& signer) {
  PotConf conf = new_pot_conf("single", /*base=*/"");
  conf.set("network_type", "none");
  conf.set("vnet", "true");
  conf.set(kImageKey, manifest.pot + ":" + manifest.tag);
  if (!signer.empty()) conf.set(kImageSignerKey, signer);
  apply_image_settings(manifest, conf);
  return conf;
}

// The image pot prepare clones: an imported image, and with a required key, one whose
// signature that key checked at import.
void require_image_pot(Context& ctx, const std::string& imported, const fs::path& key) {
  PotConf conf = ctx.load_conf(imported);
  if (!conf.has(kImageKey))
    throw Error("pot " + quote_name(imported) + " exists but is not an imported image");
  if (key.empty()) return;
  std::string wanted = key_identity(key);
  if (conf.get_or(kImageSignerKey, "") != wanted)
    throw Error("image pot " + quote_name(imported) + " was imported without checking a " +
                "signature by " + quote_name(key.string()) + " (key " + wanted +
                "): destroy it and prepare again");
}

// True when the pot's last run ended less than `seconds` ago (its .last_run_stats).
bool ended_recently(const Context& ctx, const std::string& pot, int seconds) {
  struct stat st {};
  fs::path stats = ctx.settings().jail_dir(pot) / "conf" / ".last_run_stats";
  return ::stat(stats.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime < seconds;
}

// An image's manifest says how much it unpacks to; refusing one that cannot fit beats
// filling the pool and failing half-way (and bounds what an unsigned manifest can claim).
uint64_t free_bytes(const fs::path& dir) {
  struct statvfs fs_stats {};
  if (::statvfs(dir.c_str(), &fs_stats) != 0) throw_sys("checking free space on " + dir.string());
  return static_cast<uint64_t>(fs_stats.f_bavail) * fs_stats.f_frsize;
}

void require_free_space(const Settings& s, const std::string& name, const Manifest& manifest) {
  struct stat cache {
  }, jails{};
  bool same_fs = ::stat(s.cache_dir().c_str(), &cache) == 0 &&
                 ::stat(s.jails_dir().c_str(), &jails) == 0 && cache.st_dev == jails.st_dev;
  uint64_t jails_free = free_bytes(s.jails_dir());
  uint64_t needed = manifest.unpacked_size;
  if (same_fs && manifest.archive_size <= UINT64_MAX - needed) needed += manifest.archive_size;
  if (needed > jails_free)
    throw Error("image " + quote_name(name) + " needs " + image::human_bytes(needed) +
                ", more than the " + image::human_bytes(jails_free) + " free in " +
                quote_name(s.jails_dir().string()));
  uint64_t cache_free = same_fs ? jails_free : free_bytes(s.cache_dir());
  if (manifest.archive_size > cache_free)
    throw Error("image " + quote_name(name) + " is " + image::human_bytes(manifest.archive_size) +
                ", more than the " + image::human_bytes(cache_free) + " free in " +
                quote_name(s.cache_dir().string()));
}

// Export writes each file under a hidden name (a creation name: `.creating.<pid>.<start>.`)
// and renames them all into place at the end, the digest list last, so a failed or
// interrupted export never leaves a new archive beside an old digest list. Files of an
// export that was killed are removed by the next export into the directory.
//
// The cleanup and the publication hold a lock on the directory itself (as the index writer
// does, one after the other), so two exports into one directory publish whole images, one
// after the other. "Killed" is judged by process id on this host: a directory shared with
// other hosts (NFS) is not supported.
class ExportFiles {
 public:
  explicit ExportFiles(fs::path dir) : dir_(std::move(dir)) {
    FileLock lock = FileLock::acquire_directory(dir_);
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir_, ec)) {
      auto creation = parse_creation_entry(entry.path().filename().string());
      if (creation && !creation->creator_alive) remove_file_if_present(entry.path());
    }
    // Temporary files of a killed export's writers: the staged archive's and the index's.
    // Only names pot makes: the directory may hold the user's own `*.tmp.*` files.
    remove_abandoned_temp_files(dir_, "..creating.");
    remove_abandoned_temp_files(dir_, "index.json.tmp.");
  }
  ~ExportFiles() {
    for (const auto& [file, hidden] : staged_) remove_file_if_present(hidden);
  }
  ExportFiles(const ExportFiles&) = delete;
  ExportFiles& operator=(const ExportFiles&) = delete;

  fs::path stage(const std::string& file) {
    fs::path hidden = creation_path(dir_, file);
    staged_.emplace_back(file, hidden);
    return hidden;
  }
  // Renames the staged files into place in the order they were staged; `obsolete` (a
  // signature of the image this one replaces) goes just before the last file, so that a
  // failure before then leaves the old image whole.
  void publish(const fs::path& obsolete) {
    FileLock lock = FileLock::acquire_directory(dir_);
    for (auto it = staged_.begin(); it != staged_.end(); it = staged_.erase(it)) {
      if (std::next(it) == staged_.end() && !obsolete.empty()) remove_file_if_present(obsolete);
      if (::rename(it->second.c_str(), (dir_ / it->first).c_str()) != 0)
        throw_sys("publishing " + quote_name((dir_ / it->first).string()));
    }
  }

 private:
  fs::path dir_;
  std::vector<std::pair<std::string, fs::path>> staged_;
};

// An image pot's conf/ as this host makes it: `conf` alone. A received stream brings the
// exporting host's conf/ (its network, its mounts, its run records), none of which is ours.
// The stream comes from an image: conf/ may be anything there, a symlink out of the pot too,
// so it is looked at without following links and made anew.
void replace_conf_dir(const fs::path& conf_dir, const PotConf& conf) {
  remove_tree(conf_dir);  // a symlink goes itself, never what it points to
  if (::mkdir(conf_dir.c_str(), 0755) != 0) throw_sys("creating " + quote_name(conf_dir.string()));
  conf.save(conf_dir / "pot.conf");
}

// Receives a pot's datasets from the stream `write_stream` writes into a pipe (the storage's
// `zfs receive`) under a hidden name, gives it the conf `make_conf` makes from what arrived
// (the received conf/ directory), and renames it into place as the pot `name`; on failure
// (or interruption) the hidden datasets go again, and after a kill the next command's sweep
// of abandoned pots removes them.
void receive_pot(Context& ctx, const std::string& name,
                 const std::function<void(int write_fd)>& write_stream,
                 const std::function<PotConf(const fs::path& received_conf_dir)>& make_conf) {
  const Settings& s = ctx.settings();
  fs::path tmp = creation_path(s.jails_dir(), name);
  try {
    with_context("receiving image " + quote_name(name), [&] {
      image::pipe_through(write_stream, [&](int fd) { ctx.storage().receive(fd, tmp); });
    });
    throw_if_interrupted();
    replace_conf_dir(tmp / "conf", make_conf(tmp / "conf"));
    move_pot_into_place(ctx, tmp, s.jail_dir(name));
  } catch (...) {
    ctx.storage().destroy(tmp);
    throw;
  }
}

// Unpacks the verified archive into a hidden creation directory and renames it into place
// as the pot `name`; on failure (or interruption) the directory goes again. A zfs-send
// image is received by the storage instead (the caller checked that it can).
void unpack_image(Context& ctx, const std::string& name, const Manifest& manifest,
                  const std::string& signer, const fs::path& archive) {
  const Settings& s = ctx.settings();
  PotConf conf = imported_pot_conf(manifest, signer);
  if (manifest.payload == Payload::kZfsSend) {
    // The manifest is covered by the digest: a stream longer than it says stops there.
    receive_pot(
        ctx, name,
        [&](int fd) { image::decompress_zstd_to_fd(archive, fd, manifest.unpacked_size); },
        [&](const fs::path&) { return conf; });
    return;
  }
  fs::path tmp = creation_path(s.jails_dir(), name);
  try {
    ctx.storage().create_jail_dir(tmp);
    if (::mkdir((tmp / "conf").c_str(), 0755) != 0) throw_sys("creating the pot's conf");
    conf.save(tmp / "conf" / "pot.conf");
    ctx.storage().create(tmp / "m");
    ExtractOptions extract;
    // The manifest is covered by the digest: an archive unpacking to more than it says
    // is a decompression bomb (or a lie), and stops at that size. What the manifest itself
    // may claim is bounded by the free space (above) and the extractor's entry limit.
    extract.max_total_bytes = manifest.unpacked_size;
    extract.max_entries = std::min(manifest.entries, extract.max_entries);
    image::ProgressBar bar("unpacking " + name, manifest.unpacked_size);
    extract.progress = [&](uint64_t bytes) {
      throw_if_interrupted();
      bar.update(bytes);
    };
    with_context("unpacking image " + quote_name(name),
                 [&] { extract_archive(archive.string(), (tmp / "m").string(), extract); });
    throw_if_interrupted();
    move_pot_into_place(ctx, tmp, s.jail_dir(name));
  } catch (...) {
    ctx.storage().destroy(tmp);
    throw;
  }
}

// The pot's datasets at `snapshot` as the storage's replication stream (`zfs send -R`),
// zstd-compressed into `archive` as they come.
image::ArchiveWriteResult write_stream_archive(Storage& storage, const fs::path& pot_dir,
                                               const std::string& snapshot, const fs::path& archive,
                                               const image::ArchiveWriteOptions& write) {
  image::StreamCompressResult sent;
  image::pipe_through(
      [&](int fd) { storage.send(pot_dir, snapshot, fd); },
      [&](int fd) { sent = image::compress_fd_to_file(fd, archive, write.level, write.progress); });
  image::ArchiveWriteResult written;
  written.unpacked_bytes = sent.raw_bytes;
  written.compressed_bytes = sent.compressed_bytes;
  written.sha256 = sent.sha256;
  return written;
}

}  // namespace

ExportResult export_pot(Context& ctx, const ExportOptions& options) {
  ImageRef ref = image::make_image_ref(options.pot, options.tag);
  if (options.level < 1 || options.level > 19)
    throw Error("compression level -l " + std::to_string(options.level) + ": expected 1 to 19");
  ctx.storage().ensure_ready();
  ctx.require_pot(options.pot);
  PotConf conf = ctx.load_conf(options.pot);
  if (conf.get_or("pot.type", "single") != "single")
    throw Error("pot " + quote_name(options.pot) + " is a multi pot: only single pots export");
  if (!fs::is_directory(options.dir))
    throw Error("export directory " + quote_name(options.dir.string()) + " does not exist");
  // The key is checked (mode, format) before any work, not after the archive is written.
  if (!options.secret_key.empty()) image::sign_message(options.secret_key, "");

  InterruptScope interrupt_scope;
  std::string snapshot = last_or_new_snapshot(ctx, options.pot);
  fs::path pot_dir = ctx.settings().jail_dir(options.pot);
  ExportFiles files(options.dir);
  fs::path archive = files.stage(ref.archive_file());

  image::ArchiveWriteOptions write;
  write.level = options.level;
  image::ProgressBar bar("exporting " + ref.name(), 0);
  write.progress = [&](uint64_t bytes) {
    throw_if_interrupted();
    bar.update(bytes);
  };
  // Where the storage has replication streams (ZFS), the image is the stream, as the
  // original's export is: the pot's datasets whole, with their snapshot, received as they were.
  Payload payload = ctx.storage().has_streams() ? Payload::kZfsSend : Payload::kTar;
  image::ArchiveWriteResult written = with_context("exporting pot " + quote_name(options.pot), [&] {
    if (payload == Payload::kZfsSend)
      return write_stream_archive(ctx.storage(), pot_dir, snapshot, archive, write);
    return image::write_tree_archive(ctx.storage().snapshot_root(pot_dir, snapshot), archive,
                                     write);
  });

  Manifest manifest;
  manifest.pot = ref.pot;
  manifest.tag = ref.tag;
  manifest.created = static_cast<int64_t>(std::time(nullptr));
  manifest.archive_file = ref.archive_file();
  manifest.payload = payload;
  manifest.archive_size = written.compressed_bytes;
  manifest.unpacked_size = written.unpacked_bytes;
  manifest.entries = written.entries;
  manifest.settings = travelling_settings(conf);
  std::string manifest_text = manifest.to_json();
  write_file_atomic(files.stage(ref.manifest_file()), manifest_text);

  image::Sha256 manifest_digest;
  manifest_digest.update(manifest_text.data(), manifest_text.size());
  std::string digest_text = image::format_digest_list(
      {{written.sha256, ref.archive_file()}, {manifest_digest.hex_digest(), ref.manifest_file()}});
  // Signature before digest file: a reader who sees the new digest file sees its signature.
  if (!options.secret_key.empty())
    write_file_atomic(files.stage(ref.signature_file()),
                      image::sign_message(options.secret_key, digest_text));
  write_file_atomic(files.stage(ref.digest_file()), digest_text);
  throw_if_interrupted();
  // Without -S, an older signature of this name signed another image.
  files.publish(options.secret_key.empty() ? options.dir / ref.signature_file() : fs::path());
  image::write_registry_index(options.dir);
  return ExportResult{ref.name(), snapshot};
}

namespace {
// The parts of an import that run with the image pot's lock held: our image, whose digest
// file is `digest_text`, and the original pot's image (returns the pot's name).
void fetch_and_unpack(Context& ctx, const ImportOptions& options, const ImageRef& ref,
                      const fs::path& key, const std::string& digest_text);
std::string import_original_image(Context& ctx, const ImportOptions& options, const ImageRef& ref,
                                  const fs::path& key);
}  // namespace

std::string import_image(Context& ctx, const ImportOptions& options) {
  ImageRef ref = image::make_image_ref(options.pot, options.tag);
  std::string name = ref.name();
  validate_name("pot", name);
  image::check_url(options.url);
  fs::path key = signature_key(ctx, options);
  if (!key.empty() && !fs::exists(key))
    throw Error("public key " + quote_name(key.string()) + " does not exist");
  ctx.storage().ensure_ready();
  const Settings& s = ctx.settings();

  InterruptScope interrupt_scope;
  // The image's name is locked for the whole import, so two prepares of one image (a job
  // with several allocations on this host) fetch and unpack it once.
  FileLock lock = lock_new_pot(s, name);
  if (ctx.pot_exists(name)) {
    if (options.reuse_existing) return name;  // imported meanwhile, by a parallel prepare
    throw Error("pot " + quote_name(name) + " already exists");
  }
  std::string imported = name;
  try {
    if (auto digest_text = fetch_digest_file(ref, options.url)) {
      fetch_and_unpack(ctx, options, ref, key, *digest_text);
    } else {
      // No image of ours: the source may hold the original pot's files (NAME_TAG.xz...).
      imported = import_original_image(ctx, options, ref, key);
    }
  } catch (...) {
    // No pot came of it: its lock file goes too, while we hold it (as destroy does).
    if (!ctx.pot_exists(name)) remove_pot_lock_file(s, name);
    throw;
  }
  if (imported != name) remove_pot_lock_file(s, name);  // the pot has another name
  return imported;
}

namespace {

void fetch_and_unpack(Context& ctx, const ImportOptions& options, const ImageRef& ref,
                      const fs::path& key, const std::string& digest_text) {
  const Settings& s = ctx.settings();
  std::string name = ref.name();
  remove_abandoned_pots(ctx, name);

  auto digests = with_context("image " + quote_name(name) + ": digest file",
                              [&] { return image::parse_digest_list(digest_text); });
  std::string signer;
  if (!key.empty()) {
    verify_signature(ref, options.url, key, digest_text);
    signer = image::public_key_id(key);
  }

  // Both files are checked against the digest list before anything reads them.
  make_dirs(s.cache_dir(), 0700);
  bool tty = ::isatty(STDOUT_FILENO) == 1;
  try {
    cache_image_file(options.url, s.cache_dir(), ref.manifest_file(), digests, kMaxSmallFile,
                     /*show_progress=*/false);
    Manifest manifest = with_context("image " + quote_name(name), [&] {
      return Manifest::parse(read_file(s.cache_dir() / ref.manifest_file()));
    });
    if (manifest.pot != ref.pot || manifest.tag != ref.tag)
      throw Error("image " + quote_name(name) + ": its manifest names " +
                  quote_name(manifest.pot + "_" + manifest.tag));
    if (manifest.payload == Payload::kZfsSend && !ctx.storage().has_streams())
      throw Error("image " + quote_name(name) + " holds a ZFS stream: it imports on FreeBSD only");
    // Before the download: what the manifest claims must fit (the archive in the cache, the
    // files in the pool), which also bounds what an unsigned manifest can make us write.
    require_free_space(s, name, manifest);
    cache_image_file(options.url, s.cache_dir(), ref.archive_file(), digests, manifest.archive_size,
                     tty);
    unpack_image(ctx, name, manifest, signer, s.cache_dir() / ref.archive_file());
  } catch (...) {
    // An image that cannot be imported is not worth keeping, even when its digests match.
    remove_file_if_present(s.cache_dir() / ref.archive_file());
    remove_file_if_present(s.cache_dir() / ref.manifest_file());
    throw;
  }
}

// The conf of a pot received from the original's image: what travels of that pot's own
// pot.conf (its command, environment, the attributes about its inside, its release), on this
// host's defaults, as for our images. The received file is the image's: read only when it is
// a small regular file, never through a symlink.
PotConf original_image_pot_conf(const ImageRef& ref, const fs::path& received_conf_dir,
                                const std::string& signer) {
  Manifest manifest;
  manifest.pot = ref.pot;
  manifest.tag = ref.tag;
  fs::path file = received_conf_dir / "pot.conf";
  struct stat st {};
  if (::lstat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
      static_cast<uint64_t>(st.st_size) <= kMaxSmallFile)
    manifest.settings = travelling_settings(PotConf::load(file));
  return with_context("image " + quote_name(ref.name()) + ": its pot.conf",
                      [&] { return imported_pot_conf(manifest, signer); });
}

// Fetches the original's files of image `ref` into the cache (the .skein, whose text is at
// hand; the .meta, empty when missing as in the original; the .sig when a key asks for one;
// the .xz, kept from an earlier fetch while it still matches), checks them, and receives the
// stream as the pot `name`, as the original's `xzcat NAME_TAG.xz | zfs receive -x encryption
// P/jails/NAME_TAG` does. On failure the files go from the cache.
void fetch_and_receive_original(Context& ctx, const ImportOptions& options, const ImageRef& ref,
                                const fs::path& key, const std::string& name,
                                const std::string& skein_text) {
  const Settings& s = ctx.settings();
  remove_abandoned_pots(ctx, name);
  make_dirs(s.cache_dir(), 0700);
  image::OriginalImageFiles files = image::original_image_files(s.cache_dir(), ref.pot, ref.tag);
  fs::path signature = files.skein.string() + ".sig";
  auto source_of = [&](const fs::path& cached) {
    return image::join_url(options.url, cached.filename().string());
  };
  std::optional<fs::path> public_key;
  if (!key.empty()) public_key = key;
  try {
    write_file_atomic(files.skein, skein_text);
    remove_file_if_present(signature);  // an earlier fetch's: only the source's counts
    files.signature.reset();
    if (public_key) {
      if (auto text = fetch_small_file_if_any(source_of(signature))) {
        write_file_atomic(signature, *text);
        files.signature = signature;
      }
    }
    std::optional<std::string> meta = fetch_small_file_if_any(source_of(files.meta));
    if (meta) {
      write_file_atomic(files.meta, *meta);
    } else {
      remove_file_if_present(files.meta);
    }
    // Refused before the download; the skein check covers the .meta, but a refusal needs none.
    if (auto origin = image::parse_original_meta(meta.value_or("")))
      throw Error("image " + quote_name(ref.name()) + " is a clone of image " +
                  quote_name(origin->pot + ":" + origin->tag) +
                  ": the original pot's layered images are not supported");
    bool cached = false;
    if (fs::exists(files.xz)) {
      try {
        image::verify_original_image(files, public_key);
        cached = true;
      } catch (const Error&) {
        remove_file_if_present(files.xz);  // another image under the same name: fetch it
      }
    }
    if (!cached) {
      download_image_file(options.url, files.xz.filename().string(), files.xz, UINT64_MAX,
                          ::isatty(STDOUT_FILENO) == 1);
      image::verify_original_image(files, public_key);
    }
    std::string signer = public_key ? key_identity(key) : "";
    receive_pot(
        ctx, name, [&](int fd) { image::decompress_xz_to_fd(files.xz, fd); },
        [&](const fs::path& conf_dir) { return original_image_pot_conf(ref, conf_dir, signer); });
  } catch (...) {
    for (const fs::path& file : {files.xz, files.meta, files.skein, signature})
      remove_file_if_present(file);
    throw;
  }
}

std::string import_original_image(Context& ctx, const ImportOptions& options, const ImageRef& ref,
                                  const fs::path& key) {
  const Settings& s = ctx.settings();
  std::string xz_file = ref.name() + ".xz";
  std::optional<std::string> skein =
      fetch_small_file_if_any(image::join_url(options.url, xz_file + ".skein"));
  if (!skein)
    throw Error("image " + quote_name(ref.name()) + " not found at " + quote_name(options.url) +
                " (no " + ref.digest_file() + ", nor the original pot's " + xz_file + ".skein)");
  if (!ctx.storage().has_streams())
    throw Error("image " + quote_name(ref.name()) + " at " + quote_name(options.url) +
                " is the original pot's, a ZFS stream: it imports on FreeBSD only");

  // The original's name for it: NAME_TAG with dots made underscores. The caller holds the
  // lock of ref.name(); a second lock, always taken after that one, covers this name.
  std::string name = image::original_imported_pot_name(ref.pot, ref.tag);
  validate_name("pot", name);
  FileLock lock;
  if (name != ref.name()) lock = lock_new_pot(s, name);
  if (ctx.pot_exists(name)) {
    bool same_image = ctx.load_conf(name).get_or(kImageKey, "") == ref.pot + ":" + ref.tag;
    if (options.reuse_existing && same_image) return name;
    throw Error("pot " + quote_name(name) + " already exists");
  }
  try {
    fetch_and_receive_original(ctx, options, ref, key, name, *skein);
  } catch (...) {
    if (!ctx.pot_exists(name)) remove_pot_lock_file(s, name);
    throw;
  }
  return name;
}

}  // namespace

std::string prepare_pot(Context& ctx, const PrepareOptions& options, int* exit_code) {
  ImageRef ref = image::make_image_ref(options.image.pot, options.image.tag);
  if (options.allocation.empty()) throw Error("an allocation id (-a) is required");
  // The image pot: ours is NAME_TAG; one of the original's images is imported as NAME_TAG
  // with dots made underscores, as the original names it.
  std::string imported = ref.name();
  std::string original = image::original_imported_pot_name(ref.pot, ref.tag);
  // (`web_1_0` may also be our image of pot `web_1` at tag `0`: its pot.image tells.)
  if (!ctx.pot_exists(imported) && ctx.pot_exists(original) &&
      ctx.load_conf(original).get_or(kImageKey, "") == ref.pot + ":" + ref.tag)
    imported = original;
  auto clone_name = [&] {
    return (options.name.empty() ? imported : options.name) + "_" + options.allocation;
  };
  validate_name("pot", clone_name());
  for (const auto& spec : options.ports) net::PortExport::parse(spec);  // bad -e: fail early
  if (ctx.pot_exists(clone_name()))
    throw Error("pot " + quote_name(clone_name()) + " already exists");

  if (!ctx.pot_exists(imported)) {
    ImportOptions import = options.image;
    import.reuse_existing = true;  // another prepare of the same image may be first
    imported = import_image(ctx, import);
  }
  require_image_pot(ctx, imported, signature_key(ctx, options.image));
  std::string name = clone_name();
  validate_name("pot", name);
  if (ctx.pot_exists(name)) throw Error("pot " + quote_name(name) + " already exists");

  CloneNetwork network = options.network;
  if (network.type.empty()) network.type = "none";
  std::string command = options.command.empty() ? "" : checked_command(options.command);
  // Everything prepare sets goes into the clone's pot.conf before the clone is in place:
  // the pot appears prepared in one step, or not at all.
  clone_pot(ctx, imported, name, network, [&](PotConf& conf) {
    conf.remove(kImageKey);
    conf.remove(kImageSignerKey);
    conf.set_attr("persistent", false);
    conf.set_attr("no-rc-script", true);
    conf.set_attr("prunable", true);
    if (!command.empty()) conf.set("pot.cmd", command);
    std::vector<std::string> ports = options.ports;
    if (ports.empty() && is_bridge_network(network.type)) {
      // The image's ports, which name no host port: pick free ones on this host.
      for (const auto& port : net::parse_port_exports(conf.get_or("pot.export.ports", "")))
        ports.push_back(port.str());
    }
    if (!ports.empty()) assign_exported_ports(ctx, name, conf, ports);
  });
  try {
    if (options.start) {
      int code = start_pot(ctx, name);
      if (exit_code != nullptr) *exit_code = code;
    }
  } catch (...) {
    // Nothing half-prepared stays: the caller (the driver) sees the error and no pot.
    try {
      destroy_pot(ctx, name, /*force=*/true);
    } catch (const Error& cleanup) {
      std::fprintf(stderr, "pot: removing %s again: %s\n", quote_name(name).c_str(),
                   cleanup.what());
    }
    throw;
  }
  return name;
}

std::vector<std::string> prune_pots(Context& ctx, const PruneOptions& options) {
  std::vector<std::string> pruned;
  for (const auto& pot : list_pots(ctx)) {
    // As the original: only pots that ran (start marks a prunable pot to-be-pruned), so a
    // pot prepared and not yet started is kept.
    std::optional<PotConf> conf;
    try {
      conf = ctx.load_conf(pot);
    } catch (const Error&) {
      if (!ctx.pot_exists(pot)) continue;  // destroyed meanwhile (another prune)
      throw;
    }
    if (!conf->attr("prunable", false) || !conf->attr("to-be-pruned", false)) continue;
    bool running = false;
    try {
      running = refresh_pot_state(ctx, pot);
    } catch (const Error&) {
      if (!ctx.pot_exists(pot)) continue;  // destroyed by another prune while we waited
      throw;
    }
    if (running) continue;
    if (options.grace_seconds > 0 && ended_recently(ctx, pot, options.grace_seconds)) continue;
    if (!options.dry_run) {
      try {
        destroy_pot(ctx, pot, /*force=*/false);
      } catch (const Error& e) {
        // Destroyed by another prune, or started again meanwhile: not an error of prune's.
        if (!ctx.pot_exists(pot) || refresh_pot_state(ctx, pot)) continue;
        throw;
      }
    }
    pruned.push_back(pot);
  }
  return pruned;
}

}  // namespace pot
