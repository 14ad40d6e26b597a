#include "runtime/numbered_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>

#include "core/error.h"

namespace pot {
namespace {

// How far past the current index a move looks for a name it may write, when the task has
// filled the directory with names that are not our files.
constexpr int kMaxSkipped = 1000;

// The N of "<base>.N" when the rest is all digits and fits an int; -1 otherwise.
int index_of(const std::string& name, const std::string& base) {
  if (name.size() <= base.size() + 1 || name.compare(0, base.size(), base) != 0 ||
      name[base.size()] != '.')
    return -1;
  std::string digits = name.substr(base.size() + 1);
  if (digits.size() > 9 || !std::all_of(digits.begin(), digits.end(),
                                        [](unsigned char c) { return c >= '0' && c <= '9'; }))
    return -1;
  return std::stoi(digits);
}

// Calls `fn(index, name)` for every numbered entry of the directory `dir_fd`.
template <typename Fn>
void for_each_numbered(int dir_fd, const std::string& base, Fn&& fn) {
  int own_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (own_fd < 0) return;
  DIR* stream = ::fdopendir(own_fd);  // owns own_fd from here
  if (stream == nullptr) {
    ::close(own_fd);
    return;
  }
  while (const dirent* entry = ::readdir(stream)) {
    int index = index_of(entry->d_name, base);
    if (index >= 0) fn(index, entry->d_name);
  }
  ::closedir(stream);
}

}  // namespace

NumberedLog::NumberedLog(std::filesystem::path prefix, NumberedLogLimits limits)
    : prefix_(std::move(prefix)), base_(prefix_.filename().string()), limits_(limits) {
  // The directory is held from now on, so that a task that swaps it for a symlink (a
  // restarted task may have done so in its last run) cannot send our writes elsewhere.
  const std::filesystem::path dir = prefix_.has_parent_path() ? prefix_.parent_path() : ".";
  dir_fd_.reset(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir_fd_) throw_sys("opening task log directory " + quote_name(dir.string()));
  limits_.max_files = std::max(limits_.max_files, 1);
  limits_.max_file_bytes = std::max<uint64_t>(limits_.max_file_bytes, 1);
  // Continue where the last run stopped; a full file is moved on from at the first write.
  index_ = std::max(highest_index(), 0);
  if (!open_index(index_) && !move_to_next())
    throw_sys("opening task log " + quote_name(file(index_).string()));
  remove_oldest();
}

std::filesystem::path NumberedLog::file(int index) const {
  return prefix_.string() + "." + std::to_string(index);
}

int NumberedLog::highest_index() const {
  int highest = -1;
  for_each_numbered(dir_fd_.get(), base_,
                    [&](int index, const char*) { highest = std::max(highest, index); });
  return highest;
}

std::string NumberedLog::name(int index) const {
  return base_ + "." + std::to_string(index);
}

bool NumberedLog::open_index(int index) {
  // O_NOFOLLOW: a symlink the task planted is not followed. O_NONBLOCK: a FIFO it planted
  // does not hold us until someone reads it (and is then refused as not a regular file). A
  // second link to the file is refused too: it is the task's, not ours.
  UniqueFd fd(::openat(
      dir_fd_.get(), name(index).c_str(),
      O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0644));
  if (!fd) return false;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
    errno = EINVAL;
    return false;
  }
  fd_ = std::move(fd);
  index_ = index;
  size_ = static_cast<uint64_t>(st.st_size);
  if (owned_fd_ >= 0) (void)::dup2(fd_.get(), owned_fd_);  // best effort, as the sinks do
  return true;
}

bool NumberedLog::move_to_next() {
  for (int next = index_ + 1; next <= index_ + kMaxSkipped; ++next) {
    // A file that is full already (from an earlier run with other limits) is passed over.
    struct stat st {};
    if (::fstatat(dir_fd_.get(), name(next).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 &&
        (!S_ISREG(st.st_mode) || static_cast<uint64_t>(st.st_size) >= limits_.max_file_bytes))
      continue;
    if (open_index(next)) {
      remove_oldest();
      return true;
    }
    // Lost a race with the task (it put something there meanwhile): look further. Anything
    // else (a full disk, no inodes) will not be better at the next name.
    if (errno != ELOOP && errno != EINVAL && errno != ENXIO) return false;
  }
  return false;
}

void NumberedLog::remove_oldest() const {
  const int oldest_kept = index_ - limits_.max_files + 1;
  for_each_numbered(dir_fd_.get(), base_, [&](int index, const char* entry) {
    if (index < oldest_kept)
      (void)::unlinkat(dir_fd_.get(), entry, 0);  // a symlink, not its target
  });
}

void NumberedLog::own_fd(int target_fd) {
  owned_fd_ = target_fd;
  if (fd_) (void)::dup2(fd_.get(), owned_fd_);
}

void NumberedLog::write(std::string_view data) {
  const uint64_t max = limits_.max_file_bytes;
  // Writes `part` to the current file; false when the disk refuses (the output is dropped).
  auto append = [&](std::string_view part) {
    while (!part.empty()) {
      ssize_t n = ::write(fd_.get(), part.data(), part.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      size_ += static_cast<uint64_t>(n);
      part.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  };
  // The monitor's own messages reach the file through the owned fd, past our count.
  struct stat st {};
  if (owned_fd_ >= 0 && ::fstat(fd_.get(), &st) == 0) size_ = static_cast<uint64_t>(st.st_size);
  while (!data.empty()) {
    const uint64_t room = size_ < max ? max - size_ : 0;
    if (data.size() <= room) {
      append(data);
      return;
    }
    // Up to the last line's end that fits; a line that would fit a file of its own starts
    // the next one; a line larger than any file fills this one and goes on in the next.
    size_t chunk = 0;
    size_t last_fitting_newline = room == 0 ? std::string_view::npos : data.rfind('\n', room - 1);
    size_t first_line_end = data.find('\n');
    size_t first_line = first_line_end == std::string_view::npos ? data.size() : first_line_end + 1;
    if (last_fitting_newline != std::string_view::npos) {
      chunk = last_fitting_newline + 1;
    } else if (room > 0 && (size_ == 0 || first_line > max)) {
      chunk = static_cast<size_t>(room);
    } else {
      // This file is done. When no next file can be had, this one grows on instead.
      if (!move_to_next()) {
        append(data);
        return;
      }
      continue;
    }
    if (!append(data.substr(0, chunk))) return;
    data.remove_prefix(chunk);
  }
}

}  // namespace pot
