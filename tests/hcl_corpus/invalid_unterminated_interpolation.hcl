a = "x ${var.y"
