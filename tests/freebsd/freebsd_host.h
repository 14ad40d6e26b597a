// A test's FreeBSD host: the fake base system (fake_freebsd.h) with `pot` run as the FreeBSD
// platform on it (POT_PLATFORM=freebsd, POT_ZFS_ROOT=zroot/pot), and a FreeBSD release in
// POT_CACHE (a small base.txz made with tar and xz, and its MANIFEST), so that
// `pot create-base -r 14.1` works as on a real host whose cache holds the release.
// calls_in_order checks the recorded calls against the original's sequence, and
// nothing_left_of that a stop or destroy took away everything a start made.
#pragma once

#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

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
  // The release's /bin/freebsd-version USERLAND_VERSION.
  static inline const std::string kReleaseUserland = "14.1-RELEASE-p5";

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

  // `pot start -p POT`, returning once the pot's command was handed to jexec: the monitor
  // does that after `pot start` returns, and a test reading calls.log must not race it.
  PotRun start(const std::string& pot_name) const {
    const CallPattern command{"jexec", pot_name, "/usr/bin/env", "-i", "..."};
    std::size_t before = calls_matching(command).size();
    PotRun run = pot({"start", "-p", pot_name});
    if (!run.ok()) return run;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (calls_matching(command).size() == before) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error("pot " + pot_name + "'s command was never jexec'd");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return run;
  }

  // Runs a fake base-system command as the host's admin would (`ifconfig NAME destroy`):
  // recorded in calls.log like the backend's.
  PotRun run_fake(const std::string& command, const std::vector<std::string>& args) const {
    return run_captured(std::string(POT_FAKEBSD_DIR) + "/" + command, args);
  }

  // A call pattern for calls_in_order: each word matches one argument exactly, except "*"
  // (any one word), "PREFIX*" (a word starting with PREFIX) and a last word "..." (any
  // arguments left, none included).
  using CallPattern = std::vector<std::string>;

  // Success when the recorded calls contain `expected` in this order, other calls between
  // them allowed (the backend's questions — zfs list, jls, ifconfig NAME — interleave). On
  // failure the message shows the first pattern not found after the previous match, and
  // both lists.
  ::testing::AssertionResult calls_in_order(const std::vector<CallPattern>& expected) const {
    std::vector<Call> recorded = calls();
    std::size_t next = 0;
    for (std::size_t i = 0; i < expected.size(); ++i) {
      while (next < recorded.size() && !call_matches(expected[i], recorded[next])) ++next;
      if (next == recorded.size()) {
        std::ostringstream message;
        message << "expected call #" << i + 1 << " " << format_call(expected[i])
                << " not found in order\nexpected (in order):\n";
        for (const auto& pattern : expected) message << "  " << format_call(pattern) << "\n";
        message << "recorded:\n";
        for (const auto& call : recorded) message << "  " << format_call(call) << "\n";
        return ::testing::AssertionFailure() << message.str();
      }
      ++next;
    }
    return ::testing::AssertionSuccess();
  }

  // The recorded calls matching `pattern` (same syntax as calls_in_order).
  std::vector<Call> calls_matching(const CallPattern& pattern) const {
    std::vector<Call> found;
    for (Call& call : calls()) {
      if (call_matches(pattern, call)) found.push_back(std::move(call));
    }
    return found;
  }

  static bool call_matches(const CallPattern& pattern, const Call& call) {
    std::size_t i = 0;
    for (; i < pattern.size(); ++i) {
      const std::string& word = pattern[i];
      if (word == "..." && i + 1 == pattern.size()) return true;
      if (i >= call.size()) return false;
      if (word == "*") continue;
      if (word.size() > 1 && word.back() == '*') {
        if (call[i].rfind(word.substr(0, word.size() - 1), 0) != 0) return false;
        continue;
      }
      if (word != call[i]) return false;
    }
    return i == call.size();
  }

  static std::string format_call(const std::vector<std::string>& call) {
    std::string text;
    for (const auto& word : call) {
      if (!text.empty()) text += ' ';
      text += word.find(' ') == std::string::npos ? word : "'" + word + "'";
    }
    return text;
  }

  // The rctl rules the fakes hold ("jail:web:memoryuse:deny=67108864").
  std::vector<std::string> rctl_rules() const { return strings_at(state(), "rctl"); }
  // The interfaces that exist now, on the host or in a jail.
  std::vector<std::string> interface_names() const { return keys_at(state(), "interfaces"); }
  // The loaded pf anchors (flushed ones are gone).
  std::vector<std::string> anchor_names() const {
    nlohmann::json json = state();
    return json.contains("pf") ? keys_at(json["pf"], "anchors") : std::vector<std::string>{};
  }
  // The jail's id as the fakes gave it; -1 when there is no such jail.
  int jail_id(const std::string& jail) const {
    nlohmann::json json = state();
    if (!has_jail(jail)) return -1;
    return json["jails"][jail]["jid"].get<int>();
  }

  // Everything a start of `pot` made is gone: its jail, any interface or pf anchor naming
  // it, its rctl rules, any mount under its directory, any cpuset. The test's failure lists
  // what is left.
  ::testing::AssertionResult nothing_left_of(const std::string& pot) const {
    std::vector<std::string> left;
    if (has_jail(pot)) left.push_back("jail " + pot);
    nlohmann::json json = state();
    if (json.contains("interfaces")) {
      for (const auto& [name, iface] : json["interfaces"].items()) {
        if (iface.value("kind", "") == "epair") left.push_back("epair " + name);
      }
    }
    for (const auto& anchor : anchor_names()) {
      if (anchor.rfind("pot-rdr/", 0) == 0 && !anchor_rules(anchor).empty())
        left.push_back("pf anchor " + anchor);
    }
    for (const auto& rule : rctl_rules()) {
      if (rule.find(":" + pot + ":") != std::string::npos) left.push_back("rctl rule " + rule);
    }
    std::string pot_dir = (fs_root() / "jails" / pot).string();
    for (const auto& mount : mounts()) {
      if (mount.target == pot_dir || mount.target.rfind(pot_dir + "/", 0) == 0)
        left.push_back(mount.type + " mount on " + mount.target);
    }
    if (json.contains("cpusets") && !json["cpusets"].empty())
      left.push_back("cpuset " + json["cpusets"].dump());
    if (left.empty()) return ::testing::AssertionSuccess();
    ::testing::AssertionResult failure = ::testing::AssertionFailure();
    failure << "left of pot " << pot << ":";
    for (const auto& thing : left) failure << "\n  " << thing;
    return failure;
  }

 private:
  static std::vector<std::string> strings_at(const nlohmann::json& json, const char* key) {
    if (!json.contains(key)) return {};
    return json[key].get<std::vector<std::string>>();
  }
  static std::vector<std::string> keys_at(const nlohmann::json& json, const char* key) {
    std::vector<std::string> keys;
    if (!json.contains(key)) return keys;
    for (const auto& [name, value] : json[key].items()) keys.push_back(name);
    return keys;
  }

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
    // What the jail's osrelease is read from, as the original's _get_os_release.
    write_text(tree.path() / "bin" / "freebsd-version",
               "#!/bin/sh\nUSERLAND_VERSION=\"" + kReleaseUserland + "\"\n");
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
