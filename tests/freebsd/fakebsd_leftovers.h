// What pot's runs left on a fake FreeBSD host, read from the fakes' state and the disk (never
// by asking pot): one line per thing. Used after a host's pots were destroyed (or its tasks
// ended), when nothing of a run may be left.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "freebsd_host.h"

namespace pot::testing {

// Every process alive now, but `ignored` ones, whose environment names this host's fake
// state: what pot left running (a monitor, a keeper, a jexec'd command). The test process
// itself set FAKEBSD_STATE after it started, so its own /proc environ does not show it.
inline std::vector<pid_t> processes_of_host(const FakeFreeBSD& bsd,
                                            const std::set<pid_t>& ignored = {}) {
  std::string mark = "FAKEBSD_STATE=" + bsd.state_dir().string();
  std::vector<pid_t> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    pid_t pid = std::stoi(name);
    if (pid == ::getpid() || ignored.contains(pid)) continue;
    std::string text, env;
    try {
      std::ifstream stat(entry.path() / "stat");
      text.assign(std::istreambuf_iterator<char>(stat), {});
      std::ifstream environ(entry.path() / "environ");
      env.assign(std::istreambuf_iterator<char>(environ), {});
    } catch (const std::exception&) {
      continue;  // it exited while we read it
    }
    size_t close = text.rfind(')');
    if (close == std::string::npos || text.substr(close + 2, 1) == "Z") continue;
    std::istringstream vars(env);
    for (std::string var; std::getline(vars, var, '\0');) {
      if (var == mark) {
        found.push_back(pid);
        break;
      }
    }
  }
  return found;
}

// A dataset, snapshot or directory name of one of the `kept` pots.
inline bool of_kept_pot(const std::string& name, const std::set<std::string>& kept) {
  for (const auto& pot : kept) {
    if (name == pot || name.starts_with(pot + "/") || name.starts_with(pot + "@")) return true;
  }
  return false;
}

// What is left of any pot run (and of any pot but the `kept` ones): jails, epairs, pot-rdr
// rules, rctl rules, cpusets, mounts, datasets and snapshots under zroot/pot/jails,
// directories in jails/, run files, and processes (but `ignored` ones) of the host.
inline std::vector<std::string> host_leftovers(const FreeBsdHost& bsd,
                                               const std::set<std::string>& kept = {},
                                               const std::set<pid_t>& ignored = {}) {
  const std::string jails_dataset = "zroot/pot/jails/";
  std::vector<std::string> left;
  nlohmann::json state = bsd.state();
  // Copies: items() of a temporary would dangle.
  const nlohmann::json jails = state.value("jails", nlohmann::json::object());
  const nlohmann::json interfaces = state.value("interfaces", nlohmann::json::object());
  const nlohmann::json rctl = state.value("rctl", nlohmann::json::array());
  const nlohmann::json cpusets = state.value("cpusets", nlohmann::json::object());
  for (const auto& [name, jail] : jails.items()) left.push_back("jail " + name);
  for (const auto& [name, iface] : interfaces.items())
    if (name.starts_with("epair")) left.push_back("interface " + name);
  if (state.contains("pf")) {
    for (const auto& [anchor, ignored_rules] : state["pf"]["anchors"].items()) {
      if (!anchor.starts_with("pot-rdr")) continue;
      for (const auto& rule : bsd.anchor_rules(anchor))
        left.push_back("pf anchor " + anchor + ": " + rule);
    }
  }
  for (const auto& rule : rctl) left.push_back("rctl rule " + rule.dump());
  for (const auto& [jid, cpus] : cpusets.items()) left.push_back("cpuset of jail " + jid);
  for (const auto& mount : bsd.mounts()) left.push_back("mount " + mount.target);
  if (state.contains("zfs")) {
    for (const char* kind : {"datasets", "snapshots"}) {
      for (const auto& [name, ignored_entry] : state["zfs"][kind].items()) {
        if (name.starts_with(jails_dataset) &&
            !of_kept_pot(name.substr(jails_dataset.size()), kept))
          left.push_back("zfs " + name);
      }
    }
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(bsd.fs_root() / "jails", ec)) {
    if (!kept.contains(entry.path().filename().string()))
      left.push_back("directory " + entry.path().string());
  }
  // run/ holds a pot's files (NAME.lock, NAME.state, NAME.log...) beside shared directories.
  for (const auto& entry : fs::directory_iterator(bsd.fs_root() / "run", ec)) {
    std::string name = entry.path().filename();
    bool kept_pot_file = std::any_of(kept.begin(), kept.end(), [&](const std::string& pot) {
      return name.starts_with(pot + ".");
    });
    if (!entry.is_directory(ec) && !kept_pot_file) left.push_back("run file " + name);
  }
  for (pid_t pid : processes_of_host(bsd, ignored))
    left.push_back("process " + std::to_string(pid));
  return left;
}

}  // namespace pot::testing
