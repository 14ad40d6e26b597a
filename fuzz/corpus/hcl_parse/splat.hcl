a = x[*].y
b = x.*.z
c = x.0.y
d = f(a, b...)
