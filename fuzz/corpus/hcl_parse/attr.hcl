a = 1
b = "x${y}z"
c = [1, 2.5, 1e3, true, null]
