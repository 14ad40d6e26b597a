// Where a log read starts, over a task's numbered log files (alloc/logs/<task>.<type>.N,
// rotated by the pot's monitor: a higher N is newer). As Nomad's client reads them:
// `origin=start` counts `offset` bytes forward from the oldest file, `origin=end` counts
// back from the end of the newest, crossing file boundaries, clamped to what exists.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace pot::agent::http {

struct LogFileEntry {
  int64_t number = 0;
  std::string name;  // "<task>.<type>.<N>"
  uint64_t size = 0;
};

// The log files of `task`'s `type` stream in `logs_dir`, oldest first. Only names of that
// exact form are taken (a task name cannot reach outside the directory: nothing is opened
// that the listing did not find). Empty when the directory does not exist.
std::vector<LogFileEntry> list_log_files(const std::filesystem::path& logs_dir,
                                         const std::string& task, const std::string& type);

struct LogPosition {
  std::size_t file = 0;  // index into the listing
  uint64_t offset = 0;   // within that file
};

// `files` is not empty.
LogPosition start_position(const std::vector<LogFileEntry>& files, bool from_end, int64_t offset);

}  // namespace pot::agent::http
