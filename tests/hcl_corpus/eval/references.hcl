name          = var.name
count_plus    = var.count + 1
ratio_times   = var.ratio * 4
nested        = var.nested.level1.level2.value
index         = var.ports[1]
legacy_index  = var.ports.2
index_key     = var.labels["env"]
index_dotted  = var.labels["dotted.key"]
index_expr    = var.ports[var.count - 2]
index_string_number = var.ports["0"]
server_ip     = var.servers[1].ip
splat         = var.servers[*].name
splat_attr    = var.servers.*.ip
splat_nested  = var.servers[*].ports[0]
splat_of_map  = var.labels[*]
splat_null    = var.nothing[*]
interp        = "${local.prefix}-${var.name}:${local.port}"
wrap          = "${var.ports}"
runtime_env   = "port ${NOMAD_PORT_http}"
unknown_var   = foo.bar
missing_attr  = var.missing
out_of_range  = var.ports[10]
negative_idx  = var.ports[-1]
attr_of_list  = var.ports.name
null_attr     = var.nothing.x
cond_ref      = var.enabled ? var.name : "none"
cond_null     = var.nothing == null ? "unset" : "set"
compare_str   = var.name == "web"
compare_list  = var.tags == ["blue", "green", "blue"]
len_in_tpl    = "${var.count} servers"
bool_tpl      = "enabled=${var.enabled}"
not_ref       = !var.disabled
and_ref       = var.enabled && !var.disabled || false
for_servers   = [for s in var.servers : "${s.name}=${s.ip}"]
for_map       = {for s in var.servers : s.name => s.ip}
for_labels    = [for k, v in var.labels : "${k}:${v}"]
for_if        = [for p in var.ports : p if p > 100]
for_group     = {for t in var.tags : t => t...}
for_index     = [for i, p in var.ports : i * p]
for_dup_key   = {for t in var.tags : t => 1}
for_non_bool  = [for p in var.ports : p if p]
tpl_for       = "%{ for s in var.servers }${s.name};%{ endfor }"
tpl_if        = "%{ if var.count > 2 }many%{ else }few%{ endif }"
num_to_str    = "${var.ratio}"
str_to_num    = "10" * var.count
bad_arith     = var.name + 1
bad_cond      = var.name ? 1 : 2
