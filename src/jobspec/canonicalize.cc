// canonicalize(): what Nomad's api.Job.Canonicalize does to a job, on the JSON document.
//
// Two steps. First the document is given the exact shape Go prints for api.Job: every
// struct gets all its fields in Go declaration order (api_fields.h), nil pointers, slices
// and maps as null, other fields as their zero value, and map keys sorted as
// encoding/json sorts them. Fields the table does not know (a newer Nomad's) are kept,
// after the known ones. Then the defaults are filled in, struct by struct, in the order
// and with the inheritance rules of the Go methods (job → group → task → service), so a
// job reads the same here as in `/v1/jobs/parse` with "Canonicalize": true.
//
// Only the api package's defaults are applied. The server adds its own later (for example
// Datacenters ["*"] when empty, in structs.Job.Canonicalize); those belong to whoever
// registers the job, not to the parse.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "jobspec/api_fields.h"
#include "jobspec/jobspec.h"
#include "jobspec/json_fields.h"

namespace jobspec {

namespace {

using api::Field;
using api::Kind;
using api::Struct;

constexpr std::int64_t kSecond = 1'000'000'000;
constexpr std::int64_t kMinute = 60 * kSecond;
constexpr std::int64_t kHour = 60 * kMinute;

// Deeper free-form values (a driver's config) are left unsorted rather than recursed into.
constexpr int kMaxSortDepth = 256;

// ---------------------------------------------------------------------------------------
// Step 1: the shape.
// ---------------------------------------------------------------------------------------

Json zero_value(const Field& field) {
  if (field.nullable) return nullptr;
  switch (field.kind) {
    case Kind::String:
      return "";
    case Kind::Bool:
      return false;
    default:
      return 0;
  }
}

// Go's encoding/json prints map keys in byte order.
void sort_object(Json& object) {
  std::vector<std::pair<std::string, Json>> items;
  items.reserve(object.size());
  for (auto& [key, value] : object.items()) items.emplace_back(key, std::move(value));
  std::stable_sort(items.begin(), items.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  Json sorted = Json::object();
  for (auto& [key, value] : items) sorted[key] = std::move(value);
  object = std::move(sorted);
}

void sort_any(Json& value, int depth) {
  if (depth > kMaxSortDepth) return;
  if (value.is_object()) {
    sort_object(value);
    for (auto& [key, child] : value.items()) sort_any(child, depth + 1);
  } else if (value.is_array()) {
    for (auto& child : value) sort_any(child, depth + 1);
  }
}

void shape_struct(Json& object, const Struct& type);

void shape_field(Json& value, const Field& field) {
  switch (field.kind) {
    case Kind::Struct:
      if (value.is_object()) shape_struct(value, *field.element);
      break;
    case Kind::StructList:
      if (value.is_array()) {
        for (auto& element : value) {
          if (element.is_object()) shape_struct(element, *field.element);
        }
      }
      break;
    case Kind::StructMap:
      if (value.is_object()) {
        sort_object(value);
        for (auto& [key, element] : value.items()) {
          if (element.is_object()) shape_struct(element, *field.element);
        }
      }
      break;
    case Kind::StringMap:
    case Kind::StringListMap:
      if (value.is_object()) sort_object(value);
      break;
    case Kind::Any:
      sort_any(value, 0);
      break;
    default:
      break;
  }
}

void shape_struct(Json& object, const Struct& type) {
  Json shaped = Json::object();
  for (const Field& field : type.fields) {
    auto found = object.find(std::string(field.name));
    Json value = found == object.end() ? nullptr : std::move(*found);
    if (value.is_null()) {
      if (field.omit_when_null) continue;
      value = zero_value(field);
    }
    shape_field(value, field);
    shaped[std::string(field.name)] = std::move(value);
  }
  for (auto& [key, value] : object.items()) {
    if (type.find(key) == nullptr) shaped[key] = std::move(value);
  }
  object = std::move(shaped);
}

Json shaped(Json object, const Struct& type) {
  shape_struct(object, type);
  return object;
}

const Struct& struct_of(const Struct& parent, std::string_view field_name) {
  return *parent.find(field_name)->element;
}

// ---------------------------------------------------------------------------------------
// Step 2: the defaults. Small helpers first, named after the Go idioms they stand for.
// ---------------------------------------------------------------------------------------

// `if x.F == nil { x.F = value }`
void default_to(Json& object, const char* key, Json value) {
  if (object[key].is_null()) object[key] = std::move(value);
}

// `if x.F == "" { x.F = value }`
void default_empty_string(Json& object, const char* key, const char* value) {
  Json& field = object[key];
  if (field.is_null() || (field.is_string() && field.get_ref<const std::string&>().empty())) {
    field = value;
  }
}

// `if len(x.F) == 0 { x.F = nil }`
void empty_to_null(Json& object, const char* key) {
  Json& field = object[key];
  if ((field.is_array() || field.is_object()) && field.empty()) field = nullptr;
}

bool is_object(const Json& object, const char* key) {
  auto found = object.find(key);
  return found != object.end() && found->is_object();
}

// The pointer fields of `overlay` that are set replace those of `base` (the Merge methods
// of RestartPolicy, ReschedulePolicy, MigrateStrategy and UpdateStrategy).
Json merged(Json base, const Json& overlay) {
  for (const auto& [key, value] : overlay.items()) {
    if (!value.is_null()) base[key] = value;
  }
  return base;
}

// Fills every null field of `object` from `defaults`.
void fill_from(Json& object, const Json& defaults) {
  for (const auto& [key, value] : defaults.items()) default_to(object, key.c_str(), value);
}

template <typename Fn>
void for_each_object(Json& object, const char* key, Fn&& fn) {
  Json& list = object[key];
  if (!list.is_array()) return;
  for (Json& element : list) {
    if (element.is_object()) fn(element);
  }
}

// ---------------------------------------------------------------------------------------
// The defaults, one function per Go Canonicalize method.
// ---------------------------------------------------------------------------------------

Json default_update_strategy() {
  return {{"Stagger", 30 * kSecond},
          {"MaxParallel", 1},
          {"HealthCheck", "checks"},
          {"MinHealthyTime", 10 * kSecond},
          {"HealthyDeadline", 5 * kMinute},
          {"ProgressDeadline", 10 * kMinute},
          {"Canary", 0},
          {"AutoRevert", false},
          {"AutoPromote", false}};
}

// UpdateStrategy.Empty: no field set to a non-zero value.
bool update_is_empty(const Json& update) {
  for (const auto& [key, value] : update.items()) {
    if (value.is_number() && value != 0) return false;
    if (value.is_string() && !value.get_ref<const std::string&>().empty()) return false;
    if (value.is_boolean() && value.get<bool>()) return false;
  }
  return true;
}

Json default_reschedule_policy(const std::string& job_type) {
  if (job_type == "service") {
    return {{"Attempts", 0},         {"Interval", 0},
            {"Delay", 30 * kSecond}, {"DelayFunction", "exponential"},
            {"MaxDelay", kHour},     {"Unlimited", true}};
  }
  if (job_type == "batch") {
    return {{"Attempts", 1},        {"Interval", 24 * kHour},
            {"Delay", 5 * kSecond}, {"DelayFunction", "constant"},
            {"MaxDelay", 0},        {"Unlimited", false}};
  }
  // Other types (system and sysbatch do not reschedule) get a harmless all-zero policy.
  return {{"Attempts", 0},       {"Interval", 0}, {"Delay", 0},
          {"DelayFunction", ""}, {"MaxDelay", 0}, {"Unlimited", false}};
}

Json default_migrate_strategy() {
  return {{"MaxParallel", 1},
          {"HealthCheck", "checks"},
          {"MinHealthyTime", 10 * kSecond},
          {"HealthyDeadline", 5 * kMinute}};
}

Json default_restart_policy(const std::string& job_type) {
  bool long_running = job_type == "service" || job_type == "system";
  return {{"Interval", long_running ? 30 * kMinute : 24 * kHour},
          {"Attempts", long_running ? 2 : 3},
          {"Delay", 15 * kSecond},
          {"Mode", "fail"},
          {"RenderTemplates", false}};
}

Json default_log_config() {
  return {{"MaxFiles", 10}, {"MaxFileSizeMB", 10}, {"Disabled", false}};
}

void canonicalize_weighted(Json& affinity_or_spread) {
  default_to(affinity_or_spread, "Weight", 50);
}

void canonicalize_resources(Json& resources) {
  if (resources["Cores"].is_null()) {
    resources["Cores"] = 0;
    default_to(resources, "CPU", 100);
  }
  // With cores set and no cpu, the cpu share is 0.
  default_to(resources, "CPU", 0);
  default_to(resources, "MemoryMB", 300);
  for_each_object(resources, "Devices", [](Json& device) {
    default_to(device, "Count", 1);
    for_each_object(device, "Affinities", canonicalize_weighted);
  });
  if (is_object(resources, "NUMA")) {
    Json& numa = resources["NUMA"];
    default_empty_string(numa, "Affinity", "none");
    empty_to_null(numa, "Devices");
  }
}

// DefaultResources(): what a sidecar task without resources gets.
Json default_resources(const Struct& resources_type) {
  Json resources = shaped(Json::object(), resources_type);
  resources["CPU"] = 100;
  resources["Cores"] = 0;
  resources["MemoryMB"] = 300;
  return resources;
}

void canonicalize_log_config(Json& logs) {
  fill_from(logs, default_log_config());
}

void canonicalize_volume_mount(Json& mount) {
  default_to(mount, "PropagationMode", "private");
  default_to(mount, "ReadOnly", false);
  default_to(mount, "SELinuxLabel", "");
}

// path.Base, then filepath.Join("local", base): where a file-mode artifact lands.
std::string artifact_file_destination(const std::string& source) {
  std::string trimmed = source;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  std::string base = trimmed;
  if (auto slash = trimmed.rfind('/'); slash != std::string::npos && trimmed.size() > 1) {
    base = trimmed.substr(slash + 1);
  }
  if (base.empty() || base == "." || base == "/") return "local";
  if (base == "..") return ".";
  return "local/" + base;
}

void canonicalize_artifact(Json& artifact) {
  default_to(artifact, "GetterMode", "any");
  default_to(artifact, "GetterInsecure", false);
  default_to(artifact, "GetterSource", "");
  empty_to_null(artifact, "GetterOptions");
  empty_to_null(artifact, "GetterHeaders");
  if (artifact["RelativeDest"].is_null()) {
    artifact["RelativeDest"] = string_of(artifact, "GetterMode") == "file"
                                   ? artifact_file_destination(string_of(artifact, "GetterSource"))
                                   : "local/";
  }
}

void canonicalize_vault(Json& vault) {
  default_to(vault, "Env", true);
  default_to(vault, "DisableFile", false);
  default_to(vault, "Namespace", "");
  default_empty_string(vault, "Cluster", "default");
  default_to(vault, "ChangeMode", "restart");
  default_to(vault, "ChangeSignal", "SIGHUP");
  default_to(vault, "AllowTokenExpiration", false);
}

void canonicalize_template(Json& tmpl) {
  default_to(tmpl, "SourcePath", "");
  default_to(tmpl, "DestPath", "");
  default_to(tmpl, "EmbeddedTmpl", "");
  default_to(tmpl, "ChangeMode", "restart");
  Json& signal = tmpl["ChangeSignal"];
  if (signal.is_null()) {
    signal = string_of(tmpl, "ChangeMode") == "signal" ? "SIGHUP" : "";
  } else if (signal.is_string()) {
    std::string upper = signal.get<std::string>();
    for (char& c : upper) {
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    signal = upper;
  }
  if (is_object(tmpl, "ChangeScript")) {
    Json& script = tmpl["ChangeScript"];
    default_to(script, "Command", "");
    default_to(script, "Args", Json::array());
    default_to(script, "Timeout", 5 * kSecond);
    default_to(script, "FailOnError", false);
    default_to(script, "RunOnFirstRender", false);
  }
  default_to(tmpl, "Once", false);
  default_to(tmpl, "Splay", 5 * kSecond);
  default_to(tmpl, "Perms", "0644");
  default_to(tmpl, "LeftDelim", "{{");
  default_to(tmpl, "RightDelim", "}}");
  default_to(tmpl, "Envvars", false);
  default_to(tmpl, "ErrMissingKey", false);
  default_to(tmpl, "VaultGrace", 0);
}

void canonicalize_consul(Json& consul) {
  default_empty_string(consul, "Cluster", "default");
}

void canonicalize_proxy(Json& proxy) {
  if (is_object(proxy, "Expose")) {
    empty_to_null(proxy["Expose"], "Paths");
    empty_to_null(proxy["Expose"], "Path");
  }
  empty_to_null(proxy, "Upstreams");
  if (is_object(proxy, "TransparentProxy")) {
    Json& transparent = proxy["TransparentProxy"];
    for (const char* key :
         {"ExcludeInboundPorts", "ExcludeOutboundCIDRs", "ExcludeOutboundPorts", "ExcludeUIDs"}) {
      empty_to_null(transparent, key);
    }
  }
  for_each_object(proxy, "Upstreams", [](Json& upstream) { empty_to_null(upstream, "Config"); });
  empty_to_null(proxy, "Config");
}

void canonicalize_sidecar_task(Json& task, const Struct& sidecar_type) {
  empty_to_null(task, "Config");
  empty_to_null(task, "Env");
  if (task["Resources"].is_object()) {
    canonicalize_resources(task["Resources"]);
  } else {
    task["Resources"] = default_resources(struct_of(sidecar_type, "Resources"));
  }
  if (task["LogConfig"].is_object()) {
    canonicalize_log_config(task["LogConfig"]);
  } else {
    task["LogConfig"] = shaped(default_log_config(), struct_of(sidecar_type, "LogConfig"));
  }
  empty_to_null(task, "Meta");
  default_to(task, "KillTimeout", 5 * kSecond);
  default_to(task, "ShutdownDelay", 0);
  for_each_object(task, "VolumeMounts", canonicalize_volume_mount);
}

void canonicalize_gateway(Json& gateway) {
  if (is_object(gateway, "Proxy")) {
    Json& proxy = gateway["Proxy"];
    default_to(proxy, "ConnectTimeout", 5 * kSecond);
    empty_to_null(proxy, "EnvoyGatewayBindAddresses");
    empty_to_null(proxy, "Config");
  }
  if (is_object(gateway, "Ingress")) {
    Json& ingress = gateway["Ingress"];
    empty_to_null(ingress, "Listeners");
    for_each_object(ingress, "Listeners", [](Json& listener) {
      default_empty_string(listener, "Protocol", "tcp");
      empty_to_null(listener, "Services");
    });
  }
  if (is_object(gateway, "Terminating")) empty_to_null(gateway["Terminating"], "Services");
}

void canonicalize_connect(Json& connect, const Struct& connect_type) {
  if (is_object(connect, "SidecarService")) {
    Json& sidecar = connect["SidecarService"];
    empty_to_null(sidecar, "Tags");
    empty_to_null(sidecar, "Meta");
    if (is_object(sidecar, "Proxy")) canonicalize_proxy(sidecar["Proxy"]);
  }
  if (is_object(connect, "SidecarTask")) {
    canonicalize_sidecar_task(connect["SidecarTask"], struct_of(connect_type, "SidecarTask"));
  }
  if (is_object(connect, "Gateway")) canonicalize_gateway(connect["Gateway"]);
}

// CheckRestart.Merge: the check's own settings win over the service's.
Json merged_check_restart(const Json& from_service, const Json& from_check) {
  if (!from_service.is_object()) return from_check;
  Json result = from_service;
  if (!from_check.is_object()) return result;
  for (const auto& [key, value] : from_check.items()) {
    if (key == "Limit") {
      if (value.is_number() && value > 0) result[key] = value;
    } else if (key == "IgnoreWarnings") {
      if (value.is_boolean() && value.get<bool>()) result[key] = value;
    } else if (!value.is_null()) {
      result[key] = value;
    }
  }
  return result;
}

struct ServiceOwner {
  const std::string& job_name;
  const std::string& group_name;
  const std::string* task_name;  // null for a group service
};

void canonicalize_service(Json& service, const ServiceOwner& owner, const Struct& service_type) {
  if (string_of(service, "Name").empty()) {
    std::string name = owner.job_name + "-" + owner.group_name;
    if (owner.task_name != nullptr) name += "-" + *owner.task_name;
    service["Name"] = name;
  }
  default_empty_string(service, "AddressMode", "auto");
  default_empty_string(service, "OnUpdate", "require_healthy");
  default_empty_string(service, "Provider", "consul");
  default_empty_string(service, "Cluster", "default");
  empty_to_null(service, "Meta");
  empty_to_null(service, "CanaryMeta");
  empty_to_null(service, "TaggedAddresses");
  if (is_object(service, "Connect")) {
    canonicalize_connect(service["Connect"], struct_of(service_type, "Connect"));
  }
  if (is_object(service, "Weights")) {
    Json& weights = service["Weights"];
    for (const char* key : {"Passing", "Warning"}) {
      if (int_of(weights, key) <= 0) weights[key] = 1;
    }
  }
  const Json service_check_restart = service["CheckRestart"];
  const std::string on_update = string_of(service, "OnUpdate");
  for_each_object(service, "Checks", [&](Json& check) {
    Json check_restart = merged_check_restart(service_check_restart, check["CheckRestart"]);
    if (check_restart.is_object()) default_to(check_restart, "Grace", kSecond);
    check["CheckRestart"] = std::move(check_restart);
    for (const char* key :
         {"SuccessBeforePassing", "FailuresBeforeCritical", "FailuresBeforeWarning"}) {
      if (int_of(check, key) < 0) check[key] = 0;
    }
    default_empty_string(check, "OnUpdate", on_update.c_str());
  });
}

struct JobContext {
  const Json& job;
  std::string type;
  std::string name;
  const Struct& group_type;
};

void canonicalize_task(Json& task, const Json& group, const JobContext& job) {
  const Struct& task_type = struct_of(job.group_type, "Tasks");
  if (!task["Resources"].is_object()) {
    task["Resources"] = shaped(Json::object(), struct_of(task_type, "Resources"));
  }
  canonicalize_resources(task["Resources"]);
  default_to(task, "KillTimeout", 5 * kSecond);
  if (task["LogConfig"].is_object()) {
    canonicalize_log_config(task["LogConfig"]);
  } else {
    task["LogConfig"] = shaped(default_log_config(), struct_of(task_type, "LogConfig"));
  }
  for_each_object(task, "Artifacts", canonicalize_artifact);
  if (is_object(task, "Vault")) canonicalize_vault(task["Vault"]);
  if (is_object(task, "Consul")) canonicalize_consul(task["Consul"]);
  for_each_object(task, "Templates", canonicalize_template);
  for_each_object(task, "Secrets", [](Json& secret) {
    empty_to_null(secret, "Config");
    empty_to_null(secret, "Env");
  });
  const std::string task_name = string_of(task, "Name");
  const std::string group_name = string_of(group, "Name");
  const Struct& service_type = struct_of(task_type, "Services");
  for_each_object(task, "Services", [&](Json& service) {
    canonicalize_service(service, {job.name, group_name, &task_name}, service_type);
  });
  for_each_object(task, "Affinities", canonicalize_weighted);
  for_each_object(task, "VolumeMounts", canonicalize_volume_mount);
  if (is_object(task, "CSIPluginConfig")) {
    Json& plugin = task["CSIPluginConfig"];
    default_empty_string(plugin, "MountDir", "/csi");
    default_empty_string(plugin, "StagePublishBaseDir", "/local/csi");
    if (int_of(plugin, "HealthTimeout") == 0) plugin["HealthTimeout"] = 30 * kSecond;
  }
  // The task inherits the group's restart policy, its own settings winning.
  const Json& group_restart = group["RestartPolicy"];
  task["RestartPolicy"] = task["RestartPolicy"].is_object()
                              ? merged(group_restart, task["RestartPolicy"])
                              : group_restart;
}

void canonicalize_group(Json& group, const JobContext& job) {
  const Struct& group_type = job.group_type;
  default_to(group, "Name", "");
  if (group["Count"].is_null()) {
    const Json& scaling = group["Scaling"];
    group["Count"] =
        scaling.is_object() && scaling["Min"].is_number_integer() ? scaling["Min"] : Json(1);
  }
  if (is_object(group, "Scaling")) {
    Json& scaling = group["Scaling"];
    default_to(scaling, "Enabled", true);
    default_to(scaling, "Min", group["Count"]);
    default_empty_string(scaling, "Type", "horizontal");
  }
  if (is_object(group, "EphemeralDisk")) {
    Json& disk = group["EphemeralDisk"];
    default_to(disk, "Sticky", false);
    default_to(disk, "Migrate", false);
    default_to(disk, "SizeMB", 300);
  } else {
    group["EphemeralDisk"] = {{"Sticky", false}, {"Migrate", false}, {"SizeMB", 300}};
  }
  if (is_object(group, "Consul")) {
    Json& consul = group["Consul"];
    if (string_of(consul, "Namespace").empty() && job.job["ConsulNamespace"].is_string()) {
      consul["Namespace"] = job.job["ConsulNamespace"];
    }
    canonicalize_consul(consul);
  }

  // update: the job's strategy, with the group's own settings winning.
  const bool job_update = is_object(job.job, "Update");
  if (job_update && is_object(group, "Update")) {
    group["Update"] = merged(job.job["Update"], group["Update"]);
  } else if (job_update && !update_is_empty(job.job["Update"])) {
    group["Update"] = job.job["Update"];
  }
  if (is_object(group, "Update")) fill_from(group["Update"], default_update_strategy());

  // reschedule: likewise from the job, else the job type's default.
  const bool job_reschedule = is_object(job.job, "Reschedule");
  if (job_reschedule && is_object(group, "ReschedulePolicy")) {
    group["ReschedulePolicy"] = merged(job.job["Reschedule"], group["ReschedulePolicy"]);
  } else if (job_reschedule) {
    group["ReschedulePolicy"] = job.job["Reschedule"];
  }
  if (group["ReschedulePolicy"].is_null() && job.type != "sysbatch" && job.type != "system") {
    group["ReschedulePolicy"] = default_reschedule_policy(job.type);
  }
  if (is_object(group, "ReschedulePolicy")) {
    fill_from(group["ReschedulePolicy"], default_reschedule_policy(job.type));
  }

  // migrate: likewise; only service jobs get one by default.
  const bool job_migrate = is_object(job.job, "Migrate");
  if (job_migrate && is_object(group, "Migrate")) {
    group["Migrate"] = merged(job.job["Migrate"], group["Migrate"]);
  } else if (job_migrate) {
    group["Migrate"] = job.job["Migrate"];
  }
  if (group["Migrate"].is_null() && job.type == "service") group["Migrate"] = Json::object();
  if (is_object(group, "Migrate")) fill_from(group["Migrate"], default_migrate_strategy());

  // restart: the job type's default under the group's own settings.
  Json restart = default_restart_policy(job.type);
  if (is_object(group, "RestartPolicy")) restart = merged(restart, group["RestartPolicy"]);
  group["RestartPolicy"] = shaped(std::move(restart), struct_of(group_type, "RestartPolicy"));

  for_each_object(group, "Tasks", [&](Json& task) { canonicalize_task(task, group, job); });
  for_each_object(group, "Spreads", canonicalize_weighted);
  for_each_object(group, "Affinities", canonicalize_weighted);
  const std::string group_name = string_of(group, "Name");
  const Struct& service_type = struct_of(group_type, "Services");
  for_each_object(group, "Services", [&](Json& service) {
    canonicalize_service(service, {job.name, group_name, nullptr}, service_type);
  });
  if (is_object(group, "Disconnect")) {
    Json& disconnect = group["Disconnect"];
    default_to(disconnect, "Replace", true);
    default_to(disconnect, "Reconcile", "best_score");
  }

  // Strategies copied in from the job or the defaults get the complete shape too.
  for (const char* key : {"Update", "ReschedulePolicy", "Migrate", "EphemeralDisk"}) {
    if (is_object(group, key)) shape_struct(group[key], struct_of(group_type, key));
  }
}

void canonicalize_periodic(Json& periodic) {
  default_to(periodic, "Enabled", true);
  default_to(periodic, "Spec", "");
  default_to(periodic, "Specs", Json::array());
  default_to(periodic, "SpecType", "cron");
  default_to(periodic, "ProhibitOverlap", false);
  default_empty_string(periodic, "TimeZone", "UTC");
}

void canonicalize_multiregion(Json& multiregion, const Struct& multiregion_type) {
  if (!is_object(multiregion, "Strategy")) {
    multiregion["Strategy"] = shaped(Json::object(), struct_of(multiregion_type, "Strategy"));
  }
  default_to(multiregion["Strategy"], "MaxParallel", 0);
  default_to(multiregion["Strategy"], "OnFailure", "");
  default_to(multiregion, "Regions", Json::array());
  for_each_object(multiregion, "Regions", [](Json& region) {
    default_to(region, "Count", 1);
    default_to(region, "Datacenters", Json::array());
    default_to(region, "Meta", Json::object());
  });
}

}  // namespace

void canonicalize(Json& job) {
  if (!job.is_object()) return;
  const Struct& job_type = api::job_struct();
  shape_struct(job, job_type);

  default_to(job, "ID", "");
  default_to(job, "Name", job["ID"]);
  default_to(job, "ParentID", "");
  default_to(job, "Namespace", "default");
  default_to(job, "Priority", 50);
  default_to(job, "Stop", false);
  default_to(job, "Region", "global");
  default_to(job, "NodePool", "");
  default_to(job, "Type", "service");
  default_to(job, "AllAtOnce", false);
  for (const char* key :
       {"ConsulNamespace", "VaultNamespace", "NomadTokenID", "Status", "StatusDescription"}) {
    default_to(job, key, "");
  }
  default_to(job, "Stable", false);
  for (const char* key : {"Version", "CreateIndex", "ModifyIndex", "JobModifyIndex"}) {
    default_to(job, key, 0);
  }

  const std::string type = string_of(job, "Type");
  if (is_object(job, "Periodic")) canonicalize_periodic(job["Periodic"]);
  if (is_object(job, "Update")) {
    fill_from(job["Update"], default_update_strategy());
  } else if (type == "service" || type == "system") {
    job["Update"] = shaped(default_update_strategy(), struct_of(job_type, "Update"));
  }
  if (is_object(job, "Multiregion")) {
    canonicalize_multiregion(job["Multiregion"], struct_of(job_type, "Multiregion"));
  }

  const JobContext context{job, type, string_of(job, "Name"), struct_of(job_type, "TaskGroups")};
  for_each_object(job, "TaskGroups", [&](Json& group) { canonicalize_group(group, context); });
  for_each_object(job, "Spreads", canonicalize_weighted);
  for_each_object(job, "Affinities", canonicalize_weighted);
  if (is_object(job, "UI")) empty_to_null(job["UI"], "Links");
}

}  // namespace jobspec
