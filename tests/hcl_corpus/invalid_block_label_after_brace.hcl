block { } "x"
