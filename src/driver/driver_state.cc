#include "driver/driver_state.h"

#include <cstdint>
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
  // A path or argument that is not UTF-8 (POT_FS_ROOT can be any bytes) is written with
  // replacement characters rather than failing the start: the state stays readable.
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// An integer field within [min, max]: a float, a bool or an out-of-range number is malformed.
static int64_t integer(const json& j, const char* key, int64_t min, int64_t max) {
  const json& value = j.at(key);
  if (!value.is_number_integer())
    throw Error(std::string("task handle's driver state is malformed: `") + key +
                "` is not an integer");
  if (value.is_number_unsigned() && value.get<uint64_t>() > static_cast<uint64_t>(max))
    throw Error(std::string("task handle's driver state is malformed: `") + key +
                "` is out of range");
  int64_t number = value.get<int64_t>();
  if (number < min || number > max)
    throw Error(std::string("task handle's driver state is malformed: `") + key +
                "` is out of range");
  return number;
}

DriverState DriverState::decode(const std::string& text) {
  if (text.empty()) throw Error("task handle has no driver state");
  try {
    json j = json::parse(text);
    int64_t version = integer(j, "version", 0, 1000000);
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
        std::chrono::nanoseconds(integer(j, "started_at_ns", 0, INT64_MAX))));
    s.network.address = j.at("address").get<std::string>();
    const json& ports = j.at("port_map");
    if (!ports.is_object())
      throw Error("task handle's driver state is malformed: `port_map` is not an object");
    for (const auto& [label, port] : ports.items())
      s.network.port_map[label] = static_cast<int>(integer(ports, label.c_str(), 1, 65535));
    s.config = config_from_json(j.at("config"));
    return s;
  } catch (const json::exception& e) {
    throw Error(std::string("task handle's driver state is malformed: ") + e.what());
  }
}

}  // namespace pot::driver
