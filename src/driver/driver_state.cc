#include "driver/driver_state.h"

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace pot::driver {

using nlohmann::json;

static json config_json(const TaskConfig& c) {
  return {{"image", c.image},
          {"pot", c.pot},
          {"tag", c.tag},
          {"command", c.command},
          {"args", c.args},
          {"port_map", c.port_map},
          {"network_mode", c.network_mode},
          {"copy", c.copy},
          {"mount", c.mount},
          {"mount_read_only", c.mount_read_only},
          {"extra_hosts", c.extra_hosts},
          {"attributes", c.attributes}};
}

static TaskConfig config_from_json(const json& j) {
  TaskConfig c;
  c.image = j.at("image").get<std::string>();
  c.pot = j.at("pot").get<std::string>();
  c.tag = j.at("tag").get<std::string>();
  c.command = j.at("command").get<std::string>();
  c.args = j.at("args").get<std::vector<std::string>>();
  c.port_map = j.at("port_map").get<std::map<std::string, std::string>>();
  c.network_mode = j.at("network_mode").get<std::string>();
  c.copy = j.at("copy").get<std::vector<std::string>>();
  c.mount = j.at("mount").get<std::vector<std::string>>();
  c.mount_read_only = j.at("mount_read_only").get<std::vector<std::string>>();
  c.extra_hosts = j.at("extra_hosts").get<std::vector<std::string>>();
  c.attributes = j.at("attributes").get<std::vector<std::string>>();
  return c;
}

std::string DriverState::encode() const {
  json j = {
      {"version", kVersion},
      {"task_id", task_id},
      {"task_name", task_name},
      {"alloc_id", alloc_id},
      {"pot", pot},
      {"fs_root", fs_root},
      {"started_at_ns",
       std::chrono::duration_cast<std::chrono::nanoseconds>(started_at.time_since_epoch()).count()},
      {"address", network.address},
      {"port_map", network.port_map},
      {"config", config_json(config)}};
  return j.dump();
}

DriverState DriverState::decode(const std::string& text) {
  if (text.empty()) throw Error("task handle has no driver state");
  try {
    json j = json::parse(text);
    int version = j.at("version").get<int>();
    if (version != kVersion)
      throw Error("task handle's driver state has version " + std::to_string(version) +
                  ", this driver reads " + std::to_string(kVersion));
    DriverState s;
    s.task_id = j.at("task_id").get<std::string>();
    s.task_name = j.at("task_name").get<std::string>();
    s.alloc_id = j.at("alloc_id").get<std::string>();
    s.pot = j.at("pot").get<std::string>();
    s.fs_root = j.at("fs_root").get<std::string>();
    s.started_at = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
        std::chrono::nanoseconds(j.at("started_at_ns").get<int64_t>())));
    s.network.address = j.at("address").get<std::string>();
    s.network.port_map = j.at("port_map").get<std::map<std::string, int>>();
    s.config = config_from_json(j.at("config"));
    return s;
  } catch (const json::exception& e) {
    throw Error(std::string("task handle's driver state is malformed: ") + e.what());
  }
}

}  // namespace pot::driver
