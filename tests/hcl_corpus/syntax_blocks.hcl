one_line { a = 1 }
empty_one_line {}
empty_multi {
}
labelled "one" "two" "three" {
  x = true
}
bare_label label_ident {
  y = false
}
mixed_labels "quoted" bare {
}
outer {
  middle "m" {
    inner {
      deepest "d" {
        z = "deep"
      }
    }
  }
  middle "m" {
    repeated = true
  }
}
same_type { n = 1 }
same_type { n = 2 }
with-dash "x" {
  with-dash-attr = 3
}
label_escapes "tab\there" "caf\u00e9" "ünï" {}
attr_after_blocks = "last"
