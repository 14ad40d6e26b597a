// The wire facts of Nomad's plugin protocol in src/nomad/proto: field numbers, names and
// types, enum values, gRPC method paths and streaming kinds, as Nomad's and go-plugin's own
// .proto files have them (docs/nomad_protocol.md). A mistake here is a driver Nomad cannot
// use, and nothing else in the build would notice it.

#include <google/protobuf/any.pb.h>
#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <string>
#include <string_view>

#include "nomad/proto/base.pb.h"
#include "nomad/proto/driver.pb.h"
#include "nomad/proto/go_plugin.pb.h"
#include "nomad/proto/hclspec.pb.h"
#include "nomad/proto/rpc_status.pb.h"
#include "nomad/proto/structs.pb.h"

namespace pot {
namespace {

namespace gp = google::protobuf;

enum class Kind {
  kField,     // scope: message, number, name, type as TypeOf() spells it
  kReserved,  // scope: message, number: no field, and reserved
  kValue,     // scope: enum, number, name (aliases allowed)
  kMethod,    // name: the gRPC path "/<service>/<method>", type: unary/server/client/bidi
};

struct Fact {
  Kind kind;
  std::string_view scope;
  int number;
  std::string_view name;
  std::string_view type;
};

constexpr std::string_view kDrv = "hashicorp.nomad.plugins.drivers.proto.";
constexpr std::string_view kBase = "hashicorp.nomad.plugins.base.proto.";
constexpr std::string_view kHcl = "hashicorp.nomad.plugins.shared.hclspec.";
constexpr std::string_view kStructs = "hashicorp.nomad.plugins.shared.structs.";

// "drv:", "base:", "hcl:" and "structs:" stand for Nomad's packages (see Qualify):
// "drv:TaskConfig" is hashicorp.nomad.plugins.drivers.proto.TaskConfig.
const Fact kFacts[] = {
    // Driver: the task and its handle, which Nomad stores and gives back in RecoverTask.
    {Kind::kField, "drv:TaskConfig", 1, "id", "string"},
    {Kind::kField, "drv:TaskConfig", 3, "msgpack_driver_config", "bytes"},
    {Kind::kField, "drv:TaskConfig", 4, "env", "map<string, string>"},
    {Kind::kField, "drv:TaskConfig", 6, "resources", "drv:Resources"},
    {Kind::kField, "drv:TaskConfig", 11, "stdout_path", "string"},
    {Kind::kField, "drv:TaskConfig", 12, "stderr_path", "string"},
    {Kind::kField, "drv:TaskConfig", 15, "alloc_id", "string"},
    {Kind::kField, "drv:TaskConfig", 16, "network_isolation_spec", "drv:NetworkIsolationSpec"},
    {Kind::kField, "drv:TaskConfig", 19, "namespace", "string"},
    {Kind::kField, "drv:TaskConfig", 22, "parent_job_id", "string"},
    {Kind::kField, "drv:TaskHandle", 1, "version", "int32"},
    {Kind::kField, "drv:TaskHandle", 2, "config", "drv:TaskConfig"},
    {Kind::kField, "drv:TaskHandle", 3, "state", "drv:TaskState"},
    {Kind::kField, "drv:TaskHandle", 4, "driver_state", "bytes"},
    {Kind::kField, "drv:StartTaskResponse", 3, "handle", "drv:TaskHandle"},
    {Kind::kField, "drv:StartTaskResponse", 4, "network_override", "drv:NetworkOverride"},
    {Kind::kField, "drv:RecoverTaskRequest", 2, "handle", "drv:TaskHandle"},
    {Kind::kField, "drv:StopTaskRequest", 2, "timeout", "google.protobuf.Duration"},
    {Kind::kField, "drv:StopTaskRequest", 3, "signal", "string"},
    {Kind::kField, "drv:DestroyTaskRequest", 2, "force", "bool"},
    {Kind::kField, "drv:WaitTaskResponse", 1, "result", "drv:ExitResult"},
    {Kind::kField, "drv:WaitTaskResponse", 2, "err", "string"},
    {Kind::kField, "drv:ExitResult", 2, "signal", "int32"},
    {Kind::kField, "drv:ExitResult", 3, "oom_killed", "bool"},
    {Kind::kField, "drv:TaskStatus", 5, "completed_at", "google.protobuf.Timestamp"},
    {Kind::kField, "drv:ExecTaskStreamingRequest", 2, "tty_size",
     "drv:ExecTaskStreamingRequest.TerminalSize"},
    {Kind::kField, "drv:ExecTaskStreamingRequest", 3, "stdin", "drv:ExecTaskStreamingIOOperation"},
    {Kind::kField, "drv:ExecTaskStreamingResponse", 3, "exited", "bool"},
    // Resources: ports come from two places; memory_mb is field 2, not 1.
    {Kind::kField, "drv:Resources", 3, "ports", "repeated drv:PortMapping"},
    {Kind::kField, "drv:PortMapping", 2, "value", "int32"},
    {Kind::kField, "drv:PortMapping", 3, "to", "int32"},
    {Kind::kField, "drv:AllocatedTaskResources", 5, "networks", "repeated drv:NetworkResource"},
    {Kind::kField, "drv:AllocatedMemoryResources", 2, "memory_mb", "int64"},
    {Kind::kField, "drv:AllocatedMemoryResources", 3, "memory_max_mb", "int64"},
    {Kind::kField, "drv:NetworkResource", 6, "dynamic_ports", "repeated drv:NetworkPort"},
    {Kind::kField, "drv:LinuxResources", 4, "memory_limit_bytes", "int64"},
    {Kind::kField, "drv:LinuxResources", 8, "PercentTicks", "double"},
    {Kind::kField, "drv:LinuxResources", 9, "cpuset_cgroup", "string"},
    {Kind::kReserved, "drv:LinuxResources", 7, "", ""},
    {Kind::kField, "drv:NetworkIsolationSpec", 4, "hostsConfig", "drv:HostsConfig"},
    {Kind::kField, "drv:NetworkOverride", 1, "port_map", "map<string, int32>"},
    // Capabilities and fingerprint.
    {Kind::kField, "drv:DriverCapabilities", 3, "fs_isolation",
     "drv:DriverCapabilities.FSIsolation"},
    {Kind::kField, "drv:DriverCapabilities", 6, "mount_configs",
     "drv:DriverCapabilities.MountConfigs"},
    {Kind::kReserved, "drv:DriverCapabilities", 7, "", ""},
    {Kind::kField, "drv:DriverCapabilities", 8, "disable_log_collection", "bool"},
    {Kind::kField, "drv:DriverCapabilities", 9, "dynamic_workload_users", "bool"},
    {Kind::kField, "drv:FingerprintResponse", 1, "attributes", "map<string, structs:Attribute>"},
    {Kind::kField, "drv:FingerprintResponse", 4, "err", "string"},
    {Kind::kField, "structs:Attribute", 2, "int_val", "int64 (oneof value)"},
    {Kind::kField, "structs:Attribute", 5, "unit", "string"},
    // Statistics: measured_fields is 6 in MemoryUsage, 7 in CPUUsage.
    {Kind::kField, "drv:TaskStats", 4, "resource_usage_by_pid",
     "map<string, drv:TaskResourceUsage>"},
    {Kind::kField, "drv:CPUUsage", 7, "measured_fields", "repeated drv:CPUUsage.Fields"},
    {Kind::kField, "drv:MemoryUsage", 6, "measured_fields", "repeated drv:MemoryUsage.Fields"},
    {Kind::kField, "drv:MemoryUsage", 7, "usage", "uint64"},
    {Kind::kField, "drv:DriverTaskEvent", 6, "annotations", "map<string, string>"},
    // hclspec: the oneof's field 3 is capitalised.
    {Kind::kField, "hcl:Spec", 3, "Attr", "hcl:Attr (oneof block)"},
    {Kind::kField, "hcl:Spec", 4, "block_value", "hcl:Block (oneof block)"},
    {Kind::kField, "hcl:Spec", 9, "default", "hcl:Default (oneof block)"},
    {Kind::kField, "hcl:Spec", 10, "literal", "hcl:Literal (oneof block)"},
    {Kind::kField, "hcl:Object", 1, "attributes", "map<string, hcl:Spec>"},
    {Kind::kField, "hcl:BlockList", 4, "nested", "hcl:Spec"},
    // BasePlugin.
    {Kind::kField, "base:PluginInfoResponse", 1, "type", "base:PluginType"},
    {Kind::kField, "base:PluginInfoResponse", 2, "plugin_api_versions", "repeated string"},
    {Kind::kField, "base:SetConfigRequest", 1, "msgpack_config", "bytes"},
    {Kind::kField, "base:SetConfigRequest", 3, "plugin_api_version", "string"},
    {Kind::kField, "base:NomadDriverConfig", 1, "ClientMaxPort", "uint32"},
    {Kind::kField, "base:NomadDriverConfig", 3, "Topology", "base:ClientTopology"},
    // go-plugin, the recoverable error detail and the status that carries it.
    {Kind::kField, "plugin.StdioData", 1, "channel", "plugin.StdioData.Channel"},
    {Kind::kField, "plugin.ConnInfo", 4, "knock", "plugin.ConnInfo.Knock"},
    {Kind::kField, "structs:RecoverableError", 1, "recoverable", "bool"},
    {Kind::kField, "google.rpc.Status", 3, "details", "repeated google.protobuf.Any"},

    // Enum values.
    {Kind::kValue, "base:PluginType", 2, "DRIVER", ""},
    {Kind::kValue, "drv:DriverCapabilities.FSIsolation", 2, "IMAGE", ""},
    {Kind::kValue, "drv:DriverCapabilities.FSIsolation", 3, "UNVEIL", ""},
    {Kind::kValue, "drv:DriverCapabilities.MountConfigs", 0, "UNKNOWN_MOUNTS", ""},
    {Kind::kValue, "drv:DriverCapabilities.MountConfigs", 0, "ANY_MOUNTS", ""},
    {Kind::kValue, "drv:DriverCapabilities.MountConfigs", 1, "NO_MOUNTS", ""},
    {Kind::kValue, "drv:FingerprintResponse.HealthState", 2, "HEALTHY", ""},
    {Kind::kValue, "drv:StartTaskResponse.Result", 2, "FATAL", ""},
    {Kind::kValue, "drv:TaskState", 2, "EXITED", ""},
    {Kind::kValue, "drv:NetworkIsolationSpec.NetworkIsolationMode", 2, "TASK", ""},
    {Kind::kValue, "drv:CPUUsage.Fields", 5, "PERCENT", ""},
    {Kind::kValue, "drv:MemoryUsage.Fields", 5, "USAGE", ""},
    {Kind::kValue, "drv:MemoryUsage.Fields", 6, "SWAP", ""},
    {Kind::kValue, "plugin.StdioData.Channel", 2, "STDERR", ""},

    // Every method of every service (the counts are checked too).
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.base.proto.BasePlugin/PluginInfo", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.base.proto.BasePlugin/ConfigSchema", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.base.proto.BasePlugin/SetConfig", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/Init", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/TaskConfigSchema",
     "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/Capabilities", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/Fingerprint", "server"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/RecoverTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/StartTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/WaitTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/StopTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/DestroyTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/InspectTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/TaskStats", "server"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/TaskEvents", "server"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/Shutdown", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/SignalTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/ExecTask", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/ExecTaskStreaming",
     "bidi"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/CreateNetwork", "unary"},
    {Kind::kMethod, "", 0, "/hashicorp.nomad.plugins.drivers.proto.Driver/DestroyNetwork", "unary"},
    {Kind::kMethod, "", 0, "/plugin.GRPCController/Shutdown", "unary"},
    {Kind::kMethod, "", 0, "/plugin.GRPCStdio/StreamStdio", "server"},
    {Kind::kMethod, "", 0, "/plugin.GRPCBroker/StartStream", "bidi"},
};

// "drv:X" → "hashicorp.nomad.plugins.drivers.proto.X", likewise base:, hcl:, structs:, and the
// same inside a type ("repeated drv:X", "map<string, structs:Y>").
std::string Qualify(std::string_view text) {
  static const std::map<std::string_view, std::string_view> kPrefixes = {
      {"drv:", kDrv}, {"base:", kBase}, {"hcl:", kHcl}, {"structs:", kStructs}};
  std::string out(text);
  for (const auto& [prefix, package] : kPrefixes) {
    for (size_t at = out.find(prefix); at != std::string::npos; at = out.find(prefix, at)) {
      out.replace(at, prefix.size(), package);
    }
  }
  return out;
}

std::string ScalarOrTypeName(const gp::FieldDescriptor* field) {
  if (field->message_type() != nullptr) return field->message_type()->full_name();
  if (field->enum_type() != nullptr) return field->enum_type()->full_name();
  return field->type_name();
}

// "string", "repeated drv:X", "map<string, int32>", "hcl:Attr (oneof block)", qualified.
std::string TypeOf(const gp::FieldDescriptor* field) {
  std::string type;
  if (field->is_map()) {
    type = "map<" + ScalarOrTypeName(field->message_type()->map_key()) + ", " +
           ScalarOrTypeName(field->message_type()->map_value()) + ">";
  } else {
    type = (field->is_repeated() ? "repeated " : "") + ScalarOrTypeName(field);
  }
  if (field->real_containing_oneof() != nullptr) {
    type += " (oneof " + field->real_containing_oneof()->name() + ")";
  }
  return type;
}

std::string_view StreamingOf(const gp::MethodDescriptor* method) {
  if (method->client_streaming()) return method->server_streaming() ? "bidi" : "client";
  return method->server_streaming() ? "server" : "unary";
}

const gp::DescriptorPool& Pool() {
  // Linking the generated code registers its files; naming one type per file makes sure
  // every file is linked in.
  static const bool linked =
      hashicorp::nomad::plugins::drivers::proto::TaskConfig::descriptor() &&
      hashicorp::nomad::plugins::base::proto::SetConfigRequest::descriptor() &&
      hashicorp::nomad::plugins::shared::hclspec::Spec::descriptor() &&
      hashicorp::nomad::plugins::shared::structs::Attribute::descriptor() &&
      ::plugin::ConnInfo::descriptor() && ::google::rpc::Status::descriptor();
  EXPECT_TRUE(linked);
  return *gp::DescriptorPool::generated_pool();
}

TEST(NomadProto, DescriptorsMatchNomadsFiles) {
  std::map<std::string, int> methods_per_service;
  for (const Fact& fact : kFacts) {
    const std::string scope = Qualify(fact.scope);
    SCOPED_TRACE(scope + " " + std::to_string(fact.number) + " " + std::string(fact.name));
    switch (fact.kind) {
      case Kind::kField:
      case Kind::kReserved: {
        const gp::Descriptor* message = Pool().FindMessageTypeByName(scope);
        ASSERT_NE(message, nullptr);
        const gp::FieldDescriptor* field = message->FindFieldByNumber(fact.number);
        if (fact.kind == Kind::kReserved) {
          EXPECT_EQ(field, nullptr);
          EXPECT_TRUE(message->IsReservedNumber(fact.number));
          break;
        }
        ASSERT_NE(field, nullptr);
        EXPECT_EQ(field->name(), fact.name);
        EXPECT_EQ(TypeOf(field), Qualify(fact.type));
        break;
      }
      case Kind::kValue: {
        const gp::EnumDescriptor* type = Pool().FindEnumTypeByName(scope);
        ASSERT_NE(type, nullptr);
        const gp::EnumValueDescriptor* value = type->FindValueByName(std::string(fact.name));
        ASSERT_NE(value, nullptr);
        EXPECT_EQ(value->number(), fact.number);
        break;
      }
      case Kind::kMethod: {
        // The path gRPC sends is "/" + the service's full name + "/" + the method's name.
        const std::string_view path = fact.name;
        const size_t slash = path.rfind('/');
        const std::string service_name(path.substr(1, slash - 1));
        const gp::ServiceDescriptor* service = Pool().FindServiceByName(service_name);
        ASSERT_NE(service, nullptr);
        const gp::MethodDescriptor* method =
            service->FindMethodByName(std::string(path.substr(slash + 1)));
        ASSERT_NE(method, nullptr);
        EXPECT_EQ("/" + service->full_name() + "/" + method->name(), path);
        EXPECT_EQ(StreamingOf(method), fact.type);
        ++methods_per_service[service_name];
        break;
      }
    }
  }
  // No service and no method more than the table has: BasePlugin, Driver and go-plugin's three.
  ASSERT_EQ(methods_per_service.size(), 5u);
  for (const auto& [name, count] : methods_per_service) {
    EXPECT_EQ(Pool().FindServiceByName(name)->method_count(), count) << name;
  }
}

std::string Hex(const std::string& bytes) {
  std::string out;
  for (unsigned char byte : bytes) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", byte);
    out += two;
  }
  return out;
}

TEST(NomadProto, EncodesAsNomadDecodes) {
  namespace drv = hashicorp::nomad::plugins::drivers::proto;
  namespace hcl = hashicorp::nomad::plugins::shared::hclspec;
  namespace structs = hashicorp::nomad::plugins::shared::structs;

  drv::TaskConfig task;
  task.set_stdout_path("o");  // field 11, length-delimited: (11 << 3) | 2 = 0x5a
  EXPECT_EQ(Hex(task.SerializeAsString()), "5a016f");

  hcl::Spec spec;
  spec.mutable_attr()->set_name("x");  // Spec field 3 holding Attr field 1
  EXPECT_EQ(Hex(spec.SerializeAsString()), "1a030a0178");

  drv::DriverCapabilities caps;
  caps.set_fs_isolation(drv::DriverCapabilities::IMAGE);  // field 3 = 2
  caps.set_dynamic_workload_users(true);                  // field 9 = 1
  EXPECT_EQ(Hex(caps.SerializeAsString()), "18024801");

  drv::MemoryUsage memory;  // measured_fields: field 6, packed
  memory.add_measured_fields(drv::MemoryUsage::RSS);
  memory.add_measured_fields(drv::MemoryUsage::USAGE);
  EXPECT_EQ(Hex(memory.SerializeAsString()), "32020005");

  // A recoverable error travels as the first detail of a google.rpc.Status, by type URL.
  structs::RecoverableError recoverable;
  recoverable.set_recoverable(true);
  google::rpc::Status status;
  status.set_code(9);  // FAILED_PRECONDITION
  status.add_details()->PackFrom(recoverable);
  EXPECT_EQ(status.details(0).type_url(),
            "type.googleapis.com/hashicorp.nomad.plugins.shared.structs.RecoverableError");
  EXPECT_EQ(Hex(status.details(0).value()), "0801");
}

}  // namespace
}  // namespace pot
