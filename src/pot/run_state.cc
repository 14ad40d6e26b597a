#include "pot/run_state.h"

#include <unistd.h>

#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "core/process.h"

namespace pot {

fs::path state_path(const Settings& settings, const std::string& pot) {
  return settings.run_dir() / (pot + ".state");
}

fs::path log_path(const Settings& settings, const std::string& pot) {
  return settings.run_dir() / (pot + ".log");
}

fs::path pot_lock_path(const Settings& settings, const std::string& pot) {
  return settings.run_dir() / (pot + ".lock");
}

fs::path base_lock_path(const Settings& settings, const std::string& base) {
  return settings.run_dir() / "bases" / (base + ".lock");
}

fs::path global_lock_path(const Settings& settings, const std::string& what) {
  return settings.run_dir() / "global" / (what + ".lock");
}

FileLock lock_pot(const Settings& settings, const std::string& pot) {
  FileLock lock = FileLock::acquire(pot_lock_path(settings, pot));
  if (::access(settings.conf_path(pot).c_str(), F_OK) != 0) {
    remove_pot_lock_file(settings, pot);
    throw Error("pot " + quote_name(pot) + " not found");
  }
  return lock;
}

FileLock lock_new_pot(const Settings& settings, const std::string& pot) {
  return FileLock::acquire(pot_lock_path(settings, pot));
}

FileLock lock_existing_pot(const Settings& settings, const std::string& pot) {
  return FileLock::acquire_existing(pot_lock_path(settings, pot));
}

void remove_run_files(const Settings& settings, const std::string& pot) {
  std::error_code ec;
  fs::remove(state_path(settings, pot), ec);
  fs::remove(log_path(settings, pot), ec);
  // Rotated logs, <pot>.log.<n> (a monitor killed mid-rotation may leave a gap), and a state
  // file a killed command was writing, <pot>.state.tmp.<pid>: exactly these names (a pot
  // may be called `x.log.5`, and its files are not ours).
  std::string rotated = pot + ".log.", temp = pot + ".state.tmp.";
  for (const auto& entry : fs::directory_iterator(settings.run_dir(), ec)) {
    std::string file = entry.path().filename().string();
    auto numbered = [&](const std::string& prefix) {
      return file.starts_with(prefix) &&
             to_unsigned(std::string_view(file).substr(prefix.size())).has_value();
    };
    if (numbered(rotated) || (numbered(temp) && is_abandoned_temp_file(file)))
      fs::remove(entry.path(), ec);
  }
}

std::string pot_of_run_file(std::string_view file) {
  auto strip = [&](std::string_view suffix) -> std::optional<std::string_view> {
    if (file.size() > suffix.size() && file.ends_with(suffix))
      return file.substr(0, file.size() - suffix.size());
    return std::nullopt;
  };
  for (std::string_view suffix : {".lock", ".state", ".log"}) {
    if (auto name = strip(suffix)) return std::string(*name);
  }
  // A numbered suffix: .log.<n> or .state.tmp.<pid>.
  size_t dot = file.rfind('.');
  if (dot == std::string_view::npos || !to_unsigned(file.substr(dot + 1))) return {};
  std::string_view head = file.substr(0, dot);
  for (std::string_view suffix : {".log", ".state.tmp"}) {
    if (head.size() > suffix.size() && head.ends_with(suffix))
      return std::string(head.substr(0, head.size() - suffix.size()));
  }
  return {};
}

void remove_pot_lock_file(const Settings& settings, const std::string& pot) {
  // Whoever waits for this lock sees that its file was unlinked and takes a new one.
  std::error_code ec;
  fs::remove(pot_lock_path(settings, pot), ec);
}

RunState RunState::load(const Settings& settings, const std::string& pot) {
  RunState state;
  auto text = read_file_if_exists(state_path(settings, pot));
  if (!text) return state;
  auto values = parse_shell_assignments(*text);
  state.boot = values["boot"];
  if (state.boot != boot_id()) return RunState{};  // written before a reboot: nothing runs
  auto status = parse_status(values["status"]);
  if (!status) throw Error("corrupt state file for pot " + quote_name(pot));
  state.status = *status;
  auto number = [&](const char* key) { return std::strtoull(values[key].c_str(), nullptr, 10); };
  state.monitor_pid = static_cast<pid_t>(number("monitor_pid"));
  state.monitor_start = number("monitor_start");
  state.init_pid = static_cast<pid_t>(number("init_pid"));
  state.init_start = number("init_start");
  state.own_network = values["own_network"] != "0";
  state.cgroup_version = values["cgroup"];
  state.network = values["network"];
  return state;
}

void RunState::save(const Settings& settings, const std::string& pot) const {
  std::string text =
      "status=" + std::string(to_string(status)) + "\n" +
      "monitor_pid=" + std::to_string(monitor_pid) + "\n" +
      "monitor_start=" + std::to_string(monitor_start) + "\n" +
      "init_pid=" + std::to_string(init_pid) + "\n" + "init_start=" + std::to_string(init_start) +
      "\n" + "own_network=" + (own_network ? "1" : "0") + "\n" + "cgroup=" + cgroup_version + "\n" +
      "network='" + network + "'\n" + "boot=" + boot_id() + "\n";
  write_file_atomic(state_path(settings, pot), text, 0600, Durability::kVolatile);
}

bool RunState::init_alive() const {
  return init_pid > 0 && process_alive(init_pid, init_start);
}
bool RunState::monitor_alive() const {
  return monitor_pid > 0 && process_alive(monitor_pid, monitor_start);
}

}  // namespace pot
