// Small file helpers on host paths that pot itself owns (never paths inside a pot: those go
// through runtime/root_path.h).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace pot {

namespace fs = std::filesystem;

// Whole file as a string; throws Error naming the path.
std::string read_file(const fs::path& path);
// Whole file, or nullopt when it does not exist.
std::optional<std::string> read_file_if_exists(const fs::path& path);

enum class Durability {
  kSynced,   // fsync before the rename: the new content survives a power cut (configuration)
  kVolatile  // rename only: readers still never see half a file (runtime state, which a
             // reboot makes stale anyway; an fsync here costs milliseconds per pot start)
};

// Writes to a temporary file beside `path` and renames it over `path`, so a reader (or a
// crash) sees either the old content or the new, never half of it.
void write_file_atomic(const fs::path& path, std::string_view content, mode_t mode = 0644,
                       Durability durability = Durability::kSynced);

// Writes into an existing file such as a cgroup knob (no create, no truncate dance).
void write_knob(const fs::path& path, std::string_view value);

// mkdir -p with a mode for the directories it creates.
void make_dirs(const fs::path& path, mode_t mode = 0755);

// `bytes` random bytes (getrandom) as lowercase hex: unique parts of temporary names.
std::string random_hex(size_t bytes);

// Temporary files are named `<file>.tmp.<pid>` (write_file_atomic) or
// `.<file>.tmp.<pid>.<more>` (the archive writer). True for such a name whose process is
// gone: a kill between creating it and renaming it into place left it.
bool is_abandoned_temp_file(std::string_view file);
// Removes the abandoned temporary files in `dir` whose names start with `prefix`.
void remove_abandoned_temp_files(const fs::path& dir, std::string_view prefix = {});

// rm -rf that stays on one filesystem and never follows symlinks; missing is fine.
void remove_tree(const fs::path& path);

}  // namespace pot
