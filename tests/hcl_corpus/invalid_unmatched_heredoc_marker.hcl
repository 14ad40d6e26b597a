a = <<EOT
body
EOF
