#include "nomad/schemas.h"

#include <string>

namespace pot::nomad {

namespace {

hclspec::Spec attr(const std::string& name, const std::string& type, bool required = false) {
  hclspec::Spec spec;
  hclspec::Attr* a = spec.mutable_attr();
  a->set_name(name);
  a->set_type(type);
  a->set_required(required);
  return spec;
}

hclspec::Spec with_default(hclspec::Spec primary, const std::string& hcl_literal) {
  hclspec::Spec spec;
  hclspec::Default* d = spec.mutable_default_();
  *d->mutable_primary() = std::move(primary);
  d->mutable_default_()->mutable_literal()->set_value(hcl_literal);
  return spec;
}

}  // namespace

hclspec::Spec plugin_config_spec() {
  hclspec::Spec spec;
  auto& fields = *spec.mutable_object()->mutable_attributes();
  fields["enabled"] = with_default(attr("enabled", "bool"), "true");
  fields["signing_key"] = attr("signing_key", "string");
  fields["host_paths"] = attr("host_paths", "list(string)");
  fields["pot_path"] = attr("pot_path", "string");
  fields["fs_root"] = attr("fs_root", "string");
  fields["network"] = attr("network", "string");
  fields["gateway"] = attr("gateway", "string");
  fields["extif"] = attr("extif", "string");
  fields["dns_ip"] = attr("dns_ip", "string");
  fields["cgroup"] = attr("cgroup", "string");
  fields["storage"] = attr("storage", "string");
  return spec;
}

hclspec::Spec task_config_spec() {
  hclspec::Spec spec;
  auto& fields = *spec.mutable_object()->mutable_attributes();
  fields["image"] = attr("image", "string", /*required=*/true);
  fields["pot"] = attr("pot", "string", /*required=*/true);
  fields["tag"] = attr("tag", "string", /*required=*/true);
  fields["command"] = attr("command", "string");
  fields["args"] = attr("args", "list(string)");
  // An object (`port_map = { http = "80" }`, the seed's form) or a list of them (the block
  // form `port_map { http = 80 }`, the original driver's list(map(string))): both decode.
  fields["port_map"] = attr("port_map", "any");
  fields["network_mode"] = attr("network_mode", "string");
  fields["copy"] = attr("copy", "list(string)");
  fields["mount"] = attr("mount", "list(string)");
  fields["mount_read_only"] = attr("mount_read_only", "list(string)");
  fields["extra_hosts"] = attr("extra_hosts", "list(string)");
  fields["attributes"] = attr("attributes", "list(string)");
  return spec;
}

}  // namespace pot::nomad
