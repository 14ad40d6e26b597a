// Hidden work entries: every step that makes or unmakes a pot, base, snapshot or image file
// in one go works under a hidden name in the same directory and renames, so a reader (or a
// kill) sees it whole or not at all (pot/leftovers.h sweeps what a killed command left):
//   `.creating.<pid>.<start>.<name>`    made here, renamed into place when complete;
//   `.destroying.<pid>.<start>.<name>`  renamed here first, then removed.
// The pid and its kernel start time name the process at work; an entry whose process is gone
// was abandoned.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace pot {

namespace fs = std::filesystem;

struct CreationEntry {
  std::string name;
  bool creator_alive = false;
  bool destroying = false;  // a `.destroying.` entry: what it holds is no longer a pot
};
std::optional<CreationEntry> parse_creation_entry(const std::string& file);

// A hidden path in `dir` for `name`, owned by this process.
fs::path creation_path(const fs::path& dir, const std::string& name);
fs::path destruction_path(const fs::path& dir, const std::string& name);

}  // namespace pot
