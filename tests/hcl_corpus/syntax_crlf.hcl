a = 1
b = "x"
block "l" {
  c = [1,
    2]
}
h = <<EOT
line
EOT
