# Corners of the grammar and of evaluation that parsers get wrong.
neg_neg        = 1 - -1
not_eq         = !true == false
neg_mul        = -2 * 3
mixed          = 1 + 2 == 3 && !false
str_index      = [10, 20]["1"]
obj_index      = { a = 1 }["a"]
num_key        = { (1) = "one" }
tpl_key        = { "${1}x" = 2 }
bool_key       = { (true) = "t" }
splat_nested   = [{ a = [1, 2] }, { a = [3] }][*].a[0]
splat_obj      = { a = 1 }[*]
for_no_spaces  = [for x in [1,2]:x if x>1]
for_obj_tuple  = {for k, v in { a = [1], b = [2, 3] } : k => length(v)}
for_str_values = [for v in { b = "B", a = "A" } : v]
cond_nested    = true ? false ? 1 : 2 : 3
paren_deep     = ((((1))))
empty_label_ok = ""
backslash_interp = "\\${"x"}"
dollar_brace_escape = "$${x} $$ $${"
percent_escape = "%%{ if } %%"
interp_then_dollar = "${"a"}$"
string_compare_error = "a" < "b"
tuple_plus_error = [1] + [2]
equal_types    = [1] == ["1"]
null_and       = null == false
long_string    = "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
tabs	=	"tab separated"
trailing_ws    = 1   
comment_at_end = "x" # last
