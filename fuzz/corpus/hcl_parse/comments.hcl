# one
// two
/* three
 */ a = 1
