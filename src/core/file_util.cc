#include "core/file_util.h"

#include <signal.h>

#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "core/error.h"
#include "core/number.h"
#include "core/unique_fd.h"

namespace pot {

std::optional<std::string> read_file_if_exists(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) {
    if (errno == ENOENT) return std::nullopt;
    throw_sys("opening " + quote_name(path.string()));
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("reading " + quote_name(path.string()));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string read_file(const fs::path& path) {
  auto content = read_file_if_exists(path);
  if (!content) throw_sys("opening " + quote_name(path.string()), ENOENT);
  return *content;
}

static void write_all(int fd, std::string_view data, const fs::path& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_sys("writing " + quote_name(path.string()));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

void write_file_atomic(const fs::path& path, std::string_view content, mode_t mode,
                       Durability durability) {
  fs::path tmp = path;
  tmp += ".tmp." + std::to_string(::getpid());
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
  if (!fd) throw_sys("creating " + quote_name(tmp.string()));
  try {
    write_all(fd.get(), content, tmp);
    if (::fchmod(fd.get(), mode) != 0) throw_sys("chmod " + quote_name(tmp.string()));
    if (durability == Durability::kSynced && ::fsync(fd.get()) != 0)
      throw_sys("fsync " + quote_name(tmp.string()));
    fd.reset();
    if (::rename(tmp.c_str(), path.c_str()) != 0)
      throw_sys("renaming onto " + quote_name(path.string()));
  } catch (...) {
    ::unlink(tmp.c_str());
    throw;
  }
}

bool is_abandoned_temp_file(std::string_view file) {
  constexpr std::string_view kMarker = ".tmp.";
  for (size_t at = file.find(kMarker); at != std::string_view::npos;
       at = file.find(kMarker, at + 1)) {
    std::string_view rest = file.substr(at + kMarker.size());
    size_t digits = rest.find_first_not_of("0123456789");
    if (digits == 0) continue;
    if (digits != std::string_view::npos && rest[digits] != '.') continue;
    auto pid = to_unsigned(rest.substr(0, digits));
    if (!pid || *pid == 0 || *pid > INT32_MAX) continue;
    // A live process of that pid (ours, or one that reused it) keeps its files.
    return ::kill(static_cast<pid_t>(*pid), 0) != 0 && errno == ESRCH;
  }
  return false;
}

void remove_abandoned_temp_files(const fs::path& dir, std::string_view prefix) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && is_abandoned_temp_file(name)) ::unlink(entry.path().c_str());
  }
}

void write_knob(const fs::path& path, std::string_view value) {
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) throw_sys("opening " + quote_name(path.string()));
  ssize_t n = ::write(fd.get(), value.data(), value.size());
  if (n < 0) throw_sys("writing " + std::string(value) + " to " + quote_name(path.string()));
}

void make_dirs(const fs::path& path, mode_t mode) {
  if (path.empty()) return;
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) throw_sys("creating directory " + quote_name(path.string()), ENOTDIR);
    return;
  }
  if (path.has_parent_path() && path.parent_path() != path) make_dirs(path.parent_path(), mode);
  if (::mkdir(path.c_str(), mode) != 0 && errno != EEXIST)
    throw_sys("creating directory " + quote_name(path.string()));
}

void remove_tree(const fs::path& path) {
  std::error_code ec;
  // std::filesystem::remove_all does not follow symlinks: it removes the link itself.
  fs::remove_all(path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw Error("removing " + quote_name(path.string()) + ": " + ec.message(), ec.value());
}

std::string random_hex(size_t bytes) {
  std::vector<unsigned char> buffer(bytes);
  if (::getrandom(buffer.data(), bytes, 0) != static_cast<ssize_t>(bytes)) throw_sys("getrandom");
  static const char kHex[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : buffer) {
    hex.push_back(kHex[b >> 4]);
    hex.push_back(kHex[b & 0xf]);
  }
  return hex;
}

}  // namespace pot
