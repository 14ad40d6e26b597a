// This machine as Nomad's client would fingerprint it, and the Node documents of the API.
// CPU: cores (processor entries of /proc/cpuinfo) times MHz (cpufreq's maximum, else the
// cpuinfo "cpu MHz" line, else 1000); memory: MemTotal of /proc/meminfo.
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "agent/scheduler/node.h"

namespace pot::agent {
namespace {

using Json = nlohmann::ordered_json;

std::string trimmed(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\"");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\"\r\n");
  return text.substr(begin, end - begin + 1);
}

// "key : value" lines (cpuinfo, meminfo) or key=value (os-release): the first value of key.
std::string first_value(const std::string& path, const std::string& key, char separator) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const auto cut = line.find(separator);
    if (cut == std::string::npos) continue;
    if (trimmed(line.substr(0, cut)) == key) return trimmed(line.substr(cut + 1));
  }
  return "";
}

int count_cores() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  int cores = 0;
  while (std::getline(in, line)) {
    if (line.rfind("processor", 0) == 0) ++cores;
  }
  if (cores == 0) cores = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return cores > 0 ? cores : 1;
}

int64_t cpu_mhz_per_core() {
  std::ifstream max_freq("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq");
  int64_t khz = 0;
  if (max_freq >> khz && khz > 0) return khz / 1000;
  try {
    const double mhz = std::stod(first_value("/proc/cpuinfo", "cpu MHz", ':'));
    if (mhz > 0) return static_cast<int64_t>(mhz);
  } catch (const std::exception&) {
  }
  return 1000;
}

int64_t memory_total_mb() {
  const std::string value = first_value("/proc/meminfo", "MemTotal", ':');  // "16318812 kB"
  try {
    return std::stoll(value) / 1024;
  } catch (const std::exception&) {
    return 0;
  }
}

std::string nomad_arch(const std::string& machine) {
  if (machine == "x86_64") return "amd64";
  if (machine == "aarch64") return "arm64";
  if (machine == "i686" || machine == "i386") return "386";
  return machine;
}

std::string address_of(const NodeInfo& node) {
  auto it = node.attributes.find("unique.network.ip-address");
  if (it != node.attributes.end() && !it->second.empty()) return it->second;
  return "127.0.0.1";
}

Json drivers_json(const NodeInfo& node) {
  Json driver_attributes = Json::object();
  for (const auto& [key, value] : node.attributes) {
    if (key.rfind("driver.pot", 0) == 0) driver_attributes[key] = value;
  }
  return {{"pot",
           {{"Attributes", driver_attributes},
            {"Detected", true},
            {"Healthy", true},
            {"HealthDescription", "Healthy"},
            {"UpdateTime", nullptr}}}};
}

Json string_map(const std::map<std::string, std::string>& map) {
  Json object = Json::object();
  for (const auto& [key, value] : map) object[key] = value;
  return object;
}

}  // namespace

NodeInfo fingerprint_node(NodeInfo base) {
  NodeInfo node = std::move(base);
  const int cores = count_cores();
  const int64_t mhz = cpu_mhz_per_core();
  node.cpu_mhz = cores * mhz;
  node.memory_mb = memory_total_mb();

  std::map<std::string, std::string> found;
  utsname names{};
  if (uname(&names) == 0) {
    std::string kernel = names.sysname;
    for (auto& c : kernel) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    found["kernel.name"] = kernel;
    found["kernel.version"] = names.release;
    found["cpu.arch"] = nomad_arch(names.machine);
  }
  char hostname[256] = {};
  if (gethostname(hostname, sizeof(hostname) - 1) == 0) found["unique.hostname"] = hostname;
  found["os.name"] = first_value("/etc/os-release", "ID", '=');
  found["os.version"] = first_value("/etc/os-release", "VERSION_ID", '=');
  found["cpu.numcores"] = std::to_string(cores);
  found["cpu.frequency"] = std::to_string(mhz);
  found["cpu.totalcompute"] = std::to_string(node.cpu_mhz);
  found["cpu.modelname"] = first_value("/proc/cpuinfo", "model name", ':');
  found["memory.totalbytes"] = std::to_string(node.memory_mb * 1024 * 1024);
  found["unique.network.ip-address"] = "127.0.0.1";
  found["driver.pot"] = "1";
  found["nomad.version"] = "potd";
  // What the caller already set (an operator's address, say) wins over what was found.
  for (const auto& [key, value] : node.attributes) found[key] = value;
  node.attributes = std::move(found);
  return node;
}

nlohmann::ordered_json node_json(const NodeInfo& node, uint64_t create_index,
                                 uint64_t modify_index) {
  Json json = Json::object();
  json["ID"] = node.id;
  json["SecretID"] = "";
  json["Datacenter"] = node.datacenter;
  json["Name"] = node.name;
  json["HTTPAddr"] = node.http_address;
  json["TLSEnabled"] = false;
  json["Attributes"] = string_map(node.attributes);
  json["NodeResources"] = {{"Cpu", {{"CpuShares", node.cpu_mhz}}},
                           {"Memory", {{"MemoryMB", node.memory_mb}}},
                           {"Disk", {{"DiskMB", 0}}},
                           {"Networks", nullptr},
                           {"Devices", nullptr},
                           {"MinDynamicPort", 20000},
                           {"MaxDynamicPort", 32000}};
  json["ReservedResources"] = {{"Cpu", {{"CpuShares", node.reserved_cpu_mhz}}},
                               {"Memory", {{"MemoryMB", node.reserved_memory_mb}}},
                               {"Disk", {{"DiskMB", 0}}},
                               {"Networks", {{"ReservedHostPorts", ""}}}};
  json["Links"] = nullptr;
  json["Meta"] = string_map(node.meta);
  json["NodeClass"] = node.node_class;
  json["NodePool"] = node.node_pool;
  json["CgroupParent"] = "";
  json["Drain"] = false;
  json["DrainStrategy"] = nullptr;
  json["SchedulingEligibility"] = "eligible";
  json["Status"] = "ready";
  json["StatusDescription"] = "";
  json["Drivers"] = drivers_json(node);
  json["HostVolumes"] = nullptr;
  json["HostNetworks"] = nullptr;
  json["LastDrain"] = nullptr;
  json["CreateIndex"] = create_index;
  json["ModifyIndex"] = modify_index;
  return json;
}

nlohmann::ordered_json node_stub_json(const NodeInfo& node, uint64_t create_index,
                                      uint64_t modify_index) {
  Json json = Json::object();
  json["Address"] = address_of(node);
  json["ID"] = node.id;
  json["Attributes"] = nullptr;
  json["Datacenter"] = node.datacenter;
  json["Name"] = node.name;
  json["NodeClass"] = node.node_class;
  json["NodePool"] = node.node_pool;
  auto version = node.attributes.find("nomad.version");
  json["Version"] = version != node.attributes.end() ? version->second : "potd";
  json["Drain"] = false;
  json["SchedulingEligibility"] = "eligible";
  json["Status"] = "ready";
  json["StatusDescription"] = "";
  json["Drivers"] = drivers_json(node);
  json["NodeResources"] = nullptr;
  json["ReservedResources"] = nullptr;
  json["LastDrain"] = nullptr;
  json["CreateIndex"] = create_index;
  json["ModifyIndex"] = modify_index;
  return json;
}

}  // namespace pot::agent
