// The tables of the job specification. Field names and argument names are Nomad's (the
// `hcl` tags of its api package); JSON fields are the Go struct fields.
#include "jobspec/schema.h"

namespace jobspec {
namespace {

using VT = ValueType;
using M = Multiplicity;

AttributeSpec attr(std::string name, std::string field, ValueType type) {
  return AttributeSpec{std::move(name), std::move(field), type, false};
}
AttributeSpec required_attr(std::string name, std::string field, ValueType type) {
  return AttributeSpec{std::move(name), std::move(field), type, true};
}
NestedBlockSpec block(std::string type, std::string field, Multiplicity multiplicity,
                      const BlockSpec& spec) {
  return NestedBlockSpec{std::move(type), std::move(field), multiplicity, &spec, false};
}
NestedBlockSpec map_block_or_attribute(std::string type, std::string field, const BlockSpec& spec) {
  return NestedBlockSpec{std::move(type), std::move(field), M::One, &spec, true};
}

// Every block spec, built once; they point at each other, so they live together.
struct Schema {
  BlockSpec string_map, string_list_map, opaque, constraint, affinity;
  BlockSpec job, group, task;
  BlockSpec update, multiregion, multiregion_strategy, multiregion_region, periodic, parameterized,
      ui, ui_link;
  BlockSpec restart, disconnect, reschedule, spread, spread_target, ephemeral_disk, migrate;
  BlockSpec volume, mount_options, volume_mount, logs, dispatch_payload, lifecycle;
  BlockSpec artifact, template_, change_script, wait, vault, secret, csi_plugin, identity, action,
      schedule, schedule_cron, consul;
  BlockSpec resources, numa, device, network, port, dns, cni;
  BlockSpec group_scaling, task_scaling;
  BlockSpec service, check, check_restart, weights;
  BlockSpec connect, sidecar_service, sidecar_task, proxy, upstream, mesh_gateway,
      transparent_proxy, expose, expose_path;
  BlockSpec gateway, gateway_proxy, bind_address, ingress, ingress_listener, ingress_service,
      gateway_tls, tls_sds, header_modifiers, terminating, linked_service, mesh;

  Schema();
};

Schema::Schema() {
  string_map.name = "map";
  string_map.kind = BlockKind::StringMap;
  string_list_map.name = "header";
  string_list_map.kind = BlockKind::StringListMap;
  opaque.name = "config";
  opaque.kind = BlockKind::Opaque;
  constraint.name = "constraint";
  constraint.kind = BlockKind::Constraint;
  affinity.name = "affinity";
  affinity.kind = BlockKind::Affinity;

  // --- job ---
  job.name = "job";
  job.label_names = {"name"};
  job.special = Special::Job;
  job.attributes = {
      attr("region", "Region", VT::String),
      attr("namespace", "Namespace", VT::String),
      attr("id", "ID", VT::String),
      attr("name", "Name", VT::String),
      attr("type", "Type", VT::String),
      attr("priority", "Priority", VT::Int),
      attr("all_at_once", "AllAtOnce", VT::Bool),
      attr("datacenters", "Datacenters", VT::StringList),
      attr("node_pool", "NodePool", VT::String),
  };
  job.blocks = {
      block("constraint", "Constraints", M::List, constraint),
      block("affinity", "Affinities", M::List, affinity),
      block("group", "TaskGroups", M::List, group),
      block("update", "Update", M::One, update),
      block("multiregion", "Multiregion", M::One, multiregion),
      block("spread", "Spreads", M::List, spread),
      block("periodic", "Periodic", M::One, periodic),
      block("parameterized", "ParameterizedJob", M::One, parameterized),
      block("reschedule", "Reschedule", M::One, reschedule),
      block("migrate", "Migrate", M::One, migrate),
      map_block_or_attribute("meta", "Meta", string_map),
      block("ui", "UI", M::One, ui),
      // Not fields of the job: moved into tasks and groups by Special::Job.
      block("task", "Tasks", M::List, task),
      block("vault", "Vault", M::One, vault),
      block("secret", "Secrets", M::List, secret),
  };

  update.name = "update";
  update.attributes = {
      attr("stagger", "Stagger", VT::Duration),
      attr("max_parallel", "MaxParallel", VT::Int),
      attr("health_check", "HealthCheck", VT::String),
      attr("min_healthy_time", "MinHealthyTime", VT::Duration),
      attr("healthy_deadline", "HealthyDeadline", VT::Duration),
      attr("progress_deadline", "ProgressDeadline", VT::Duration),
      attr("canary", "Canary", VT::Int),
      attr("auto_revert", "AutoRevert", VT::Bool),
      attr("auto_promote", "AutoPromote", VT::Bool),
  };

  multiregion.name = "multiregion";
  multiregion.blocks = {block("strategy", "Strategy", M::One, multiregion_strategy),
                        block("region", "Regions", M::List, multiregion_region)};
  multiregion_strategy.name = "strategy";
  multiregion_strategy.attributes = {attr("max_parallel", "MaxParallel", VT::Int),
                                     attr("on_failure", "OnFailure", VT::String)};
  multiregion_region.name = "region";
  multiregion_region.label_names = {"name"};
  multiregion_region.label_fields = {"Name"};
  multiregion_region.attributes = {attr("count", "Count", VT::Int),
                                   attr("datacenters", "Datacenters", VT::StringList),
                                   attr("node_pool", "NodePool", VT::String)};
  multiregion_region.blocks = {block("meta", "Meta", M::One, string_map)};

  periodic.name = "periodic";
  periodic.special = Special::Periodic;
  periodic.attributes = {attr("enabled", "Enabled", VT::Bool), attr("cron", "Spec", VT::String),
                         attr("crons", "Specs", VT::StringList),
                         attr("prohibit_overlap", "ProhibitOverlap", VT::Bool),
                         attr("time_zone", "TimeZone", VT::String)};

  parameterized.name = "parameterized";
  parameterized.attributes = {attr("payload", "Payload", VT::String),
                              attr("meta_required", "MetaRequired", VT::StringList),
                              attr("meta_optional", "MetaOptional", VT::StringList)};

  ui.name = "ui";
  ui.attributes = {attr("description", "Description", VT::String)};
  ui.blocks = {block("link", "Links", M::List, ui_link)};
  ui_link.name = "link";
  ui_link.attributes = {attr("label", "Label", VT::String), attr("url", "URL", VT::String)};

  // --- scheduling policies shared by job, group and task ---
  restart.name = "restart";
  restart.attributes = {attr("interval", "Interval", VT::Duration),
                        attr("attempts", "Attempts", VT::Int), attr("delay", "Delay", VT::Duration),
                        attr("mode", "Mode", VT::String),
                        attr("render_templates", "RenderTemplates", VT::Bool)};

  disconnect.name = "disconnect";
  disconnect.attributes = {attr("lost_after", "LostAfter", VT::Duration),
                           attr("stop_on_client_after", "StopOnClientAfter", VT::Duration),
                           attr("replace", "Replace", VT::Bool),
                           attr("reconcile", "Reconcile", VT::String)};

  reschedule.name = "reschedule";
  reschedule.attributes = {attr("attempts", "Attempts", VT::Int),
                           attr("interval", "Interval", VT::Duration),
                           attr("delay", "Delay", VT::Duration),
                           attr("delay_function", "DelayFunction", VT::String),
                           attr("max_delay", "MaxDelay", VT::Duration),
                           attr("unlimited", "Unlimited", VT::Bool)};

  spread.name = "spread";
  spread.attributes = {attr("attribute", "Attribute", VT::String),
                       attr("weight", "Weight", VT::Int8)};
  spread.blocks = {block("target", "SpreadTarget", M::List, spread_target)};
  spread_target.name = "target";
  spread_target.label_names = {"value"};
  spread_target.label_fields = {"Value"};
  spread_target.attributes = {attr("percent", "Percent", VT::Uint8)};

  ephemeral_disk.name = "ephemeral_disk";
  ephemeral_disk.attributes = {attr("sticky", "Sticky", VT::Bool),
                               attr("migrate", "Migrate", VT::Bool),
                               attr("size", "SizeMB", VT::Int)};

  migrate.name = "migrate";
  migrate.attributes = {attr("max_parallel", "MaxParallel", VT::Int),
                        attr("health_check", "HealthCheck", VT::String),
                        attr("min_healthy_time", "MinHealthyTime", VT::Duration),
                        attr("healthy_deadline", "HealthyDeadline", VT::Duration)};

  // --- group ---
  group.name = "group";
  group.label_names = {"name"};
  group.label_fields = {"Name"};
  group.special = Special::Group;
  group.attributes = {
      attr("count", "Count", VT::Int),
      attr("shutdown_delay", "ShutdownDelay", VT::Duration),
      attr("max_run_duration", "MaxRunDuration", VT::Duration),
      attr("stop_after_client_disconnect", "StopAfterClientDisconnect", VT::Duration),
      attr("max_client_disconnect", "MaxClientDisconnect", VT::Duration),
      attr("prevent_reschedule_on_lost", "PreventRescheduleOnLost", VT::Bool),
  };
  group.blocks = {
      block("constraint", "Constraints", M::List, constraint),
      block("affinity", "Affinities", M::List, affinity),
      block("task", "Tasks", M::List, task),
      block("spread", "Spreads", M::List, spread),
      block("volume", "Volumes", M::MapByLabel, volume),
      block("restart", "RestartPolicy", M::One, restart),
      block("disconnect", "Disconnect", M::One, disconnect),
      block("reschedule", "ReschedulePolicy", M::One, reschedule),
      block("ephemeral_disk", "EphemeralDisk", M::One, ephemeral_disk),
      block("update", "Update", M::One, update),
      block("migrate", "Migrate", M::One, migrate),
      block("network", "Networks", M::List, network),
      map_block_or_attribute("meta", "Meta", string_map),
      block("service", "Services", M::List, service),
      block("scaling", "Scaling", M::One, group_scaling),
      block("consul", "Consul", M::One, consul),
      // Not fields of the group: moved into its tasks by Special::Group.
      block("vault", "Vault", M::One, vault),
      block("secret", "Secrets", M::List, secret),
  };

  volume.name = "volume";
  volume.label_names = {"name"};
  volume.label_fields = {"Name"};
  volume.attributes = {attr("type", "Type", VT::String),
                       attr("source", "Source", VT::String),
                       attr("read_only", "ReadOnly", VT::Bool),
                       attr("sticky", "Sticky", VT::Bool),
                       attr("access_mode", "AccessMode", VT::String),
                       attr("attachment_mode", "AttachmentMode", VT::String),
                       attr("per_alloc", "PerAlloc", VT::Bool)};
  volume.blocks = {block("mount_options", "MountOptions", M::One, mount_options)};
  mount_options.name = "mount_options";
  mount_options.attributes = {attr("fs_type", "FSType", VT::String),
                              attr("mount_flags", "MountFlags", VT::StringList)};

  group_scaling.name = "scaling";
  group_scaling.special = Special::GroupScaling;
  group_scaling.attributes = {attr("min", "Min", VT::Int64), attr("max", "Max", VT::Int64),
                              attr("enabled", "Enabled", VT::Bool),
                              attr("type", "Type", VT::String)};
  group_scaling.blocks = {block("policy", "Policy", M::One, opaque)};
  task_scaling = group_scaling;
  task_scaling.special = Special::TaskScaling;
  task_scaling.label_names = {"name"};

  consul.name = "consul";
  consul.attributes = {attr("namespace", "Namespace", VT::String),
                       attr("cluster", "Cluster", VT::String),
                       attr("partition", "Partition", VT::String)};

  // --- task ---
  task.name = "task";
  task.label_names = {"name"};
  task.label_fields = {"Name"};
  task.attributes = {
      attr("driver", "Driver", VT::String),
      attr("user", "User", VT::String),
      attr("kill_timeout", "KillTimeout", VT::Duration),
      attr("leader", "Leader", VT::Bool),
      attr("shutdown_delay", "ShutdownDelay", VT::Duration),
      attr("kill_signal", "KillSignal", VT::String),
      attr("kind", "Kind", VT::String),
  };
  task.blocks = {
      block("lifecycle", "Lifecycle", M::One, lifecycle),
      block("config", "Config", M::One, opaque),
      block("constraint", "Constraints", M::List, constraint),
      block("affinity", "Affinities", M::List, affinity),
      map_block_or_attribute("env", "Env", string_map),
      block("service", "Services", M::List, service),
      block("resources", "Resources", M::One, resources),
      block("restart", "RestartPolicy", M::One, restart),
      map_block_or_attribute("meta", "Meta", string_map),
      block("logs", "LogConfig", M::One, logs),
      block("artifact", "Artifacts", M::List, artifact),
      block("vault", "Vault", M::One, vault),
      block("consul", "Consul", M::One, consul),
      block("template", "Templates", M::List, template_),
      block("dispatch_payload", "DispatchPayload", M::One, dispatch_payload),
      block("volume_mount", "VolumeMounts", M::List, volume_mount),
      block("csi_plugin", "CSIPluginConfig", M::One, csi_plugin),
      block("scaling", "ScalingPolicies", M::List, task_scaling),
      block("secret", "Secrets", M::List, secret),
      block("identity", "Identities", M::List, identity),
      block("action", "Actions", M::List, action),
      block("schedule", "Schedule", M::One, schedule),
  };

  lifecycle.name = "lifecycle";
  lifecycle.attributes = {required_attr("hook", "Hook", VT::String),
                          attr("sidecar", "Sidecar", VT::Bool)};

  logs.name = "logs";
  logs.attributes = {attr("max_files", "MaxFiles", VT::Int),
                     attr("max_file_size", "MaxFileSizeMB", VT::Int),
                     attr("enabled", "Enabled", VT::Bool), attr("disabled", "Disabled", VT::Bool)};

  dispatch_payload.name = "dispatch_payload";
  dispatch_payload.attributes = {attr("file", "File", VT::String)};

  volume_mount.name = "volume_mount";
  volume_mount.attributes = {attr("volume", "Volume", VT::String),
                             attr("destination", "Destination", VT::String),
                             attr("read_only", "ReadOnly", VT::Bool),
                             attr("propagation_mode", "PropagationMode", VT::String),
                             attr("selinux_label", "SELinuxLabel", VT::String)};

  artifact.name = "artifact";
  artifact.attributes = {
      attr("source", "GetterSource", VT::String), attr("mode", "GetterMode", VT::String),
      attr("insecure", "GetterInsecure", VT::Bool), attr("destination", "RelativeDest", VT::String),
      attr("chown", "Chown", VT::Bool)};
  artifact.blocks = {block("options", "GetterOptions", M::One, string_map),
                     block("headers", "GetterHeaders", M::One, string_map)};

  template_.name = "template";
  template_.special = Special::Template;
  template_.attributes = {
      attr("source", "SourcePath", VT::String),
      attr("destination", "DestPath", VT::String),
      attr("data", "EmbeddedTmpl", VT::String),
      attr("change_mode", "ChangeMode", VT::String),
      attr("change_signal", "ChangeSignal", VT::String),
      attr("once", "Once", VT::Bool),
      attr("splay", "Splay", VT::Duration),
      attr("perms", "Perms", VT::String),
      attr("uid", "Uid", VT::Int),
      attr("gid", "Gid", VT::Int),
      attr("left_delimiter", "LeftDelim", VT::String),
      attr("right_delimiter", "RightDelim", VT::String),
      attr("env", "Envvars", VT::Bool),
      attr("vault_grace", "VaultGrace", VT::Duration),
      attr("error_on_missing_key", "ErrMissingKey", VT::Bool),
  };
  template_.blocks = {block("change_script", "ChangeScript", M::One, change_script),
                      block("wait", "Wait", M::One, wait)};
  change_script.name = "change_script";
  change_script.special = Special::ChangeScript;
  change_script.attributes = {
      attr("command", "Command", VT::String), attr("args", "Args", VT::StringList),
      attr("timeout", "Timeout", VT::Duration), attr("fail_on_error", "FailOnError", VT::Bool),
      attr("run_on_first_render", "RunOnFirstRender", VT::Bool)};
  wait.name = "wait";
  wait.attributes = {attr("min", "Min", VT::Duration), attr("max", "Max", VT::Duration)};

  vault.name = "vault";
  vault.special = Special::Vault;
  vault.attributes = {attr("policies", "Policies", VT::StringList),
                      attr("role", "Role", VT::String),
                      attr("namespace", "Namespace", VT::String),
                      attr("cluster", "Cluster", VT::String),
                      attr("env", "Env", VT::Bool),
                      attr("disable_file", "DisableFile", VT::Bool),
                      attr("change_mode", "ChangeMode", VT::String),
                      attr("change_signal", "ChangeSignal", VT::String),
                      attr("allow_token_expiration", "AllowTokenExpiration", VT::Bool)};

  secret.name = "secret";
  secret.label_names = {"name"};
  secret.label_fields = {"Name"};
  secret.attributes = {attr("provider", "Provider", VT::String), attr("path", "Path", VT::String)};
  secret.blocks = {block("config", "Config", M::One, opaque),
                   block("env", "Env", M::One, string_map)};

  csi_plugin.name = "csi_plugin";
  csi_plugin.attributes = {attr("id", "ID", VT::String), attr("type", "Type", VT::String),
                           attr("mount_dir", "MountDir", VT::String),
                           attr("stage_publish_base_dir", "StagePublishBaseDir", VT::String),
                           attr("health_timeout", "HealthTimeout", VT::Duration)};

  identity.name = "identity";
  identity.attributes = {attr("name", "Name", VT::String),
                         attr("aud", "Audience", VT::StringList),
                         attr("change_mode", "ChangeMode", VT::String),
                         attr("change_signal", "ChangeSignal", VT::String),
                         attr("env", "Env", VT::Bool),
                         attr("file", "File", VT::Bool),
                         attr("filepath", "Filepath", VT::String),
                         attr("service_name", "ServiceName", VT::String),
                         attr("ttl", "TTL", VT::Duration),
                         attr("extra_claims", "ExtraClaims", VT::StringList)};

  action.name = "action";
  action.label_names = {"name"};
  action.label_fields = {"Name"};
  action.attributes = {required_attr("command", "Command", VT::String),
                       attr("args", "Args", VT::StringList)};

  schedule.name = "schedule";
  schedule.blocks = {block("cron", "Cron", M::One, schedule_cron)};
  schedule_cron.name = "cron";
  schedule_cron.attributes = {attr("start", "Start", VT::String), attr("end", "End", VT::String),
                              attr("timezone", "Timezone", VT::String)};

  // --- resources and networks ---
  resources.name = "resources";
  resources.attributes = {
      attr("cpu", "CPU", VT::Int),         attr("cores", "Cores", VT::Int),
      attr("memory", "MemoryMB", VT::Int), attr("memory_max", "MemoryMaxMB", VT::Int),
      attr("disk", "DiskMB", VT::Int),     attr("secrets", "SecretsMB", VT::Int),
      attr("iops", "IOPS", VT::Int)};
  resources.blocks = {block("network", "Networks", M::List, network),
                      block("device", "Devices", M::List, device),
                      block("numa", "NUMA", M::One, numa)};
  numa.name = "numa";
  numa.attributes = {attr("affinity", "Affinity", VT::String),
                     attr("devices", "Devices", VT::StringList)};
  device.name = "device";
  device.label_names = {"name"};
  device.label_fields = {"Name"};
  device.attributes = {attr("count", "Count", VT::Uint64)};
  device.blocks = {block("constraint", "Constraints", M::List, constraint),
                   block("affinity", "Affinities", M::List, affinity)};

  network.name = "network";
  network.special = Special::Network;
  network.attributes = {
      attr("mode", "Mode", VT::String),         attr("device", "Device", VT::String),
      attr("cidr", "CIDR", VT::String),         attr("ip", "IP", VT::String),
      attr("hostname", "Hostname", VT::String), attr("mbits", "MBits", VT::Int)};
  network.blocks = {block("dns", "DNS", M::One, dns),
                    block("reserved_ports", "ReservedPorts", M::List, port),
                    block("port", "DynamicPorts", M::List, port), block("cni", "CNI", M::One, cni)};
  port.name = "port";
  port.label_names = {"label"};
  port.label_fields = {"Label"};
  port.attributes = {attr("static", "Value", VT::Int), attr("to", "To", VT::Int),
                     attr("host_network", "HostNetwork", VT::String),
                     attr("ignore_collision", "IgnoreCollision", VT::Bool)};
  dns.name = "dns";
  dns.attributes = {attr("servers", "Servers", VT::StringList),
                    attr("searches", "Searches", VT::StringList),
                    attr("options", "Options", VT::StringList)};
  cni.name = "cni";
  cni.attributes = {attr("args", "Args", VT::StringMap)};

  // --- services ---
  service.name = "service";
  service.attributes = {attr("name", "Name", VT::String),
                        attr("tags", "Tags", VT::StringList),
                        attr("canary_tags", "CanaryTags", VT::StringList),
                        attr("enable_tag_override", "EnableTagOverride", VT::Bool),
                        attr("port", "PortLabel", VT::String),
                        attr("address_mode", "AddressMode", VT::String),
                        attr("address", "Address", VT::String),
                        attr("task", "TaskName", VT::String),
                        attr("on_update", "OnUpdate", VT::String),
                        attr("provider", "Provider", VT::String),
                        attr("cluster", "Cluster", VT::String),
                        attr("kind", "Kind", VT::String)};
  service.blocks = {block("check", "Checks", M::List, check),
                    block("check_restart", "CheckRestart", M::One, check_restart),
                    block("connect", "Connect", M::One, connect),
                    block("meta", "Meta", M::One, string_map),
                    block("canary_meta", "CanaryMeta", M::One, string_map),
                    block("tagged_addresses", "TaggedAddresses", M::One, string_map),
                    block("identity", "Identity", M::One, identity),
                    block("weights", "Weights", M::One, weights)};

  check.name = "check";
  check.attributes = {
      attr("name", "Name", VT::String),
      attr("type", "Type", VT::String),
      attr("command", "Command", VT::String),
      attr("args", "Args", VT::StringList),
      attr("path", "Path", VT::String),
      attr("protocol", "Protocol", VT::String),
      attr("port", "PortLabel", VT::String),
      attr("expose", "Expose", VT::Bool),
      attr("address_mode", "AddressMode", VT::String),
      attr("advertise", "Advertise", VT::String),
      attr("interval", "Interval", VT::Duration),
      attr("timeout", "Timeout", VT::Duration),
      attr("initial_status", "InitialStatus", VT::String),
      attr("notes", "Notes", VT::String),
      attr("tls_server_name", "TLSServerName", VT::String),
      attr("tls_skip_verify", "TLSSkipVerify", VT::Bool),
      attr("method", "Method", VT::String),
      attr("grpc_service", "GRPCService", VT::String),
      attr("grpc_use_tls", "GRPCUseTLS", VT::Bool),
      attr("task", "TaskName", VT::String),
      attr("success_before_passing", "SuccessBeforePassing", VT::Int),
      attr("failures_before_critical", "FailuresBeforeCritical", VT::Int),
      attr("failures_before_warning", "FailuresBeforeWarning", VT::Int),
      attr("body", "Body", VT::String),
      attr("on_update", "OnUpdate", VT::String),
  };
  check.blocks = {block("header", "Header", M::One, string_list_map),
                  block("check_restart", "CheckRestart", M::One, check_restart)};

  check_restart.name = "check_restart";
  check_restart.attributes = {attr("limit", "Limit", VT::Int), attr("grace", "Grace", VT::Duration),
                              attr("ignore_warnings", "IgnoreWarnings", VT::Bool)};
  weights.name = "weights";
  weights.attributes = {attr("passing", "Passing", VT::Int), attr("warning", "Warning", VT::Int)};

  // --- Consul service mesh ---
  connect.name = "connect";
  connect.attributes = {attr("native", "Native", VT::Bool)};
  connect.blocks = {block("gateway", "Gateway", M::One, gateway),
                    block("sidecar_service", "SidecarService", M::One, sidecar_service),
                    block("sidecar_task", "SidecarTask", M::One, sidecar_task)};

  sidecar_service.name = "sidecar_service";
  sidecar_service.attributes = {
      attr("tags", "Tags", VT::StringList), attr("port", "Port", VT::String),
      attr("disable_default_tcp_check", "DisableDefaultTCPCheck", VT::Bool)};
  sidecar_service.blocks = {block("proxy", "Proxy", M::One, proxy),
                            block("meta", "Meta", M::One, string_map)};

  sidecar_task.name = "sidecar_task";
  sidecar_task.attributes = {attr("name", "Name", VT::String),
                             attr("driver", "Driver", VT::String),
                             attr("user", "User", VT::String),
                             attr("kill_timeout", "KillTimeout", VT::Duration),
                             attr("shutdown_delay", "ShutdownDelay", VT::Duration),
                             attr("kill_signal", "KillSignal", VT::String)};
  sidecar_task.blocks = {block("config", "Config", M::One, opaque),
                         block("env", "Env", M::One, string_map),
                         block("resources", "Resources", M::One, resources),
                         block("meta", "Meta", M::One, string_map),
                         block("logs", "LogConfig", M::One, logs),
                         block("volume_mount", "VolumeMounts", M::List, volume_mount),
                         block("identity", "Identities", M::List, identity)};

  proxy.name = "proxy";
  proxy.attributes = {attr("local_service_address", "LocalServiceAddress", VT::String),
                      attr("local_service_port", "LocalServicePort", VT::Int)};
  proxy.blocks = {block("expose", "Expose", M::One, expose),
                  block("upstreams", "Upstreams", M::List, upstream),
                  block("transparent_proxy", "TransparentProxy", M::One, transparent_proxy),
                  block("config", "Config", M::One, opaque)};

  upstream.name = "upstreams";
  upstream.attributes = {attr("destination_name", "DestinationName", VT::String),
                         attr("destination_namespace", "DestinationNamespace", VT::String),
                         attr("destination_peer", "DestinationPeer", VT::String),
                         attr("destination_partition", "DestinationPartition", VT::String),
                         attr("destination_type", "DestinationType", VT::String),
                         attr("local_bind_port", "LocalBindPort", VT::Int),
                         attr("datacenter", "Datacenter", VT::String),
                         attr("local_bind_address", "LocalBindAddress", VT::String),
                         attr("local_bind_socket_path", "LocalBindSocketPath", VT::String),
                         attr("local_bind_socket_mode", "LocalBindSocketMode", VT::String)};
  upstream.blocks = {block("mesh_gateway", "MeshGateway", M::One, mesh_gateway),
                     block("config", "Config", M::One, opaque)};
  mesh_gateway.name = "mesh_gateway";
  mesh_gateway.attributes = {attr("mode", "Mode", VT::String)};

  transparent_proxy.name = "transparent_proxy";
  transparent_proxy.attributes = {
      attr("uid", "UID", VT::String),
      attr("outbound_port", "OutboundPort", VT::Uint16),
      attr("exclude_inbound_ports", "ExcludeInboundPorts", VT::StringList),
      attr("exclude_outbound_ports", "ExcludeOutboundPorts", VT::Uint16List),
      attr("exclude_outbound_cidrs", "ExcludeOutboundCIDRs", VT::StringList),
      attr("exclude_uids", "ExcludeUIDs", VT::StringList),
      attr("no_dns", "NoDNS", VT::Bool)};

  expose.name = "expose";
  expose.blocks = {block("path", "Paths", M::List, expose_path)};
  expose_path.name = "path";
  expose_path.attributes = {attr("path", "Path", VT::String),
                            attr("protocol", "Protocol", VT::String),
                            attr("local_path_port", "LocalPathPort", VT::Int),
                            attr("listener_port", "ListenerPort", VT::String)};

  gateway.name = "gateway";
  gateway.blocks = {block("proxy", "Proxy", M::One, gateway_proxy),
                    block("ingress", "Ingress", M::One, ingress),
                    block("terminating", "Terminating", M::One, terminating),
                    block("mesh", "Mesh", M::One, mesh)};
  mesh.name = "mesh";

  gateway_proxy.name = "proxy";
  gateway_proxy.attributes = {
      attr("connect_timeout", "ConnectTimeout", VT::Duration),
      attr("envoy_gateway_bind_tagged_addresses", "EnvoyGatewayBindTaggedAddresses", VT::Bool),
      attr("envoy_gateway_no_default_bind", "EnvoyGatewayNoDefaultBind", VT::Bool),
      attr("envoy_dns_discovery_type", "EnvoyDNSDiscoveryType", VT::String)};
  gateway_proxy.blocks = {block("envoy_gateway_bind_addresses", "EnvoyGatewayBindAddresses",
                                M::MapByLabel, bind_address),
                          block("config", "Config", M::One, opaque)};
  bind_address.name = "envoy_gateway_bind_addresses";
  bind_address.label_names = {"name"};
  bind_address.label_fields = {"Name"};
  bind_address.attributes = {attr("address", "Address", VT::String), attr("port", "Port", VT::Int)};

  gateway_tls.name = "tls";
  gateway_tls.attributes = {attr("enabled", "Enabled", VT::Bool),
                            attr("tls_min_version", "TLSMinVersion", VT::String),
                            attr("tls_max_version", "TLSMaxVersion", VT::String),
                            attr("cipher_suites", "CipherSuites", VT::StringList)};
  gateway_tls.blocks = {block("sds", "SDS", M::One, tls_sds)};
  tls_sds.name = "sds";
  tls_sds.attributes = {attr("cluster_name", "ClusterName", VT::String),
                        attr("cert_resource", "CertResource", VT::String)};

  header_modifiers.name = "request_headers";
  header_modifiers.attributes = {attr("remove", "Remove", VT::StringList)};
  header_modifiers.blocks = {block("add", "Add", M::One, string_map),
                             block("set", "Set", M::One, string_map)};

  ingress.name = "ingress";
  ingress.blocks = {block("tls", "TLS", M::One, gateway_tls),
                    block("listener", "Listeners", M::List, ingress_listener)};
  ingress_listener.name = "listener";
  ingress_listener.attributes = {attr("port", "Port", VT::Int),
                                 attr("protocol", "Protocol", VT::String)};
  ingress_listener.blocks = {block("service", "Services", M::List, ingress_service)};
  ingress_service.name = "service";
  ingress_service.attributes = {
      attr("name", "Name", VT::String), attr("hosts", "Hosts", VT::StringList),
      attr("max_connections", "MaxConnections", VT::Uint32),
      attr("max_pending_requests", "MaxPendingRequests", VT::Uint32),
      attr("max_concurrent_requests", "MaxConcurrentRequests", VT::Uint32)};
  ingress_service.blocks = {block("tls", "TLS", M::One, gateway_tls),
                            block("request_headers", "RequestHeaders", M::One, header_modifiers),
                            block("response_headers", "ResponseHeaders", M::One, header_modifiers)};

  terminating.name = "terminating";
  terminating.blocks = {block("service", "Services", M::List, linked_service)};
  linked_service.name = "service";
  linked_service.attributes = {
      attr("name", "Name", VT::String), attr("ca_file", "CAFile", VT::String),
      attr("cert_file", "CertFile", VT::String), attr("key_file", "KeyFile", VT::String),
      attr("sni", "SNI", VT::String)};
}

}  // namespace

const AttributeSpec* BlockSpec::attribute(const std::string& attribute_name) const {
  for (const AttributeSpec& a : attributes) {
    if (a.name == attribute_name) return &a;
  }
  return nullptr;
}

const NestedBlockSpec* BlockSpec::block(const std::string& type) const {
  for (const NestedBlockSpec& b : blocks) {
    if (b.type == type) return &b;
  }
  return nullptr;
}

const BlockSpec& job_block_spec() {
  static const Schema schema;
  return schema.job;
}

}  // namespace jobspec
