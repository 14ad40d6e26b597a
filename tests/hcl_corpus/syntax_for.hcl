squares     = [for x in [1, 2, 3] : x * x]
with_index  = [for i, v in ["a", "b"] : "${i}=${v}"]
filtered    = [for x in [1, 2, 3, 4, 5] : x if x % 2 == 1]
to_object   = {for s in ["a", "bb", "ccc"] : s => length}
obj_from_obj = {for k, v in { a = 1, b = 2 } : v => k}
obj_upper   = {for k, v in { one = 1, two = 2 } : "${k}!" => v * 10 if v > 1}
grouped     = {for s in ["apple", "avocado", "banana"] : substr => s...}
group_lit   = {for v in ["a", "b", "a"] : v => v...}
over_object = [for k, v in { z = 1, a = 2 } : k]
nested_for  = [for x in [1, 2] : [for y in [10, 20] : x * y]]
multiline   = [
  for x in [1, 2, 3] :
  x + 1
  if x != 2
]
over_ref    = [for x in var.list : x]
tuple_in_obj = {for i, v in ["x", "y"] : v => i}
duplicate_key = {for v in ["a", "a"] : v => 1}
