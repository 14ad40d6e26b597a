// A task's output kept as Nomad's log collector keeps it: numbered files `<prefix>.0`,
// `<prefix>.1`, ... with the newest the highest, each at most a size, at most a number of
// them (`pot start -O PREFIX -E PREFIX -N MAX_FILES -Z MAX_FILE_SIZE`; potd's `logs` block).
// Nothing is renamed, so a reader following a file by name never loses its place:
//
//   - opening continues the highest index there is, appending (a restarted task's output
//     follows its earlier output);
//   - a write that would take the current file past the size moves to the next index; it is
//     cut at a line's end when one fits, so lines stay whole unless a line alone is larger
//     than a file;
//   - after a move, the oldest files go, so that at most max_files remain.
//
// The log directory is inside the allocation, which the task itself can write: the
// directory is held open from the start (and must not itself be a symlink), and a name in it
// that is a symlink or not a regular file is skipped, never followed or waited on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "core/unique_fd.h"

namespace pot {

struct NumberedLogLimits {
  int max_files = 10;                     // Nomad's logs { max_files = 10 }
  uint64_t max_file_bytes = 10ULL << 20;  // and max_file_size = 10 (MB)
};

class NumberedLog {
 public:
  // Opens (appends to) the highest numbered file, or `<prefix>.0`; throws Error naming the
  // prefix when no file can be opened.
  NumberedLog(std::filesystem::path prefix, NumberedLogLimits limits);
  // Writes everything, moving to the next file as needed; a full disk drops output rather
  // than stopping the task.
  void write(std::string_view data);
  // Points `target_fd` (the monitor's own stdout or stderr) at the current file, now and
  // after every move, so the monitor's messages land among the task's.
  void own_fd(int target_fd);
  int current_index() const { return index_; }

 private:
  std::filesystem::path file(int index) const;  // for messages
  std::string name(int index) const;            // within the directory
  // Opens `index` for appending when it is a regular file (made if missing); false if not.
  bool open_index(int index);
  // The next index that can be written (skipping full files and anything not a file).
  bool move_to_next();
  void remove_oldest() const;
  int highest_index() const;

  std::filesystem::path prefix_;
  std::string base_;  // the prefix's last component: `web.stdout`
  NumberedLogLimits limits_;
  UniqueFd dir_fd_;
  UniqueFd fd_;
  int index_ = 0;
  uint64_t size_ = 0;
  int owned_fd_ = -1;
};

}  // namespace pot
