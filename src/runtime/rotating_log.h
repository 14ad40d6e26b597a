// A persistent pot's output: appended to one file, which is renamed to <file>.1 (and .1 to
// .2, ...) when it would grow past a size, keeping a fixed number of files in all, as
// Nomad's task logs do. Without this a chatty pot fills the disk.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string_view>

#include "core/unique_fd.h"

namespace pot {

struct LogRotation {
  std::filesystem::path path;
  uint64_t max_bytes = 10ULL << 20;
  int max_files = 10;  // the current file and max_files - 1 rotated ones
};

class RotatingLog {
 public:
  // Opens (appends to) the current file; throws Error naming it when it cannot.
  explicit RotatingLog(LogRotation rotation);
  // Writes everything, rotating first when the file would pass the size; a full disk
  // drops output rather than stopping the pot.
  void write(std::string_view data);
  int fd() const { return fd_.get(); }
  // Points our stdout and stderr at the current file, now and after every rotation (the
  // monitor's own messages belong in its pot's log).
  void own_stdio();

 private:
  void open_current();
  void rotate();
  void point_stdio();
  LogRotation rotation_;
  UniqueFd fd_;
  uint64_t size_ = 0;
  bool owns_stdio_ = false;
};

}  // namespace pot
