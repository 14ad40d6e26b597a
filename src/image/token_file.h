// The shared secret of a registry, kept in a file (`--token-file`) by the server that checks
// it and by `pot registry push` that sends it.
#pragma once
#include <filesystem>
#include <string>

namespace pot::image {

// The file's content without surrounding whitespace (a trailing newline is usual); throws
// Error naming the file when it cannot be read or holds no token.
std::string read_token_file(const std::filesystem::path& path);

}  // namespace pot::image
