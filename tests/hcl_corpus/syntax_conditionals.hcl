simple      = true ? "yes" : "no"
false_case  = false ? "yes" : "no"
nested      = 1 > 2 ? "a" : 2 > 1 ? "b" : "c"
with_ops    = 1 + 1 == 2 ? 10 * 2 : 0
parens      = (false ? 1 : 2) + 3
null_branch = true ? null : "x"
types_mix   = true ? 1 : "one"
list_branch = false ? [] : [1, 2]
obj_branch  = true ? { a = 1 } : { a = 2 }
multiline = (
  true
  ? "t"
  : "f"
)
non_bool    = "yes" ? 1 : 2
string_bool = "true" ? 1 : 2
ref_cond    = var.enabled ? "on" : "off"
