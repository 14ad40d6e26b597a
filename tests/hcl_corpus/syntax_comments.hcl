# hash comment
// slash comment
/* block comment */
/*
   multi-line
   block comment
*/
a = 1 # trailing hash
b = 2 // trailing slashes
c = /* inline */ 3
d = [
  1, # one
  2, // two
  /* three */ 3,
]
e = {
  # a comment in an object
  k = "v" // after a member
}
block /* between */ "label" {
  # only a comment
}
f = "#not a comment // nor this /* nor this */"
