#include "pot/run_state.h"

#include "core/error.h"
#include "core/file_util.h"
#include "core/process.h"

namespace pot {

fs::path state_path(const Settings& settings, const std::string& pot) {
  return settings.run_dir() / (pot + ".state");
}

fs::path log_path(const Settings& settings, const std::string& pot) {
  return settings.run_dir() / (pot + ".log");
}

FileLock lock_pot(const Settings& settings, const std::string& pot) {
  return FileLock::acquire(settings.run_dir() / (pot + ".lock"));
}

FileLock lock_existing_pot(const Settings& settings, const std::string& pot) {
  return FileLock::acquire_existing(settings.run_dir() / (pot + ".lock"));
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
