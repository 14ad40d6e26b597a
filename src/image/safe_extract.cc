#include "image/safe_extract.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#if defined(__linux__)
#include <sys/sysmacros.h>  // makedev (FreeBSD: sys/types.h)
#endif
#include <unistd.h>
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include "core/error.h"
#include "core/open_beneath.h"
#include "core/unique_fd.h"
#include "runtime/root_path.h"

namespace pot {
namespace {

// Every lookup stays under its dirfd and never follows a symlink: a symlink in the tree is
// an entry like any other, not a way to somewhere else.
int open_strict(int dirfd, const std::string& path, int flags, mode_t mode = 0) {
  return open_beneath(dirfd, path.c_str(), flags, mode, Symlinks::kRefused);
}

struct ArchiveFree {
  void operator()(archive* a) const { archive_read_free(a); }
};

// zstd, the compression of pot images, decompressed on a thread of its own: libarchive's zstd
// filter would do it on the thread that writes the files, and it takes about half of that
// thread's time. The producer thread reads the file and decompresses it into a few fixed
// buffers; libarchive reads the plain tar from them through the callbacks below. Buffers go
// round: free -> filled by the producer -> queued -> held by libarchive until its next read
// -> free. A zstd error, a read error or input ending inside a frame is queued after the data
// decoded before it, so the tar reader sees it where it happens; stopping (the destructor)
// wakes and joins the producer whatever it is waiting for.
class ZstdSource {
 public:
  static constexpr size_t kBuffers = 4;
  static constexpr size_t kBufferSize = 1 << 20;
  // After the end of the tar, the rest of the stream is decoded to check that it is whole;
  // beyond this much the rest is ignored, so trailing data cannot make the check run long.
  static constexpr uint64_t kMaxTrailing = 16 << 20;

  // Reads `fd` (borrowed; kept open until this is destroyed) from its current offset.
  explicit ZstdSource(int fd) : fd_(fd), dctx_(ZSTD_createDCtx()) {
    if (!dctx_) throw Error("creating a zstd context: out of memory");
    // Default decoder limits stay: frames needing a window over 128 MiB are refused.
    for (size_t i = 0; i < kBuffers; ++i) {
      buffers_[i] = std::make_unique<char[]>(kBufferSize);
      free_.push_back(i);
    }
    try {
      thread_ = std::thread([this] { produce(); });
    } catch (const std::system_error& e) {
      throw Error(std::string("starting the decompression thread: ") + e.what(), e.code().value());
    }
  }
  ZstdSource(const ZstdSource&) = delete;
  ZstdSource& operator=(const ZstdSource&) = delete;
  ~ZstdSource() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

  // Hands the stream to `a`; this must outlive it.
  int open(archive* a) { return archive_read_open(a, this, nullptr, &read_cb, nullptr); }

  // Called once the tar reader reached the end of the archive: throws if the rest of the
  // zstd stream is corrupt or ends inside a frame.
  void finish() {
    std::unique_lock lock(mutex_);
    release_held();
    uint64_t trailing = 0;
    for (;;) {
      cv_.wait(lock, [&] { return !filled_.empty() || done_; });
      if (filled_.empty()) break;
      trailing += filled_.front().size;
      free_.push_back(filled_.front().index);
      filled_.pop_front();
      cv_.notify_all();
      if (trailing > kMaxTrailing) return;
    }
    if (!error_.empty())
      throw Error("corrupt or truncated archive at its end: " + error_, error_errno_);
  }

 private:
  struct DctxFree {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  struct Filled {
    size_t index;
    size_t size;
  };

  static la_ssize_t read_cb(archive* a, void* self, const void** out) {
    return static_cast<ZstdSource*>(self)->read(a, out);
  }

  // libarchive's read callback: the next block of tar, 0 at the end, -1 on error.
  la_ssize_t read(archive* a, const void** out) noexcept {
    std::unique_lock lock(mutex_);
    release_held();
    cv_.wait(lock, [&] { return !filled_.empty() || done_; });
    if (filled_.empty()) {
      if (error_.empty()) return 0;
      archive_set_error(a, error_errno_, "%s", error_.c_str());
      return -1;
    }
    Filled block = filled_.front();
    filled_.pop_front();
    held_ = static_cast<int>(block.index);
    *out = buffers_[block.index].get();
    return static_cast<la_ssize_t>(block.size);
  }

  // The buffer libarchive had may be reused once it asks for the next one. Needs mutex_.
  void release_held() {
    if (held_ < 0) return;
    free_.push_back(static_cast<size_t>(held_));
    held_ = -1;
    cv_.notify_all();
  }

  void produce() noexcept {
    try {
      decompress();
    } catch (const std::exception& e) {
      finish_producing(nullptr, 0, std::string("zstd: ") + e.what(), 0);
    }
  }

  void decompress() {
    std::vector<char> in_buf(ZSTD_DStreamInSize());
    ZSTD_inBuffer in{in_buf.data(), 0, 0};
    bool eof = false;
    size_t hint = 1;  // ZSTD_decompressStream's last result: 0 once a frame is complete
    for (;;) {
      size_t index;
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return !free_.empty() || stop_; });
        if (stop_) return;
        index = free_.front();
        free_.pop_front();
      }
      ZSTD_outBuffer out{buffers_[index].get(), kBufferSize, 0};
      while (out.pos < out.size) {
        if (in.pos == in.size && !eof) {
          ssize_t n = ::read(fd_, in_buf.data(), in_buf.size());
          if (n < 0) {
            int err = errno;
            if (err == EINTR) continue;
            return finish_producing(&index, out.pos, std::string("reading: ") + std::strerror(err),
                                    err);
          }
          in = {in_buf.data(), static_cast<size_t>(n), 0};
          eof = n == 0;
        }
        // The input may end only between frames.
        if (in.pos == in.size && eof && hint == 0) return finish_producing(&index, out.pos, "", 0);
        size_t before = out.pos;
        hint = ZSTD_decompressStream(dctx_.get(), &out, &in);
        if (ZSTD_isError(hint)) {
          return finish_producing(&index, out.pos, std::string("zstd: ") + ZSTD_getErrorName(hint),
                                  0);
        }
        // Without input and without output the frame cannot go on.
        if (eof && hint != 0 && out.pos == before)
          return finish_producing(&index, out.pos, "zstd: unexpected end of data", 0);
      }
      std::lock_guard lock(mutex_);
      filled_.push_back({index, out.pos});
      cv_.notify_all();
    }
  }

  // Queues the last (partly) filled buffer if any, then the end: clean when `error` is empty.
  void finish_producing(const size_t* index, size_t size, std::string error, int err) {
    {
      std::lock_guard lock(mutex_);
      if (index) {
        if (size > 0) {
          filled_.push_back({*index, size});
        } else {
          free_.push_back(*index);
        }
      }
      error_ = std::move(error);
      error_errno_ = err;
      done_ = true;
    }
    cv_.notify_all();
  }

  int fd_;
  std::unique_ptr<ZSTD_DCtx, DctxFree> dctx_;
  std::array<std::unique_ptr<char[]>, kBuffers> buffers_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<size_t> free_;
  std::deque<Filled> filled_;
  int held_ = -1;      // the buffer libarchive is reading from
  bool stop_ = false;  // the consumer is gone
  bool done_ = false;  // the producer queued its last buffer
  std::string error_;  // why the stream ended early, if it did
  int error_errno_ = 0;
  std::thread thread_;  // last: started once everything above exists
};

// A checked entry name: relative, without `.` or empty components, with no `..`.
struct EntryPath {
  std::vector<std::string> parents;
  std::string leaf;  // empty for the root itself (`./`)
  std::string rel;   // parents and leaf joined with `/`
  std::string parent_rel;
};

// Owner, mode and times of a directory, applied once everything inside it exists.
struct DirMeta {
  mode_t mode;
  uid_t uid;
  gid_t gid;
  timespec times[2];
};

class Extractor {
 public:
  Extractor(std::string archive_path, const ExtractOptions& options, int root_fd)
      : archive_path_(std::move(archive_path)),
        options_(options),
        root_fd_(root_fd),
        privileged_(::geteuid() == 0) {}

  ExtractStats run(archive* a);

 private:
  [[noreturn]] void fail(std::string_view reason, int err = 0) const {
    throw Error("entry " + quote_name(entry_name_) + ": " + std::string(reason), err);
  }
  [[noreturn]] void fail_sys(std::string_view what, int err = errno) const {
    fail(std::string(what) + ": " + std::strerror(err), err);
  }
  [[noreturn]] void fail_archive(archive* a) const {
    const char* msg = archive_error_string(a);
    fail(std::string("corrupt or truncated archive: ") + (msg ? msg : "unknown error"),
         archive_errno(a));
  }

  EntryPath parse(std::string_view name, std::string_view what = "name") const;
  int parent_fd(const EntryPath& path);
  void clear_leaf(int parent, const EntryPath& path);
  void check_owner_result(int rc) const;

  void extract_entry(archive* a, archive_entry* entry);
  void make_dir(archive_entry* entry, const EntryPath& path);
  void make_file(archive* a, archive_entry* entry, const EntryPath& path);
  void make_symlink(archive_entry* entry, const EntryPath& path);
  void make_hardlink(const char* target, const EntryPath& path);
  void make_node(archive_entry* entry, const EntryPath& path, mode_t type);
  void fix_directories();

  std::string archive_path_;
  const ExtractOptions& options_;
  int root_fd_;
  bool privileged_;

  std::string entry_name_;  // the current entry, as the archive spells it, for messages
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  timespec times_[2]{};  // atime, mtime of the current entry (UTIME_OMIT when not stored)
  ExtractStats stats_;

  // Archives list entries directory by directory, so the last parent is usually the next one.
  std::string cached_parent_;
  UniqueFd cached_parent_fd_;

  std::map<std::string, DirMeta> dirs_;
};

// `what` says which name it is in a message: the entry's own, or a hard link's target.
EntryPath Extractor::parse(std::string_view name, std::string_view what) const {
  EntryPath path;
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos <= name.size()) {
    size_t slash = name.find('/', pos);
    if (slash == std::string_view::npos) slash = name.size();
    std::string_view part = name.substr(pos, slash - pos);
    pos = slash + 1;
    // A leading `/` gives an empty first component: the name is read as relative, like tar.
    if (part.empty() || part == ".") continue;
    if (part == "..") fail(std::string(what) + " has a `..` component");
    parts.emplace_back(part);
  }
  if (parts.empty()) return path;
  path.leaf = std::move(parts.back());
  parts.pop_back();
  for (const std::string& part : parts) {
    if (!path.parent_rel.empty()) path.parent_rel += '/';
    path.parent_rel += part;
  }
  path.rel = path.parent_rel.empty() ? path.leaf : path.parent_rel + "/" + path.leaf;
  path.parents = std::move(parts);
  return path;
}

// Returns a borrowed O_PATH fd of the entry's parent directory, creating missing directories.
int Extractor::parent_fd(const EntryPath& path) {
  if (path.parents.empty()) return root_fd_;
  if (cached_parent_fd_ && cached_parent_ == path.parent_rel) return cached_parent_fd_.get();

  // Fast path: the whole parent already exists and has no symlink in it.
  UniqueFd dir(open_strict(root_fd_, path.parent_rel, O_PATH | O_DIRECTORY));
  if (!dir) {
    // Walk one component at a time to create what is missing and to say which one is wrong.
    std::string done;
    int at = root_fd_;
    for (const std::string& part : path.parents) {
      done += done.empty() ? part : "/" + part;
      UniqueFd next(open_strict(at, part, O_PATH | O_DIRECTORY));
      if (!next && errno == ENOENT) {
        if (::mkdirat(at, part.c_str(), 0755) != 0 && errno != EEXIST)
          fail_sys("creating parent directory " + quote_name(done));
        next.reset(open_strict(at, part, O_PATH | O_DIRECTORY));
      }
      if (!next) {
        if (errno == ELOOP) fail("parent " + quote_name(done) + " is a symlink");
        if (errno == ENOTDIR) fail("parent " + quote_name(done) + " is not a directory");
        fail_sys("opening parent directory " + quote_name(done));
      }
      dir = std::move(next);
      at = dir.get();
    }
  }
  cached_parent_ = path.parent_rel;
  cached_parent_fd_ = std::move(dir);
  return cached_parent_fd_.get();
}

// Makes room for a new entry: an existing non-directory goes, an empty directory too.
void Extractor::clear_leaf(int parent, const EntryPath& path) {
  struct stat st;
  if (::fstatat(parent, path.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return;
    fail_sys("checking for an existing " + quote_name(path.rel));
  }
  if (S_ISDIR(st.st_mode)) {
    if (::unlinkat(parent, path.leaf.c_str(), AT_REMOVEDIR) != 0)
      fail_sys("replacing directory " + quote_name(path.rel));
    // The cached parent might have been that directory, or below it.
    cached_parent_fd_.reset();
    cached_parent_.clear();
    return;
  }
  if (::unlinkat(parent, path.leaf.c_str(), 0) != 0)
    fail_sys("replacing existing " + quote_name(path.rel));
}

// Without privilege a chown to another owner is refused; tar then keeps the caller's ids.
void Extractor::check_owner_result(int rc) const {
  if (rc == 0) return;
  if (!privileged_ && (errno == EPERM || errno == EINVAL)) return;
  fail_sys("setting owner " + std::to_string(uid_) + ":" + std::to_string(gid_));
}

ExtractStats Extractor::run(archive* a) {
  constexpr uint64_t kProgressStep = 4 << 20;
  uint64_t reported_bytes = 0;
  for (;;) {
    archive_entry* entry = nullptr;
    int rc = archive_read_next_header(a, &entry);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
      const char* msg = archive_error_string(a);
      throw Error(std::string("corrupt or truncated archive") +
                      (entry_name_.empty() ? "" : " after entry " + quote_name(entry_name_)) +
                      ": " + (msg ? msg : "unknown error"),
                  archive_errno(a));
    }
    if (stats_.entries >= options_.max_entries)
      throw Error("archive has more than " + std::to_string(options_.max_entries) + " entries");
    ++stats_.entries;
    extract_entry(a, entry);
    if (options_.progress && stats_.bytes - reported_bytes >= kProgressStep) {
      reported_bytes = stats_.bytes;
      options_.progress(stats_.bytes);
    }
  }
  fix_directories();
  return stats_;
}

void Extractor::extract_entry(archive* a, archive_entry* entry) {
  const char* name = archive_entry_pathname(entry);
  if (!name) name = archive_entry_pathname_utf8(entry);
  entry_name_ = name ? name : "";
  if (!name) fail("name cannot be read");

  int64_t uid = archive_entry_uid(entry);
  int64_t gid = archive_entry_gid(entry);
  // (uid_t)-1 would mean "leave unchanged" to chown, so it is not a valid owner either.
  if (uid < 0 || uid >= 0xffffffffLL || gid < 0 || gid >= 0xffffffffLL)
    fail("invalid owner " + std::to_string(uid) + ":" + std::to_string(gid));
  uid_ = static_cast<uid_t>(uid);
  gid_ = static_cast<gid_t>(gid);
  times_[0] = archive_entry_atime_is_set(entry)
                  ? timespec{archive_entry_atime(entry), archive_entry_atime_nsec(entry)}
                  : timespec{0, UTIME_OMIT};
  times_[1] = archive_entry_mtime_is_set(entry)
                  ? timespec{archive_entry_mtime(entry), archive_entry_mtime_nsec(entry)}
                  : timespec{0, UTIME_OMIT};

  EntryPath path = parse(entry_name_);
  const char* hardlink = archive_entry_hardlink(entry);
  if (!hardlink) hardlink = archive_entry_hardlink_utf8(entry);
  mode_t type = archive_entry_filetype(entry);
  if (path.leaf.empty() && (hardlink || type != AE_IFDIR)) fail("empty name");

  if (hardlink) return make_hardlink(hardlink, path);
  switch (type) {
    case AE_IFDIR:
      return make_dir(entry, path);
    case AE_IFREG:
      return make_file(a, entry, path);
    case AE_IFLNK:
      return make_symlink(entry, path);
    case AE_IFIFO:
      return make_node(entry, path, S_IFIFO);
    case AE_IFCHR:
    case AE_IFBLK:
      if (!options_.allow_device_nodes) fail("device nodes are not allowed");
      return make_node(entry, path, type == AE_IFCHR ? S_IFCHR : S_IFBLK);
    default:
      fail("unsupported file type " + std::to_string(type));
  }
}

void Extractor::make_dir(archive_entry* entry, const EntryPath& path) {
  if (!path.leaf.empty()) {
    int parent = parent_fd(path);
    // 0700 until fix_directories: the extraction must be able to write into it meanwhile.
    if (::mkdirat(parent, path.leaf.c_str(), 0700) != 0) {
      if (errno != EEXIST) fail_sys("creating directory");
      struct stat st;
      if (::fstatat(parent, path.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
        fail_sys("checking the existing entry");
      if (!S_ISDIR(st.st_mode)) {
        clear_leaf(parent, path);
        if (::mkdirat(parent, path.leaf.c_str(), 0700) != 0) fail_sys("creating directory");
      }
    }
  }
  // The setgid bit of a directory only picks the group of new files; it is kept.
  dirs_[path.rel] = DirMeta{archive_entry_perm(entry) & 07777, uid_, gid_, {times_[0], times_[1]}};
}

void Extractor::make_file(archive* a, archive_entry* entry, const EntryPath& path) {
  uint64_t budget = options_.max_total_bytes - stats_.bytes;
  auto over_limit = [&] {
    fail("the total size of the regular files exceeds the size limit (" +
         std::to_string(options_.max_total_bytes) + " bytes)");
  };
  int64_t declared = archive_entry_size_is_set(entry) ? archive_entry_size(entry) : 0;
  if (declared < 0) fail("negative size");
  if (static_cast<uint64_t>(declared) > budget) over_limit();

  int parent = parent_fd(path);
  clear_leaf(parent, path);
  UniqueFd fd(open_strict(parent, path.leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600));
  if (!fd) fail_sys("creating file");

  uint64_t end = 0;
  for (;;) {
    const void* buf = nullptr;
    size_t len = 0;
    la_int64_t offset = 0;
    int rc = archive_read_data_block(a, &buf, &len, &offset);
    if (rc == ARCHIVE_EOF) break;
    if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) fail_archive(a);
    if (offset < 0) fail("negative data offset");
    // Offsets jump over the holes of a sparse file; pwrite leaves them unallocated.
    uint64_t block_end = static_cast<uint64_t>(offset) + len;
    if (block_end > budget) over_limit();
    const char* p = static_cast<const char*>(buf);
    off_t at = offset;
    while (len > 0) {
      ssize_t n = ::pwrite(fd.get(), p, len, at);
      if (n < 0) {
        if (errno == EINTR) continue;
        fail_sys("writing file data");
      }
      p += n;
      at += n;
      len -= static_cast<size_t>(n);
    }
    if (block_end > end) end = block_end;
  }
  // A trailing hole has no data block; the size comes from the header.
  uint64_t size = std::max<uint64_t>(end, static_cast<uint64_t>(declared));
  if (size > end && ::ftruncate(fd.get(), static_cast<off_t>(size)) != 0)
    fail_sys("setting file size");
  stats_.bytes += size;

  // chown first: it clears setuid/setgid, which fchmod then sets back if wanted.
  check_owner_result(::fchown(fd.get(), uid_, gid_));
  mode_t mode = archive_entry_perm(entry) & 07777;
  if (!options_.keep_setuid) mode &= ~(S_ISUID | S_ISGID);
  if (::fchmod(fd.get(), mode) != 0) fail_sys("setting mode");
  if (::futimens(fd.get(), times_) != 0) fail_sys("setting times");
}

void Extractor::make_symlink(archive_entry* entry, const EntryPath& path) {
  const char* target = archive_entry_symlink(entry);
  if (!target) target = archive_entry_symlink_utf8(entry);
  if (!target || !*target) fail("symlink has no target");
  int parent = parent_fd(path);
  clear_leaf(parent, path);
  // The target is stored as-is: the symlink is never followed by the extraction.
  if (::symlinkat(target, parent, path.leaf.c_str()) != 0) fail_sys("creating symlink");
  check_owner_result(::fchownat(parent, path.leaf.c_str(), uid_, gid_, AT_SYMLINK_NOFOLLOW));
  if (::utimensat(parent, path.leaf.c_str(), times_, AT_SYMLINK_NOFOLLOW) != 0)
    fail_sys("setting times");
}

void Extractor::make_hardlink(const char* target, const EntryPath& path) {
  EntryPath to = parse(target, "hard link target " + quote_name(target));
  if (to.leaf.empty()) fail("hard link has an empty target");
  if (to.rel == path.rel) fail("hard link to itself");
  // The target is looked up like an entry name: inside the root, through no symlink.
  UniqueFd target_fd(open_strict(root_fd_, to.rel, O_PATH | O_NOFOLLOW));
  if (!target_fd) {
    if (errno == ELOOP)
      fail("hard link target " + quote_name(target) + " is or goes through a symlink");
    fail_sys("opening hard link target " + quote_name(target));
  }
  struct stat st;
  if (::fstat(target_fd.get(), &st) != 0) fail_sys("checking hard link target");
  if (!S_ISREG(st.st_mode))
    fail("hard link target " + quote_name(target) + " is not a regular file");

  int parent = parent_fd(path);
  clear_leaf(parent, path);
  if (::linkat(target_fd.get(), "", parent, path.leaf.c_str(), AT_EMPTY_PATH) == 0) return;
  // Linking an fd needs CAP_DAC_READ_SEARCH; without it use the name in the target's
  // directory, opened the same strict way (linkat does not follow a symlink there).
  if (errno != ENOENT && errno != EPERM) fail_sys("creating hard link");
  UniqueFd target_dir(
      open_strict(root_fd_, to.parent_rel.empty() ? "." : to.parent_rel, O_PATH | O_DIRECTORY));
  if (!target_dir) fail_sys("opening hard link target directory");
  if (::linkat(target_dir.get(), to.leaf.c_str(), parent, path.leaf.c_str(), 0) != 0)
    fail_sys("creating hard link");
}

void Extractor::make_node(archive_entry* entry, const EntryPath& path, mode_t type) {
  int parent = parent_fd(path);
  clear_leaf(parent, path);
  dev_t dev =
      type == S_IFIFO ? 0 : makedev(archive_entry_rdevmajor(entry), archive_entry_rdevminor(entry));
  if (::mknodat(parent, path.leaf.c_str(), type | 0600, dev) != 0) fail_sys("creating node");
  check_owner_result(::fchownat(parent, path.leaf.c_str(), uid_, gid_, AT_SYMLINK_NOFOLLOW));
  // fchmodat follows a symlink, but the leaf was just made by mknodat and is not one.
  mode_t mode = archive_entry_perm(entry) & 07777;
  if (!options_.keep_setuid) mode &= ~(S_ISUID | S_ISGID);
  if (::fchmodat(parent, path.leaf.c_str(), mode, 0) != 0) fail_sys("setting mode");
  if (::utimensat(parent, path.leaf.c_str(), times_, AT_SYMLINK_NOFOLLOW) != 0)
    fail_sys("setting times");
}

// Deepest first: reverse lexical order puts `a/b` before `a`, so a directory's own mode
// (read-only, say) never blocks fixing its children, and nothing touches it afterwards.
void Extractor::fix_directories() {
  for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
    const std::string& rel = it->first;
    const DirMeta& meta = it->second;
    entry_name_ = rel.empty() ? "." : rel;
    UniqueFd fd(open_strict(root_fd_, rel.empty() ? "." : rel, O_RDONLY | O_DIRECTORY));
    if (!fd) {
      // A later entry replaced the directory with something else: nothing to fix.
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;
      fail_sys("opening directory");
    }
    uid_ = meta.uid;
    gid_ = meta.gid;
    check_owner_result(::fchown(fd.get(), meta.uid, meta.gid));
    if (::fchmod(fd.get(), meta.mode) != 0) fail_sys("setting mode");
    if (::futimens(fd.get(), meta.times) != 0) fail_sys("setting times");
  }
}

}  // namespace

ExtractStats extract_archive(const std::string& archive_path, const std::string& target_dir,
                             const ExtractOptions& options) {
  return with_context("extracting " + quote_name(archive_path), [&] {
    UniqueFd root = open_root_dir(target_dir.c_str());
    UniqueFd file(::open(archive_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) throw_sys("opening");
    unsigned char magic[4] = {};
    ssize_t got;
    do {
      got = ::pread(file.get(), magic, sizeof magic, 0);
    } while (got < 0 && errno == EINTR);
    // A pipe cannot be peeked at: libarchive reads it and finds the compression itself.
    if (got < 0 && errno != ESPIPE) throw_sys("reading");
    // zstd frames start with 0xFD2FB528, little-endian.
    const bool zstd =
        got == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;

    // Declared before the archive, which reads from it until freed.
    std::unique_ptr<ZstdSource> zstd_source;
    if (zstd) zstd_source = std::make_unique<ZstdSource>(file.get());
    std::unique_ptr<archive, ArchiveFree> a(archive_read_new());
    if (!a) throw Error("out of memory");
    // The compressions root filesystem tarballs and pot images come in; naming them (rather
    // than all) keeps pot's binary free of libraries it would load for nothing.
    for (auto support : {archive_read_support_filter_gzip, archive_read_support_filter_xz,
                         archive_read_support_filter_zstd, archive_read_support_filter_bzip2}) {
      support(a.get());
    }
    // The tar reader covers ustar, pax and the GNU extensions (sparse, long names).
    archive_read_support_format_tar(a.get());
    int rc = zstd_source ? zstd_source->open(a.get())
                         : archive_read_open_fd(a.get(), file.get(), 1 << 16);
    if (rc != ARCHIVE_OK) {
      const char* msg = archive_error_string(a.get());
      // Behind the zstd thread, what fails here is the data, not the file.
      throw Error(std::string(zstd_source ? "corrupt or truncated archive: " : "opening: ") +
                      (msg ? msg : "unknown error"),
                  archive_errno(a.get()));
    }
    ExtractStats stats = Extractor(archive_path, options, root.get()).run(a.get());
    if (zstd_source) zstd_source->finish();
    return stats;
  });
}

}  // namespace pot
