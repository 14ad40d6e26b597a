a = <<EOT extra
body
EOT
