// A private temporary directory for a fuzz target that needs files, made once: under $TMPDIR,
// or when that is not set under /dev/shm (memory: the targets write files on every input, and
// some of pot's writes fsync), or /tmp. Removed when the fuzzer exits normally; a crash leaves
// it for inspection.
#pragma once

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "fuzz_check.h"

namespace pot::fuzz {

inline std::filesystem::path make_temp_dir(const char* name) {
  const char* tmp = std::getenv("TMPDIR");
  struct stat st {};
  std::string parent = tmp && *tmp                                           ? tmp
                       : ::stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm"
                                                                             : "/tmp";
  std::string pattern = parent + "/pot-fuzz-" + name + ".XXXXXX";
  FUZZ_CHECK(::mkdtemp(pattern.data()) != nullptr);
  return pattern;
}

inline const std::filesystem::path& temp_dir(const char* name) {
  static const std::filesystem::path dir = make_temp_dir(name);
  // Registered after `dir` is made, so it runs before `dir` is destroyed.
  static const bool removed_at_exit = std::atexit([] {
                                        std::error_code ec;
                                        std::filesystem::remove_all(dir, ec);
                                      }) == 0;
  (void)removed_at_exit;
  return dir;
}

}  // namespace pot::fuzz
