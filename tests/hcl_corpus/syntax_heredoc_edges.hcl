flush_mixed = <<-EOT
      six
    four
        eight

    after blank
    EOT

flush_interp_start = <<-EOT
    ${"interp"} first
      second
    EOT

flush_less_indented_marker = <<-EOT
    body
EOT

plain_indented_marker = <<EOT
  body
  EOT

marker_with_dash = <<END-OF-TEXT
text
END-OF-TEXT

marker_lower = <<eot
lower
eot

strip_in_heredoc = <<EOT
a ${~ "b" ~}
c
EOT

dollar_in_heredoc = <<EOT
$HOME and $${HOME} and %%{x} and 100%
EOT

heredoc_in_list = [<<EOT
item
EOT
, "next"]

heredoc_in_call = format(<<EOT
%s
EOT
, "x")
