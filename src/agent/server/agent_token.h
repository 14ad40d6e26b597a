// The agent's token: every request that changes state or runs code must carry it. Made at
// the first start into a file only root can read; the `potd` CLI reads it from there.
#pragma once

#include <filesystem>
#include <string>

namespace pot::agent {

// Reads the token from `path`, or makes a new one there (mode 0600, written atomically).
// A file that is readable by others is refused: its token is no secret any more.
std::string load_or_create_token(const std::filesystem::path& path);

}  // namespace pot::agent
