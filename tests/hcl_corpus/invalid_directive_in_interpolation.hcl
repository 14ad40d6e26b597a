a = "${ %{ if true } }"
