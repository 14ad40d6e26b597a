#include "agent/client/alloc_dir.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <system_error>

#include "core/error.h"
#include "core/unique_fd.h"

namespace pot::agent {
namespace fs = std::filesystem;
namespace {

// A name that becomes one component of a path: nothing that climbs out or down.
bool safe_component(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\0') == std::string::npos;
}

// Makes `dir` (its parent exists) with exactly `mode`, whatever the umask. A directory the
// tasks can write into may have been swapped for a symlink by one of them: opened without
// following one, the chmod lands on the directory itself or not at all.
void make_dir(const fs::path& dir, mode_t mode) {
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
    throw_sys("creating allocation directory " + quote_name(dir.string()));
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) throw_sys("opening allocation directory " + quote_name(dir.string()));
  if (::fchmod(fd.get(), mode) != 0)
    throw_sys("setting the mode of allocation directory " + quote_name(dir.string()));
}

// The N of "<prefix>N" when the rest is all digits (and fits an int); -1 otherwise.
int index_after(const std::string& name, const std::string& prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  std::string digits = name.substr(prefix.size());
  if (digits.size() > 9 ||
      !std::all_of(digits.begin(), digits.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -1;
  return std::stoi(digits);
}

}  // namespace

AllocDir::AllocDir(fs::path allocs_root, std::string alloc_id) {
  if (!safe_component(alloc_id))
    throw Error("allocation ID " + quote_name(alloc_id) + " cannot name a directory");
  path_ = allocs_root / alloc_id;
}

fs::path AllocDir::log_prefix(const std::string& task, const std::string& stream) const {
  return logs_dir() / (task + "." + stream);
}

void AllocDir::build(const std::vector<std::string>& tasks) const {
  constexpr mode_t kOpen = 0755, kPrivate = 0700, kScratch = 01777;  // scratch: as /tmp
  for (const std::string& task : tasks) {
    // A task called `alloc` would share the group's directory as its own.
    if (!safe_component(task) || task == "alloc")
      throw Error("task " + quote_name(task) + " cannot name a directory in allocation " +
                  quote_name(path_.filename().string()));
  }
  std::error_code ec;
  fs::create_directories(path_.parent_path(), ec);
  if (ec) throw Error("creating " + quote_name(path_.parent_path().string()) + ": " + ec.message());
  make_dir(path_, kOpen);
  make_dir(path_ / "alloc", kOpen);
  make_dir(path_ / "alloc" / "data", kOpen);
  make_dir(logs_dir(), kOpen);
  make_dir(path_ / "alloc" / "tmp", kScratch);
  for (const std::string& task : tasks) {
    make_dir(task_dir(task), kOpen);
    make_dir(task_dir(task) / "local", kOpen);
    make_dir(task_dir(task) / "secrets", kPrivate);
    make_dir(task_dir(task) / "tmp", kScratch);
  }
}

void AllocDir::destroy() const {
  // remove_all removes a symlink a task left, never what it points to.
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec && ec != std::errc::no_such_file_or_directory)
    throw Error("removing allocation directory " + quote_name(path_.string()) + ": " +
                ec.message());
}

std::vector<AllocDir::LogFile> AllocDir::log_files(const std::string& task,
                                                   const std::string& stream) const {
  std::vector<LogFile> files;
  const std::string prefix = task + "." + stream + ".";
  std::error_code ec;
  fs::directory_iterator it(logs_dir(), ec);
  if (ec) return files;  // no logs (yet, or any more)
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) break;
    int index = index_after(it->path().filename().string(), prefix);
    if (index < 0) continue;
    std::error_code status_ec;
    if (!it->is_regular_file(status_ec) || it->is_symlink(status_ec)) continue;
    uint64_t size = it->file_size(status_ec);
    if (status_ec) continue;  // removed by a rotation while we looked
    files.push_back({index, it->path(), size});
  }
  std::sort(files.begin(), files.end(),
            [](const LogFile& a, const LogFile& b) { return a.index < b.index; });
  return files;
}

bool valid_alloc_id(const std::string& id) {
  // 8-4-4-4-12 lowercase hex digits.
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    bool dash_here = i == 8 || i == 13 || i == 18 || i == 23;
    char c = id[i];
    if (dash_here ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace pot::agent
