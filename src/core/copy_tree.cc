#include "core/copy_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <utility>
#include <vector>

#include "core/error.h"
#include "core/unique_fd.h"

namespace pot {
namespace {

struct Copier {
  std::map<std::pair<dev_t, ino_t>, std::pair<int, std::string>> links;  // for hard links
  std::vector<UniqueFd> link_dirs;  // keeps dirfds used by `links` open

  void copy_file_data(int src, int dst, const std::string& name) {
    for (;;) {
      ssize_t n = ::copy_file_range(src, nullptr, dst, nullptr, 1 << 30, 0);
      if (n == 0) return;
      if (n > 0) continue;
      if (errno == EINTR) continue;
      if (errno != EXDEV && errno != EINVAL && errno != ENOSYS)
        throw_sys("copying " + quote_name(name));
      break;
    }
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(src, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw_sys("reading " + quote_name(name));
      if (n == 0) return;
      for (ssize_t off = 0; off < n;) {
        ssize_t w = ::write(dst, buf + off, static_cast<size_t>(n - off));
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) throw_sys("writing " + quote_name(name));
        off += w;
      }
    }
  }

  // Owner, mode and times of what we created, applied through its own fd: by name, a
  // destination whose owner (a pot) swapped the entry for a symlink could redirect a chmod
  // onto any host file.
  static void copy_metadata_fd(int fd, const std::string& name, const struct stat& st) {
    if (::fchown(fd, st.st_uid, st.st_gid) != 0) throw_sys("chown " + quote_name(name));
    if (::fchmod(fd, st.st_mode & 07777) != 0) throw_sys("chmod " + quote_name(name));
    timespec times[2] = {st.st_atim, st.st_mtim};
    if (::futimens(fd, times) != 0) throw_sys("setting the times of " + quote_name(name));
  }

  // Symlinks and device nodes have no fd to write through: by name, never following links
  // (glibc's fchmodat with AT_SYMLINK_NOFOLLOW refuses a symlink rather than follow it).
  static void copy_metadata_nofollow(int dst_dirfd, const std::string& name, const struct stat& st,
                                     bool is_link) {
    if (::fchownat(dst_dirfd, name.c_str(), st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
      throw_sys("chown " + quote_name(name));
    if (!is_link &&
        ::fchmodat(dst_dirfd, name.c_str(), st.st_mode & 07777, AT_SYMLINK_NOFOLLOW) != 0)
      throw_sys("chmod " + quote_name(name));
    timespec times[2] = {st.st_atim, st.st_mtim};
    ::utimensat(dst_dirfd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }

  void copy_entry(int src_dirfd, const std::string& src_name, int dst_dirfd,
                  const std::string& dst_name) {
    struct stat st {};
    if (::fstatat(src_dirfd, src_name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0)
      throw_sys("reading " + quote_name(src_name));
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
      auto it = links.find({st.st_dev, st.st_ino});
      if (it != links.end()) {
        auto link = [&] {
          return ::linkat(it->second.first, it->second.second.c_str(), dst_dirfd, dst_name.c_str(),
                          0);
        };
        // An existing name is replaced, as for plain files below.
        if (link() != 0 &&
            (errno != EEXIST || ::unlinkat(dst_dirfd, dst_name.c_str(), 0) != 0 || link() != 0))
          throw_sys("linking " + quote_name(dst_name));
        return;
      }
    }
    if (S_ISDIR(st.st_mode)) {
      if (::mkdirat(dst_dirfd, dst_name.c_str(), 0700) != 0 && errno != EEXIST)
        throw_sys("creating directory " + quote_name(dst_name));
      UniqueFd src(
          ::openat(src_dirfd, src_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!src) throw_sys("opening " + quote_name(src_name));
      UniqueFd dst(
          ::openat(dst_dirfd, dst_name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!dst) throw_sys("opening " + quote_name(dst_name));
      copy_directory(src.get(), dst.get());
      copy_metadata_fd(dst.get(), dst_name, st);
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      ssize_t n = ::readlinkat(src_dirfd, src_name.c_str(), target.data(), target.size());
      if (n < 0) throw_sys("reading link " + quote_name(src_name));
      target.resize(static_cast<size_t>(n));
      if (::symlinkat(target.c_str(), dst_dirfd, dst_name.c_str()) != 0)
        throw_sys("creating link " + quote_name(dst_name));
      copy_metadata_nofollow(dst_dirfd, dst_name, st, true);
    } else if (S_ISREG(st.st_mode)) {
      UniqueFd src(::openat(src_dirfd, src_name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
      if (!src) throw_sys("opening " + quote_name(src_name));
      const int create = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
      UniqueFd dst(::openat(dst_dirfd, dst_name.c_str(), create, 0600));
      if (!dst && errno == EEXIST && ::unlinkat(dst_dirfd, dst_name.c_str(), 0) == 0)
        dst.reset(::openat(dst_dirfd, dst_name.c_str(), create, 0600));  // replace, as cp does
      if (!dst) throw_sys("creating " + quote_name(dst_name));
      copy_file_data(src.get(), dst.get(), src_name);
      copy_metadata_fd(dst.get(), dst_name, st);
    } else {
      if (::mknodat(dst_dirfd, dst_name.c_str(), st.st_mode, st.st_rdev) != 0)
        throw_sys("creating node " + quote_name(dst_name));
      copy_metadata_nofollow(dst_dirfd, dst_name, st, false);
    }
    if (st.st_nlink > 1) {
      int keep = ::fcntl(dst_dirfd, F_DUPFD_CLOEXEC, 3);
      if (keep >= 0) {
        link_dirs.emplace_back(keep);
        links[{st.st_dev, st.st_ino}] = {keep, dst_name};
      }
    }
  }

  void copy_directory(int src_fd, int dst_fd) {
    int listing_fd = ::dup(src_fd);
    if (listing_fd < 0) throw_sys("dup");
    DIR* dir = ::fdopendir(listing_fd);
    if (dir == nullptr) {
      ::close(listing_fd);
      throw_sys("listing directory");
    }
    std::vector<std::string> names;
    while (dirent* entry = ::readdir(dir)) {
      std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
    }
    ::closedir(dir);
    for (const auto& name : names) copy_entry(src_fd, name, dst_fd, name);
  }
};

}  // namespace

void copy_tree(int src_dirfd, const std::string& src_name, int dst_dirfd,
               const std::string& dst_name) {
  Copier copier;
  copier.copy_entry(src_dirfd, src_name, dst_dirfd, dst_name);
}

}  // namespace pot
