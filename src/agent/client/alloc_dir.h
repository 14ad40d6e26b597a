// An allocation's directory on the host, Nomad's layout:
//   <root>/<alloc-id>/alloc/{data,logs,tmp}          shared by the group's tasks
//   <root>/<alloc-id>/<task>/{local,secrets,tmp}     per task (secrets mode 0700)
// The driver mounts alloc/ at /alloc, local/ at /local and secrets/ at /secrets in the pot.
// Logs: alloc/logs/<task>.stdout.N and .stderr.N (written by the pot's monitor).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace pot::agent {

class AllocDir {
 public:
  AllocDir(std::filesystem::path allocs_root, std::string alloc_id);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path logs_dir() const { return path_ / "alloc" / "logs"; }
  std::filesystem::path task_dir(const std::string& task) const { return path_ / task; }
  // The prefix the monitor numbers: alloc/logs/<task>.stdout (files .0, .1, ...).
  std::filesystem::path log_prefix(const std::string& task, const std::string& stream) const;

  // Makes every directory (idempotent); throws pot::Error naming the path.
  void build(const std::vector<std::string>& tasks) const;
  // Removes the whole directory (garbage collection); fine when it is gone.
  void destroy() const;

  // The log files of a task's stream, oldest first: (index, path, size).
  struct LogFile {
    int index = 0;
    std::filesystem::path path;
    uint64_t size = 0;
  };
  std::vector<LogFile> log_files(const std::string& task, const std::string& stream) const;

 private:
  std::filesystem::path path_;
};

// Whether `id` is a well-formed allocation ID (a lowercase UUID): checked before an ID
// from a request becomes a path.
bool valid_alloc_id(const std::string& id);

}  // namespace pot::agent
