empty_tuple  = []
empty_object = {}
tuple        = [1, "two", true, null, 2.5]
trailing     = [1, 2, 3,]
multiline = [
  "a",
  "b",
]
multiline_no_trailing = [
  "a",
  "b"
]
nested = [[1, 2], [], [[3]]]
object = { a = 1, b = "two" }
object_trailing = { a = 1, b = 2, }
object_colons = { "a": 1, "b": 2 }
object_mixed = {
  a = 1
  "quoted key" = 2
  c : 3,
  d = 4,
}
object_newlines = {
  x = 1
  y = 2
}
deep = {
  list = [{ k = "v" }, { k = "w" }]
  map  = { inner = { innermost = true } }
}
numeric_key = { 1 = "one", 2 = "two" }
keyword_keys = { true = 1, null = 2, for = 3, if = 4, in = 5 }
dash_key = { with-dash = 1 }
paren_key = { ("a") = 1 }
template_key = { "${"x"}y" = 1 }
duplicate_keys = { a = 1, a = 2 }
