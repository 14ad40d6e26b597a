job "x" {
  name = "a"
  group "g" {}
  name = "b"
}
