a = <<EOT
x
	EOTX
