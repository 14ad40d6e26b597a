add        = 1 + 2
sub        = 10 - 4 - 3
mul_first  = 2 + 3 * 4
paren      = (2 + 3) * 4
div        = 7 / 2
mod        = 7 % 3
neg_mod    = -7 % 3
chain      = 1 + 2 * 3 - 4 / 2 % 3
unary_neg  = -(3 + 4)
double_neg = - -5
not        = !true
not_not    = !!false
compare    = 3 < 4 && 4 <= 4 && 5 > 4 && 5 >= 5
equality   = 1 == 1.0 && "a" != "b"
and_or     = true || false && false
or_and     = (true || false) && false
eq_mixed   = "1" == 1
list_eq    = [1, 2] == [1, 2]
obj_eq     = { a = 1 } == { a = 1 }
null_eq    = null == null
not_eq_chain = !(1 > 2) == true
precedence = 1 + 2 < 4 == true
string_num = "3" + 4
num_string = 5 * "2"
float_sum  = 0.1 + 0.2
division_fraction = 1 / 3
big_product = 1e200 * 1e100
multiline = (1 +
  2 +
  3)
bool_to_num_error = true + 1
zero_by_zero = 0 / 0
refs      = var.a + local.b * 2
