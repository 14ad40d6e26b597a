no_args     = timestamp()
one_arg     = upper("abc")
many_args   = format("%s-%d", "web", 3)
expand      = max([1, 5, 3]...)
expand_more = format("%s %s", ["a", "b"]...)
nested      = join(",", split(" ", lower("A B C")))
trailing    = concat([1], [2],)
multiline = merge(
  { a = 1 },
  { b = 2 },
)
with_for    = length([for x in [1, 2] : x])
as_traversal = jsonencode({ a = [1, 2] })
