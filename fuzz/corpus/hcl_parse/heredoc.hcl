a = <<EOT
hello ${name}
EOT
b = <<-EOT
    x
      y
    EOT
