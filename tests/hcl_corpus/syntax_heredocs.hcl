plain = <<EOT
first line
  indented line
last line
EOT

indented = <<-EOT
    four spaces
      six spaces
    four again
  EOT

with_interp = <<EOF
value: ${1 + 1}
escaped: $${literal}
EOF

empty = <<EOT
EOT

flush_tabs = <<-END
	tab indented
		two tabs
	END

directives = <<-EOT
  %{ for n in [1, 2, 3] ~}
  item ${n}
  %{ endfor ~}
  done
  EOT

quotes_inside = <<EOT
"quoted" and \n not an escape and \\ two
EOT

block {
  nested = <<-DOC
      inside a block
    DOC
}
