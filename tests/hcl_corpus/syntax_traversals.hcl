attr        = var.name
nested      = var.settings.labels.env
index_num   = var.list[0]
index_str   = var.map["key"]
legacy      = var.list.0
legacy_deep = var.list.0.name
index_expr  = var.list[1 + 1]
index_ref   = var.map[var.key]
splat_full  = var.servers[*].name
splat_attr  = var.servers.*.name
splat_index = var.servers[*].ports[0]
splat_lit   = [{ n = 1 }, { n = 2 }][*].n
splat_attr_lit = [{ n = 1 }, { n = 2 }].*.n
splat_bare  = [1, 2][*]
splat_null  = null[*]
splat_scalar = "x"[*]
lit_index   = [10, 20, 30][1]
lit_key     = { a = "x" }["a"]
lit_attr    = { a = { b = "y" } }.a.b
lit_legacy  = ["p", "q"].1
call_attr   = jsondecode("{}").a
paren_attr  = (var.obj).field
interp_attr = "${var.name}"
dashes      = attr.unique.platform-name
node_id     = node.unique.id
index_out   = [1, 2][5]
