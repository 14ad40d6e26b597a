// A test's FreeBSD host: the fake base system (fake_freebsd.h) with `pot` run as the FreeBSD
// platform on it (POT_PLATFORM=freebsd, POT_ZFS_ROOT=zroot/pot), and a FreeBSD release in
// POT_CACHE (a small base.txz made with tar and xz, and its MANIFEST), so that
// `pot create-base -r 14.1` works as on a real host whose cache holds the release.
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "core/process.h"
#include "fake_freebsd.h"
#include "test_util.h"

namespace pot::testing {

struct PotRun {
  int code = -1;
  std::string out, err;
  bool ok() const { return code == 0; }
};

class FreeBsdHost : public FakeFreeBSD {
 public:
  FreeBsdHost() : cache_("fakebsd-cache") {
    saved_.emplace_back("POT_PLATFORM", getenv_or_null("POT_PLATFORM"));
    saved_.emplace_back("POT_ZFS_ROOT", getenv_or_null("POT_ZFS_ROOT"));
    saved_.emplace_back("POT_CACHE", getenv_or_null("POT_CACHE"));
    ::setenv("POT_PLATFORM", "freebsd", 1);
    ::setenv("POT_ZFS_ROOT", "zroot/pot", 1);
    ::setenv("POT_CACHE", cache_.path().c_str(), 1);
    make_release("14.1-RELEASE");
  }
  ~FreeBsdHost() {
    for (const auto& [name, value] : saved_) {
      if (value)
        ::setenv(name.c_str(), value->c_str(), 1);
      else
        ::unsetenv(name.c_str());
    }
  }

  // Runs the built `pot` with `args`; stdout and stderr captured.
  PotRun pot(const std::vector<std::string>& args, const std::string& input = {}) const {
    return run_captured(POT_BINARY, args, input);
  }

  // `pot init`, a base from release 14.1, the calls log emptied: the state most tests start in.
  void init_with_base() {
    expect_ok(pot({"init"}), "pot init");
    expect_ok(pot({"create-base", "-r", "14.1"}), "pot create-base -r 14.1");
    clear_calls();
  }

  static void expect_ok(const PotRun& run, const std::string& what) {
    if (!run.ok())
      throw std::runtime_error(what + " failed (" + std::to_string(run.code) + "): " + run.err);
  }

  const fs::path& cache_dir() const { return cache_.path(); }

 private:
  static std::optional<std::string> getenv_or_null(const char* name) {
    const char* value = std::getenv(name);
    return value ? std::optional<std::string>(value) : std::nullopt;
  }

  // A release in the cache as the original's names it: NAME_base.txz and NAME_MANIFEST.
  void make_release(const std::string& name) const {
    TempDir tree("fakebsd-release");
    for (const char* dir : {"bin", "etc", "tmp", "dev", "root", "usr/local"})
      fs::create_directories(tree.path() / dir);
    write_text(tree.path() / "etc" / "motd", "FreeBSD 14.1-RELEASE (fake)\n");
    fs::path archive = cache_.path() / (name + "_base.txz");
    PotRun tar = run_captured("tar", {"-C", tree.path().string(), "-cJf", archive.string(), "."});
    if (!tar.ok()) throw std::runtime_error("making the fake release: " + tar.err);
    PotRun sum = run_captured("sha256sum", {archive.string()});
    write_text(cache_.path() / (name + "_MANIFEST"),
               "base.txz\t" + sum.out.substr(0, 64) + "\t42\tbase\t\"Base system\"\ton\n");
  }

  static PotRun run_captured(const std::string& program, const std::vector<std::string>& args,
                             const std::string& input = {}) {
    TempDir io("fakebsd-io");
    fs::path in = io.path() / "in", out = io.path() / "out", err = io.path() / "err";
    write_text(in, input);
    pid_t pid = ::fork();
    if (pid == 0) {
      if (!std::freopen(in.c_str(), "r", stdin) || !std::freopen(out.c_str(), "w", stdout) ||
          !std::freopen(err.c_str(), "w", stderr))
        ::_exit(126);
      std::vector<char*> argv{const_cast<char*>(program.c_str())};
      for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    PotRun run;
    run.code = wait_exit_code(pid);
    run.out = read_text(out);
    run.err = read_text(err);
    return run;
  }

  TempDir cache_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace pot::testing
