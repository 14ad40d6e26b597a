#include "nomad/config_codec.h"

#include <charconv>
#include <cmath>

#include "core/error.h"

namespace pot::nomad {

namespace {

// Reads the attributes of one configuration object, naming `block` in errors.
class ObjectReader {
 public:
  ObjectReader(const CtyValue& value, std::string block) : block_(std::move(block)) {
    if (value.is_null()) return;  // an absent block: every attribute absent
    map_ = value.if_map();
    if (map_ == nullptr)
      throw Error(block_ + ": expected an object, got " + std::string(value.kind_name()));
  }

  const CtyValue* find(std::string_view key) const {
    if (map_ == nullptr) return nullptr;
    auto it = map_->find(key);
    if (it == map_->end() || it->second.is_null()) return nullptr;
    if (it->second.is_unknown())
      throw Error(label(key) + ": the value is not known yet (unknown value)");
    return &it->second;
  }

  std::string string(std::string_view key, bool required = false) const {
    const CtyValue* v = find(key);
    if (v == nullptr) {
      if (required) throw Error(label(key) + ": required, but not given");
      return "";
    }
    return as_string(*v, label(key));
  }

  bool boolean(std::string_view key, bool fallback) const {
    const CtyValue* v = find(key);
    if (v == nullptr) return fallback;
    if (const bool* b = v->if_bool()) return *b;
    if (const std::string* s = v->if_string()) {  // cty converts "true" to a bool
      if (*s == "true") return true;
      if (*s == "false") return false;
    }
    throw Error(label(key) + ": expected a bool, got " + std::string(v->kind_name()));
  }

  std::vector<std::string> strings(std::string_view key) const {
    std::vector<std::string> out;
    const CtyValue* v = find(key);
    if (v == nullptr) return out;
    const CtyValue::List* list = v->if_list();
    if (list == nullptr)
      throw Error(label(key) + ": expected a list of strings, got " + std::string(v->kind_name()));
    for (size_t i = 0; i < list->size(); ++i)
      out.push_back(as_string((*list)[i], label(key) + "[" + std::to_string(i) + "]"));
    return out;
  }

  std::string label(std::string_view key) const { return block_ + ": `" + std::string(key) + "`"; }

  // A string, or a number as cty writes it in a string (cty converts between the two).
  static std::string as_string(const CtyValue& v, const std::string& label) {
    if (const std::string* s = v.if_string()) return *s;
    if (const CtyValue::Number* n = v.if_number()) {
      if (const int64_t* i = std::get_if<int64_t>(n)) return std::to_string(*i);
      double d = std::get<double>(*n);
      if (std::isfinite(d)) {
        char text[64];  // the shortest text that reads back as d
        auto [end, ec] = std::to_chars(text, text + sizeof text, d);
        if (ec == std::errc()) return std::string(text, end);
      }
    }
    if (const bool* b = v.if_bool()) return *b ? "true" : "false";
    throw Error(label + ": expected a string, got " + std::string(v.kind_name()));
  }

 private:
  std::string block_;
  const CtyValue::Map* map_ = nullptr;
};

// port_map = { http = "80" } (the seed's form), or port_map = [{ http = "80" }] and the
// block form `port_map { http = 80 }` (a list of objects), as the original driver took it.
std::map<std::string, std::string> decode_port_map(const ObjectReader& reader) {
  std::map<std::string, std::string> ports;
  const CtyValue* value = reader.find("port_map");
  if (value == nullptr) return ports;
  std::string label = reader.label("port_map");
  auto add_object = [&](const CtyValue& object, const std::string& where) {
    const CtyValue::Map* map = object.if_map();
    if (map == nullptr)
      throw Error(where + ": expected an object of port label = port, got " +
                  std::string(object.kind_name()));
    for (const auto& [port_label, port] : *map) {
      std::string text = ObjectReader::as_string(port, where + "." + port_label);
      if (!ports.emplace(port_label, text).second)
        throw Error(where + ": port label `" + port_label + "` is mapped twice");
    }
  };
  if (value->if_map() != nullptr) {
    add_object(*value, label);
  } else if (const CtyValue::List* list = value->if_list()) {
    for (size_t i = 0; i < list->size(); ++i)
      add_object((*list)[i], label + "[" + std::to_string(i) + "]");
  } else {
    throw Error(label + ": expected an object or a list of objects, got " +
                std::string(value->kind_name()));
  }
  return ports;
}

}  // namespace

driver::TaskConfig decode_task_config(const CtyValue& value) {
  ObjectReader r(value, "task config");
  driver::TaskConfig c;
  c.image = r.string("image", /*required=*/true);
  c.pot = r.string("pot", /*required=*/true);
  c.tag = r.string("tag", /*required=*/true);
  c.command = r.string("command");
  c.args = r.strings("args");
  c.port_map = decode_port_map(r);
  c.network_mode = r.string("network_mode");
  c.copy = r.strings("copy");
  c.mount = r.strings("mount");
  c.mount_read_only = r.strings("mount_read_only");
  c.extra_hosts = r.strings("extra_hosts");
  c.attributes = r.strings("attributes");
  return c;
}

PluginConfig decode_plugin_config(const CtyValue& value) {
  ObjectReader r(value, "plugin config");
  PluginConfig c;
  c.enabled = r.boolean("enabled", true);
  c.signing_key = r.string("signing_key");
  c.host_paths = r.strings("host_paths");
  c.pot_path = r.string("pot_path");
  // Attribute -> the POT_* setting it overrides.
  static const std::pair<const char*, const char*> kSettings[] = {
      {"fs_root", "POT_FS_ROOT"}, {"network", "POT_NETWORK"}, {"gateway", "POT_GATEWAY"},
      {"extif", "POT_EXTIF"},     {"dns_ip", "POT_DNS_IP"},   {"cgroup", "POT_CGROUP"},
      {"storage", "POT_STORAGE"},
  };
  for (const auto& [attribute, setting] : kSettings) {
    std::string text = r.string(attribute);
    if (!text.empty()) c.pot_settings[setting] = text;
  }
  return c;
}

}  // namespace pot::nomad
