interp        = "a ${"b"} c"
wrap_only     = "${42}"
wrap_list     = "${[1, 2]}"
nested_quotes = "outer ${"inner ${"deepest"}"} end"
arith         = "sum=${1 + 2}"
strip_left    = "a   ${~ "b"} c"
strip_right   = "a ${"b" ~}   c"
strip_both    = "x   ${~ "y" ~}   z"
interp_newline = "a ${
  "b"
} c"
if_true       = "%{ if true }yes%{ endif }"
if_else       = "%{ if 1 > 2 }big%{ else }small%{ endif }"
if_strip      = "[ %{~ if true ~} inside %{~ endif ~} ]"
for_list      = "%{ for x in ["a", "b", "c"] }${x},%{ endfor }"
for_index     = "%{ for i, x in ["a", "b"] }${i}:${x} %{ endfor }"
for_object    = "%{ for k, v in { b = 2, a = 1 } }${k}=${v};%{ endfor }"
for_strip     = "<%{~ for x in [1, 2] ~} ${x} %{~ endfor ~}>"
nested_dirs   = "%{ for x in [1, 2, 3] }%{ if x != 2 }${x}%{ endif }%{ endfor }"
escapes       = "$${not} and %%{not} and $ and % and $$ and %%"
number_interp = "${1.5}/${1e3}/${0.1}"
bool_interp   = "${true}-${false}"
null_interp   = "a${null}b"
runtime       = "${NOMAD_PORT_http}"
runtime_mixed = "http://${NOMAD_IP_http}:${NOMAD_PORT_http}/"
attr_ref      = "${attr.unique.hostname}"
meta_ref      = "${meta.rack}-${node.datacenter}"
dollar_end    = "cost $"
percent_end   = "100%"
heredoc_tpl   = <<EOT
%{ if true ~}
on
%{~ else ~}
off
%{ endif ~}
EOT
