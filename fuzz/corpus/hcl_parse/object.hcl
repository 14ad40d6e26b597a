o = { a = 1, "b": 2, (k) = 3,
  d = [for x in y : x if x > 1]
}
