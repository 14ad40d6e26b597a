// Small helpers shared by the unit tests: a temporary directory removed at the end of the
// test, whole-file read/write on host paths, and a guard that isolates POT_* variables.
#pragma once

#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.h"

extern char** environ;

namespace pot::testing {

namespace fs = std::filesystem;

// `size` bytes of text that does not repeat with a short period, so that an offset or a
// length error in a transfer shows up in the comparison.
inline std::string test_pattern(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return data;
}

// A fresh directory from mkdtemp, removed (with everything in it) on destruction.
class TempDir {
 public:
  explicit TempDir(std::string_view prefix = "pot-unit") {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" +
                        std::string(prefix) + ".XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
    }
    path_ = templ;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    // Make every directory writable first, so read-only trees can be removed without root.
    for (auto it = fs::recursive_directory_iterator(path_, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (it->is_directory(ec) && !it->is_symlink(ec)) ::chmod(it->path().c_str(), 0700);
    }
    ::chmod(path_.c_str(), 0700);
    fs::remove_all(path_, ec);
  }

  const fs::path& path() const { return path_; }
  fs::path operator/(const fs::path& rel) const { return path_ / rel; }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

inline void write_text(const fs::path& path, std::string_view content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path.string());
  out << content;
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Everything `fd` gives until end of file, an error, or (on a non-blocking fd) nothing more
// for now.
inline std::string read_until_end(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

// EXPECT_TRUE(HasText(e.what(), "`web`")): the message mentions `part`.
inline ::testing::AssertionResult HasText(std::string_view text, std::string_view part) {
  if (text.find(part) != std::string_view::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << text << "\" does not contain \"" << part << "\"";
}

// Runs `fn`, which must throw pot::Error, and returns the error's message (with a test
// failure and "<nothing thrown>" when it returns normally).
template <typename Fn>
std::string ErrorOf(Fn&& fn) {
  try {
    fn();
  } catch (const ::pot::Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected a pot::Error, nothing was thrown";
  return "<nothing thrown>";
}

// ErrorOf, with file permissions applying even to root: `fn` runs in a forked child without
// CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER in its effective set, so a test of
// "permission denied" runs (and can fail) as root too, which is how CI runs the suite.
template <typename Fn>
std::string ErrorOfWithoutPermissionOverride(Fn&& fn) {
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return "<pipe failed>";
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return "<fork failed>";
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    std::string message = "<cannot drop capabilities>";
    if (::syscall(SYS_capget, &header, data) == 0) {
      for (int cap : {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER})
        data[cap / 32].effective &= ~(1U << (cap % 32));
      if (::syscall(SYS_capset, &header, data) == 0) {
        try {
          fn();
          message = "<nothing thrown>";
        } catch (const ::pot::Error& e) {
          message = e.what();
        }
      }
    }
    ssize_t written = ::write(pipe_fds[1], message.data(), message.size());
    ::_exit(written == static_cast<ssize_t>(message.size()) ? 0 : 1);
  }
  ::close(pipe_fds[1]);
  std::string message = read_until_end(pipe_fds[0]);
  ::close(pipe_fds[0]);
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
    ADD_FAILURE() << "the child running the operation failed (status " << status << ")";
  if (message == "<nothing thrown>") ADD_FAILURE() << "expected a pot::Error, nothing was thrown";
  return message;
}

// Names in a directory, sorted (no "." or "..").
inline std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

inline struct stat lstat_or_die(const fs::path& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    throw std::system_error(errno, std::generic_category(), "lstat " + path.string());
  }
  return st;
}

// Removes every POT_* variable for the lifetime of the guard (so the settings a test sees
// do not depend on the environment it was started from), and puts them back afterwards.
class ScopedPotEnv {
 public:
  ScopedPotEnv() {
    for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
      std::string_view entry(*env);
      size_t eq = entry.find('=');
      if (entry.substr(0, 4) != "POT_" || eq == std::string_view::npos) continue;
      saved_.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    for (const auto& [name, value] : saved_) ::unsetenv(name.c_str());
  }
  ScopedPotEnv(const ScopedPotEnv&) = delete;
  ScopedPotEnv& operator=(const ScopedPotEnv&) = delete;
  ~ScopedPotEnv() {
    for (const auto& name : set_) ::unsetenv(name.c_str());
    for (const auto& [name, value] : saved_) ::setenv(name.c_str(), value.c_str(), 1);
  }

  void set(const std::string& name, const std::string& value) {
    ::setenv(name.c_str(), value.c_str(), 1);
    set_.push_back(name);
  }

 private:
  std::vector<std::pair<std::string, std::string>> saved_;
  std::vector<std::string> set_;
};

}  // namespace pot::testing
