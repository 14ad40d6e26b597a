precedence     = var.count + var.count * 2 - 1
parens         = (var.count + 1) * 2
negate         = -var.count
modulo         = var.count % 2
divide         = var.count / 2
compare_chain  = var.count > 2 == true
string_number  = "2" * var.count
number_string_eq = var.count == "3"
cond_unify_num_str = var.enabled ? var.count : "x"
cond_tuple_empty = var.enabled ? var.ports : []
cond_tuple_mixed = var.disabled ? var.ports : var.tags
cond_object    = var.enabled ? var.labels : {}
cond_null_else = var.enabled ? null : var.name
and_short_circuit = var.disabled && var.missing
or_short_circuit  = var.enabled || var.missing
null_compare   = var.nothing == null
null_arith     = var.nothing + 1
not_string     = !var.name
list_equal     = var.ports == [80, 443, 8080]
list_not_equal = var.ports != var.tags
object_equal   = var.labels == { env = "prod", team = "shop", "dotted.key" = "x" }
bool_string    = var.enabled == "true"
unary_string   = -"5"
