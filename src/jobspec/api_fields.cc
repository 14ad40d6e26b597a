// The field tables of api.Job's tree. Each list follows the Go declaration order of
// Nomad's api package; fields tagged json:"-" (ExtraKeysHCL) are not listed, since Go
// neither prints nor reads them.
#include "jobspec/api_fields.h"

#include <limits>

namespace jobspec::api {

namespace {

bool equal_folded(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Short constructors, so that each table reads like the Go struct it copies the shape of.
// The `p` forms are Go pointers (*string, *int, ...): null until set.
Field str(std::string_view n) {
  return {n, Kind::String, false};
}
Field pstr(std::string_view n) {
  return {n, Kind::String, true};
}
Field boolean(std::string_view n) {
  return {n, Kind::Bool, false};
}
Field pbool(std::string_view n) {
  return {n, Kind::Bool, true};
}
Field integer(std::string_view n) {
  return {n, Kind::Int, false};
}
Field pint(std::string_view n) {
  return {n, Kind::Int, true};
}
Field duration(std::string_view n) {
  return {n, Kind::Int64, false};
}
Field pduration(std::string_view n) {
  return {n, Kind::Int64, true};
}
Field puint64(std::string_view n) {
  return {n, Kind::Uint64, true};
}
Field strings(std::string_view n) {
  return {n, Kind::StringList, true};
}
Field string_map(std::string_view n) {
  return {n, Kind::StringMap, true};
}
Field any_map(std::string_view n) {
  return {n, Kind::Any, true};
}
Field one(std::string_view n, const Struct& s) {
  return {n, Kind::Struct, true, &s};
}
Field list(std::string_view n, const Struct& s) {
  return {n, Kind::StructList, true, &s};
}
Field map_of(std::string_view n, const Struct& s) {
  return {n, Kind::StructMap, true, &s};
}

// Every struct of the tree. Members reference each other by address, so the tables are
// filled in the constructor, once the members exist.
struct Schema {
  Struct job{"Job", {}}, constraint{"Constraint", {}}, affinity{"Affinity", {}},
      spread{"Spread", {}}, spread_target{"SpreadTarget", {}}, update{"UpdateStrategy", {}},
      multiregion{"Multiregion", {}}, multiregion_strategy{"MultiregionStrategy", {}},
      multiregion_region{"MultiregionRegion", {}}, periodic{"PeriodicConfig", {}},
      parameterized{"ParameterizedJobConfig", {}}, reschedule{"ReschedulePolicy", {}},
      migrate{"MigrateStrategy", {}}, ui{"JobUIConfig", {}}, ui_link{"JobUILink", {}},
      version_tag{"JobVersionTag", {}}, group{"TaskGroup", {}}, volume{"VolumeRequest", {}},
      mount_options{"CSIMountOptions", {}}, restart{"RestartPolicy", {}},
      disconnect{"DisconnectStrategy", {}}, ephemeral_disk{"EphemeralDisk", {}},
      network{"NetworkResource", {}}, dns{"DNSConfig", {}}, cni{"CNIConfig", {}}, port{"Port", {}},
      scaling{"ScalingPolicy", {}}, consul{"Consul", {}}, task{"Task", {}},
      lifecycle{"TaskLifecycle", {}}, resources{"Resources", {}}, device{"RequestedDevice", {}},
      numa{"NUMAResource", {}}, log_config{"LogConfig", {}}, artifact{"TaskArtifact", {}},
      vault{"Vault", {}}, tmpl{"Template", {}}, change_script{"ChangeScript", {}},
      wait{"WaitConfig", {}}, dispatch_payload{"DispatchPayloadConfig", {}},
      volume_mount{"VolumeMount", {}}, csi_plugin{"TaskCSIPluginConfig", {}}, secret{"Secret", {}},
      identity{"WorkloadIdentity", {}}, action{"Action", {}}, schedule{"TaskSchedule", {}},
      schedule_cron{"TaskScheduleCron", {}}, service{"Service", {}}, check{"ServiceCheck", {}},
      check_restart{"CheckRestart", {}}, weights{"ServiceWeights", {}},
      connect{"ConsulConnect", {}}, sidecar_service{"ConsulSidecarService", {}},
      sidecar_task{"SidecarTask", {}}, proxy{"ConsulProxy", {}}, expose{"ConsulExposeConfig", {}},
      expose_path{"ConsulExposePath", {}}, upstream{"ConsulUpstream", {}},
      mesh_gateway{"ConsulMeshGateway", {}}, transparent_proxy{"ConsulTransparentProxy", {}},
      gateway{"ConsulGateway", {}}, gateway_proxy{"ConsulGatewayProxy", {}},
      bind_address{"ConsulGatewayBindAddress", {}}, ingress{"ConsulIngressConfigEntry", {}},
      gateway_tls{"ConsulGatewayTLSConfig", {}}, tls_sds{"ConsulGatewayTLSSDSConfig", {}},
      listener{"ConsulIngressListener", {}}, ingress_service{"ConsulIngressService", {}},
      header_modifiers{"ConsulHTTPHeaderModifiers", {}},
      terminating{"ConsulTerminatingConfigEntry", {}}, linked_service{"ConsulLinkedService", {}},
      mesh{"ConsulMeshConfigEntry", {}};

  Schema() {
    job.fields = {pstr("Region"),
                  pstr("Namespace"),
                  pstr("ID"),
                  pstr("Name"),
                  pstr("Type"),
                  pint("Priority"),
                  pbool("AllAtOnce"),
                  strings("Datacenters"),
                  pstr("NodePool"),
                  list("Constraints", constraint),
                  list("Affinities", affinity),
                  list("TaskGroups", group),
                  one("Update", update),
                  one("Multiregion", multiregion),
                  list("Spreads", spread),
                  one("Periodic", periodic),
                  one("ParameterizedJob", parameterized),
                  one("Reschedule", reschedule),
                  one("Migrate", migrate),
                  string_map("Meta"),
                  one("UI", ui),
                  pbool("Stop"),
                  pstr("ParentID"),
                  boolean("Dispatched"),
                  pstr("DispatchIdempotencyToken"),
                  {"Payload", Kind::Bytes, true},
                  pstr("ConsulNamespace"),
                  pstr("VaultNamespace"),
                  pstr("NomadTokenID"),
                  pstr("Status"),
                  pstr("StatusDescription"),
                  pbool("Stable"),
                  puint64("Version"),
                  {"SubmitTime", Kind::Int64, true},
                  puint64("CreateIndex"),
                  puint64("ModifyIndex"),
                  puint64("JobModifyIndex"),
                  one("VersionTag", version_tag)};
    constraint.fields = {str("LTarget"), str("RTarget"), str("Operand")};
    affinity.fields = {
        str("LTarget"), str("RTarget"), str("Operand"), {"Weight", Kind::Int8, true}};
    spread.fields = {
        str("Attribute"), {"Weight", Kind::Int8, true}, list("SpreadTarget", spread_target)};
    spread_target.fields = {str("Value"), {"Percent", Kind::Uint8, false}};
    update.fields = {pduration("Stagger"),
                     pint("MaxParallel"),
                     pstr("HealthCheck"),
                     pduration("MinHealthyTime"),
                     pduration("HealthyDeadline"),
                     pduration("ProgressDeadline"),
                     pint("Canary"),
                     pbool("AutoRevert"),
                     pbool("AutoPromote")};
    multiregion.fields = {one("Strategy", multiregion_strategy),
                          list("Regions", multiregion_region)};
    multiregion_strategy.fields = {pint("MaxParallel"), pstr("OnFailure")};
    multiregion_region.fields = {str("Name"), pint("Count"), strings("Datacenters"),
                                 str("NodePool"), string_map("Meta")};
    periodic.fields = {pbool("Enabled"),         pstr("Spec"),
                       strings("Specs"),         pstr("SpecType"),
                       pbool("ProhibitOverlap"), pstr("TimeZone")};
    parameterized.fields = {str("Payload"), strings("MetaRequired"), strings("MetaOptional")};
    reschedule.fields = {pint("Attempts"),      pduration("Interval"), pduration("Delay"),
                         pstr("DelayFunction"), pduration("MaxDelay"), pbool("Unlimited")};
    migrate.fields = {pint("MaxParallel"), pstr("HealthCheck"), pduration("MinHealthyTime"),
                      pduration("HealthyDeadline")};
    ui.fields = {str("Description"), list("Links", ui_link)};
    ui_link.fields = {str("Label"), str("URL")};
    version_tag.fields = {str("Name"), str("Description"), {"TaggedTime", Kind::Int64, false}};

    group.fields = {pstr("Name"),
                    pint("Count"),
                    list("Constraints", constraint),
                    list("Affinities", affinity),
                    list("Tasks", task),
                    list("Spreads", spread),
                    map_of("Volumes", volume),
                    one("RestartPolicy", restart),
                    one("Disconnect", disconnect),
                    one("ReschedulePolicy", reschedule),
                    one("EphemeralDisk", ephemeral_disk),
                    one("Update", update),
                    one("Migrate", migrate),
                    list("Networks", network),
                    string_map("Meta"),
                    list("Services", service),
                    pduration("ShutdownDelay"),
                    pduration("MaxRunDuration"),
                    pduration("StopAfterClientDisconnect"),
                    pduration("MaxClientDisconnect"),
                    one("Scaling", scaling),
                    one("Consul", consul),
                    pbool("PreventRescheduleOnLost")};
    volume.fields = {str("Name"),           str("Type"),
                     str("Source"),         boolean("ReadOnly"),
                     boolean("Sticky"),     str("AccessMode"),
                     str("AttachmentMode"), one("MountOptions", mount_options),
                     boolean("PerAlloc")};
    mount_options.fields = {str("FSType"), strings("MountFlags")};
    restart.fields = {pduration("Interval"), pint("Attempts"), pduration("Delay"), pstr("Mode"),
                      pbool("RenderTemplates")};
    disconnect.fields = {pduration("LostAfter"), pduration("StopOnClientAfter"), pbool("Replace"),
                         pstr("Reconcile")};
    ephemeral_disk.fields = {pbool("Sticky"), pbool("Migrate"), pint("SizeMB")};
    network.fields = {str("Mode"),
                      str("Device"),
                      str("CIDR"),
                      str("IP"),
                      one("DNS", dns),
                      list("ReservedPorts", port),
                      list("DynamicPorts", port),
                      str("Hostname"),
                      pint("MBits"),
                      one("CNI", cni)};
    dns.fields = {strings("Servers"), strings("Searches"), strings("Options")};
    cni.fields = {string_map("Args")};
    port.fields = {str("Label"), integer("Value"), integer("To"), str("HostNetwork"),
                   boolean("IgnoreCollision")};
    scaling.fields = {{"Min", Kind::Int64, true},
                      {"Max", Kind::Int64, true},
                      any_map("Policy"),
                      pbool("Enabled"),
                      str("Type"),
                      str("ID"),
                      str("Namespace"),
                      string_map("Target"),
                      {"CreateIndex", Kind::Uint64, false},
                      {"ModifyIndex", Kind::Uint64, false}};
    consul.fields = {str("Namespace"), str("Cluster"), str("Partition")};

    task.fields = {str("Name"),
                   str("Driver"),
                   str("User"),
                   one("Lifecycle", lifecycle),
                   any_map("Config"),
                   list("Constraints", constraint),
                   list("Affinities", affinity),
                   string_map("Env"),
                   list("Services", service),
                   one("Resources", resources),
                   one("RestartPolicy", restart),
                   string_map("Meta"),
                   pduration("KillTimeout"),
                   one("LogConfig", log_config),
                   list("Artifacts", artifact),
                   one("Vault", vault),
                   one("Consul", consul),
                   list("Templates", tmpl),
                   one("DispatchPayload", dispatch_payload),
                   list("VolumeMounts", volume_mount),
                   {"CSIPluginConfig", Kind::Struct, true, &csi_plugin, true},
                   boolean("Leader"),
                   duration("ShutdownDelay"),
                   str("KillSignal"),
                   str("Kind"),
                   list("ScalingPolicies", scaling),
                   list("Secrets", secret),
                   one("Identity", identity),
                   list("Identities", identity),
                   list("Actions", action),
                   one("Schedule", schedule)};
    lifecycle.fields = {str("Hook"), boolean("Sidecar")};
    resources.fields = {pint("CPU"),
                        pint("Cores"),
                        pint("MemoryMB"),
                        pint("MemoryMaxMB"),
                        pint("DiskMB"),
                        list("Networks", network),
                        list("Devices", device),
                        one("NUMA", numa),
                        pint("SecretsMB"),
                        pint("IOPS")};
    device.fields = {str("Name"), puint64("Count"), list("Constraints", constraint),
                     list("Affinities", affinity)};
    numa.fields = {str("Affinity"), strings("Devices")};
    log_config.fields = {pint("MaxFiles"), pint("MaxFileSizeMB"), pbool("Enabled"),
                         pbool("Disabled")};
    artifact.fields = {
        pstr("GetterSource"), string_map("GetterOptions"), string_map("GetterHeaders"),
        pstr("GetterMode"),   pbool("GetterInsecure"),     pstr("RelativeDest"),
        boolean("Chown")};
    vault.fields = {strings("Policies"), str("Role"),          pstr("Namespace"),
                    str("Cluster"),      pbool("Env"),         pbool("DisableFile"),
                    pstr("ChangeMode"),  pstr("ChangeSignal"), pbool("AllowTokenExpiration")};
    tmpl.fields = {pstr("SourcePath"),
                   pstr("DestPath"),
                   pstr("EmbeddedTmpl"),
                   pstr("ChangeMode"),
                   one("ChangeScript", change_script),
                   pstr("ChangeSignal"),
                   pbool("Once"),
                   pduration("Splay"),
                   pstr("Perms"),
                   pint("Uid"),
                   pint("Gid"),
                   pstr("LeftDelim"),
                   pstr("RightDelim"),
                   pbool("Envvars"),
                   pduration("VaultGrace"),
                   one("Wait", wait),
                   pbool("ErrMissingKey")};
    change_script.fields = {pstr("Command"), strings("Args"), pduration("Timeout"),
                            pbool("FailOnError"), pbool("RunOnFirstRender")};
    wait.fields = {pduration("Min"), pduration("Max")};
    dispatch_payload.fields = {str("File")};
    volume_mount.fields = {pstr("Volume"), pstr("Destination"), pbool("ReadOnly"),
                           pstr("PropagationMode"), pstr("SELinuxLabel")};
    csi_plugin.fields = {str("ID"), str("Type"), str("MountDir"), str("StagePublishBaseDir"),
                         duration("HealthTimeout")};
    secret.fields = {str("Name"), str("Provider"), str("Path"), any_map("Config"),
                     string_map("Env")};
    identity.fields = {str("Name"),           strings("Audience"), str("ChangeMode"),
                       str("ChangeSignal"),   boolean("Env"),      boolean("File"),
                       str("Filepath"),       str("ServiceName"),  duration("TTL"),
                       strings("ExtraClaims")};
    action.fields = {str("Name"), str("Command"), strings("Args")};
    schedule.fields = {one("Cron", schedule_cron)};
    schedule_cron.fields = {str("Start"), str("End"), str("Timezone")};

    service.fields = {str("Name"),
                      strings("Tags"),
                      strings("CanaryTags"),
                      boolean("EnableTagOverride"),
                      str("PortLabel"),
                      str("AddressMode"),
                      str("Address"),
                      list("Checks", check),
                      one("CheckRestart", check_restart),
                      one("Connect", connect),
                      string_map("Meta"),
                      string_map("CanaryMeta"),
                      string_map("TaggedAddresses"),
                      str("TaskName"),
                      str("OnUpdate"),
                      one("Identity", identity),
                      one("Weights", weights),
                      str("Provider"),
                      str("Cluster"),
                      str("Kind")};
    check.fields = {str("Name"),
                    str("Type"),
                    str("Command"),
                    strings("Args"),
                    str("Path"),
                    str("Protocol"),
                    str("PortLabel"),
                    boolean("Expose"),
                    str("AddressMode"),
                    str("Advertise"),
                    duration("Interval"),
                    duration("Timeout"),
                    str("InitialStatus"),
                    str("Notes"),
                    str("TLSServerName"),
                    boolean("TLSSkipVerify"),
                    {"Header", Kind::StringListMap, true},
                    str("Method"),
                    one("CheckRestart", check_restart),
                    str("GRPCService"),
                    boolean("GRPCUseTLS"),
                    str("TaskName"),
                    integer("SuccessBeforePassing"),
                    integer("FailuresBeforeCritical"),
                    integer("FailuresBeforeWarning"),
                    str("Body"),
                    str("OnUpdate")};
    check_restart.fields = {integer("Limit"), pduration("Grace"), boolean("IgnoreWarnings")};
    weights.fields = {integer("Passing"), integer("Warning")};
    connect.fields = {boolean("Native"), one("Gateway", gateway),
                      one("SidecarService", sidecar_service), one("SidecarTask", sidecar_task)};
    sidecar_service.fields = {strings("Tags"), str("Port"), one("Proxy", proxy),
                              boolean("DisableDefaultTCPCheck"), string_map("Meta")};
    sidecar_task.fields = {str("Name"),
                           str("Driver"),
                           str("User"),
                           any_map("Config"),
                           string_map("Env"),
                           one("Resources", resources),
                           string_map("Meta"),
                           pduration("KillTimeout"),
                           one("LogConfig", log_config),
                           pduration("ShutdownDelay"),
                           str("KillSignal"),
                           list("VolumeMounts", volume_mount),
                           list("Identities", identity)};
    proxy.fields = {str("LocalServiceAddress"),
                    integer("LocalServicePort"),
                    one("Expose", expose),
                    one("ExposeConfig", expose),
                    list("Upstreams", upstream),
                    one("TransparentProxy", transparent_proxy),
                    any_map("Config")};
    expose.fields = {list("Paths", expose_path), list("Path", expose_path)};
    expose_path.fields = {str("Path"), str("Protocol"), integer("LocalPathPort"),
                          str("ListenerPort")};
    upstream.fields = {
        str("DestinationName"),      str("DestinationNamespace"),      str("DestinationPeer"),
        str("DestinationPartition"), str("DestinationType"),           integer("LocalBindPort"),
        str("Datacenter"),           str("LocalBindAddress"),          str("LocalBindSocketPath"),
        str("LocalBindSocketMode"),  one("MeshGateway", mesh_gateway), any_map("Config")};
    mesh_gateway.fields = {str("Mode")};
    transparent_proxy.fields = {str("UID"),
                                {"OutboundPort", Kind::Uint16, false},
                                strings("ExcludeInboundPorts"),
                                {"ExcludeOutboundPorts", Kind::Uint16List, true},
                                strings("ExcludeOutboundCIDRs"),
                                strings("ExcludeUIDs"),
                                boolean("NoDNS")};
    gateway.fields = {one("Proxy", gateway_proxy), one("Ingress", ingress),
                      one("Terminating", terminating), one("Mesh", mesh)};
    gateway_proxy.fields = {pduration("ConnectTimeout"),
                            boolean("EnvoyGatewayBindTaggedAddresses"),
                            map_of("EnvoyGatewayBindAddresses", bind_address),
                            boolean("EnvoyGatewayNoDefaultBind"),
                            str("EnvoyDNSDiscoveryType"),
                            any_map("Config")};
    bind_address.fields = {str("Name"), str("Address"), integer("Port")};
    ingress.fields = {one("TLS", gateway_tls), list("Listeners", listener)};
    gateway_tls.fields = {boolean("Enabled"), str("TLSMinVersion"), str("TLSMaxVersion"),
                          strings("CipherSuites"), one("SDS", tls_sds)};
    tls_sds.fields = {str("ClusterName"), str("CertResource")};
    listener.fields = {integer("Port"), str("Protocol"), list("Services", ingress_service)};
    ingress_service.fields = {str("Name"),
                              strings("Hosts"),
                              one("TLS", gateway_tls),
                              one("RequestHeaders", header_modifiers),
                              one("ResponseHeaders", header_modifiers),
                              {"MaxConnections", Kind::Uint32, true},
                              {"MaxPendingRequests", Kind::Uint32, true},
                              {"MaxConcurrentRequests", Kind::Uint32, true}};
    header_modifiers.fields = {string_map("Add"), string_map("Set"), strings("Remove")};
    terminating.fields = {list("Services", linked_service)};
    linked_service.fields = {str("Name"), str("CAFile"), str("CertFile"), str("KeyFile"),
                             str("SNI")};
    // mesh: an empty struct, printed as {}.
  }
};

}  // namespace

const Field* Struct::find(std::string_view field_name) const {
  for (const Field& field : fields) {
    if (field.name == field_name) return &field;
  }
  return nullptr;
}

const Field* Struct::find_folded(std::string_view field_name) const {
  if (const Field* exact = find(field_name)) return exact;
  for (const Field& field : fields) {
    if (equal_folded(field.name, field_name)) return &field;
  }
  return nullptr;
}

const Struct& job_struct() {
  static const Schema schema;
  return schema.job;
}

IntRange int_range(Kind kind) {
  switch (kind) {
    case Kind::Int:
    case Kind::Int64:
      return {std::numeric_limits<std::int64_t>::min(),
              static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())};
    case Kind::Int8:
      return {-128, 127};
    case Kind::Uint8:
      return {0, 255};
    case Kind::Uint16:
    case Kind::Uint16List:
      return {0, 65535};
    case Kind::Uint32:
      return {0, 4294967295ULL};
    case Kind::Uint64:
      return {0, std::numeric_limits<std::uint64_t>::max()};
    default:
      return {0, 0};
  }
}

}  // namespace jobspec::api
