// A test's own fake FreeBSD system: the fake base-system commands of tests/freebsd/fakes
// (zfs, jail, jexec, jls, ifconfig, pfctl, rctl, cpuset, mount_nullfs, mount, umount,
// sysctl, kldload, sysrc, service) first on PATH, a fresh state directory for them
// (FAKEBSD_STATE) and a fresh POT_FS_ROOT, all undone when the object goes. The fakes'
// command line and state are described at the top of tests/freebsd/fakes/fakebsd.py.
//
//   FakeFreeBSD bsd;
//   auto commands = pot::freebsd::make_system_commands();
//   commands->check({"zfs", "create", "-p", "zroot/pot/jails/web"});
//   EXPECT_TRUE(bsd.has_dataset("zroot/pot/jails/web"));
//   EXPECT_EQ(bsd.calls_of("zfs").size(), 1u);
#pragma once

#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/process.h"
#include "test_util.h"

#ifndef POT_FAKEBSD_DIR
#error "POT_FAKEBSD_DIR (tests/freebsd/fakes) must be defined by the build"
#endif

namespace pot::testing {

class FakeFreeBSD {
 public:
  using Call = std::vector<std::string>;

  struct Mount {
    std::string type;    // nullfs, tmpfs, devfs, ...
    std::string source;  // what was mounted (a directory for nullfs)
    std::string target;  // where
    std::vector<std::string> options;
  };

  FakeFreeBSD() : state_dir_("fakebsd-state"), fs_root_("fakebsd-root") {
    save_env("PATH");
    save_env("FAKEBSD_STATE");
    save_env("POT_FS_ROOT");
    const char* path = std::getenv("PATH");
    std::string new_path =
        std::string(POT_FAKEBSD_DIR) + ":" + (path != nullptr ? path : "/usr/bin:/bin");
    ::setenv("PATH", new_path.c_str(), 1);
    ::setenv("FAKEBSD_STATE", state_dir_.str().c_str(), 1);
    ::setenv("POT_FS_ROOT", fs_root_.str().c_str(), 1);
  }
  FakeFreeBSD(const FakeFreeBSD&) = delete;
  FakeFreeBSD& operator=(const FakeFreeBSD&) = delete;
  ~FakeFreeBSD() {
    kill_jailed_processes();
    kill_processes_of_this_host();
    for (const auto& [name, value] : saved_env_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }

  const fs::path& state_dir() const { return state_dir_.path(); }
  // A fresh directory a test uses as POT_FS_ROOT (also set in the environment).
  const fs::path& fs_root() const { return fs_root_.path(); }

  // Every call the fakes saw, in order: {"zfs", "create", "-p", "zroot/pot"}.
  std::vector<Call> calls() const {
    std::vector<Call> result;
    std::ifstream log(state_dir() / "calls.log");
    std::string line;
    while (std::getline(log, line)) {
      if (!line.empty()) result.push_back(nlohmann::json::parse(line).get<Call>());
    }
    return result;
  }
  std::vector<Call> calls_of(std::string_view command) const {
    std::vector<Call> result;
    for (Call& call : calls()) {
      if (!call.empty() && call[0] == command) result.push_back(std::move(call));
    }
    return result;
  }
  void clear_calls() { fs::remove(state_dir() / "calls.log"); }

  // Makes the next call matching `rule` fail, once; the rule's format (at the top of
  // fakebsd.py) is `COMMAND [WORD...] [=> exit N MESSAGE]`, `*` matching any one word:
  //   fail_next("zfs create zroot/pot/jails/web => exit 1 cannot create: out of space");
  void fail_next(std::string_view rule) { add_fail_rule(std::string(rule) + " once"); }
  // The same, for every matching call until the test ends.
  void fail_always(std::string_view rule) { add_fail_rule(std::string(rule)); }

  // What the fakes know now (state.json; an empty object before the first call).
  nlohmann::json state() const {
    std::ifstream in(state_dir() / "state.json");
    if (!in) return nlohmann::json::object();
    return nlohmann::json::parse(in);
  }

  // Files the fakes read at their first call (see fakebsd.py): host_interfaces, pools,
  // pf.conf.
  void write_input(std::string_view name, std::string_view content) const {
    write_text(state_dir() / std::string(name), content);
  }

  bool has_dataset(std::string_view name) const {
    return contains(state(), {"zfs", "datasets"}, name) ||
           contains(state(), {"zfs", "snapshots"}, name);
  }
  bool has_jail(std::string_view name) const { return contains(state(), {"jails"}, name); }
  // An interface that exists, on the host or moved into a jail's vnet.
  bool has_interface(std::string_view name) const {
    return contains(state(), {"interfaces"}, name);
  }
  // The anchor's loaded rules, nat/rdr lines first; empty when flushed or never loaded.
  std::vector<std::string> anchor_rules(std::string_view anchor) const {
    nlohmann::json json = state();
    std::vector<std::string> rules;
    if (!contains(json, {"pf", "anchors"}, anchor)) return rules;
    const nlohmann::json& entry = json["pf"]["anchors"][std::string(anchor)];
    for (const char* kind : {"nat", "rules"}) {
      for (const auto& line : entry[kind]) rules.push_back(line.get<std::string>());
    }
    return rules;
  }
  // The mount table (not ZFS mounts): nullfs, tmpfs, devfs... in the order they were made.
  std::vector<Mount> mounts() const {
    std::vector<Mount> result;
    nlohmann::json json = state();
    if (!json.contains("mounts")) return result;
    for (const auto& entry : json["mounts"]) {
      result.push_back(Mount{entry["type"].get<std::string>(), entry["source"].get<std::string>(),
                             entry["target"].get<std::string>(),
                             entry["options"].get<std::vector<std::string>>()});
    }
    return result;
  }

 private:
  static bool contains(const nlohmann::json& json, std::initializer_list<const char*> path,
                       std::string_view key) {
    const nlohmann::json* node = &json;
    for (const char* step : path) {
      if (!node->is_object() || !node->contains(step)) return false;
      node = &(*node)[step];
    }
    return node->is_object() && node->contains(std::string(key));
  }

  void add_fail_rule(const std::string& rule) const {
    std::ofstream out(state_dir() / "fail", std::ios::app);
    out << rule << "\n";
  }

  void save_env(const char* name) {
    const char* value = std::getenv(name);
    saved_env_.emplace_back(name,
                            value != nullptr ? std::optional<std::string>(value) : std::nullopt);
  }

  // A command a test jexec'd and left running must not outlive the test: the fake jexec
  // made it a process group leader and recorded it with its start time (pid reuse).
  void kill_jailed_processes() const {
    try {
      nlohmann::json json = state();
      if (!json.contains("jails")) return;
      for (const auto& [name, jail] : json["jails"].items()) {
        for (const auto& entry : jail["pids"]) {
          auto pid = entry[0].get<pid_t>();
          if (entry[1].is_null() || process_start_time(pid) != entry[1].get<uint64_t>()) continue;
          ::kill(-pid, SIGKILL);
          ::kill(pid, SIGKILL);
        }
      }
    } catch (const std::exception&) {
      // A torn state file at teardown: nothing more can be found to kill.
    }
  }

  // A pot's monitor (and a persistent pot's keeper) that a test left running, say after a
  // failed assertion before its `pot stop`: every process whose environment names this
  // test's FAKEBSD_STATE belongs to it and must not outlive it.
  void kill_processes_of_this_host() const {
    std::string mark = "FAKEBSD_STATE=" + state_dir().string();
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
      std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      auto pid = static_cast<pid_t>(std::stol(name));
      if (pid == ::getpid()) continue;
      std::ifstream environ_file(entry.path() / "environ", std::ios::binary);
      std::string variable;
      while (std::getline(environ_file, variable, '\0')) {
        if (variable == mark) {
          ::kill(pid, SIGKILL);
          break;
        }
      }
    }
  }

  TempDir state_dir_;
  TempDir fs_root_;
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_env_;
};

}  // namespace pot::testing
