job "x" {
  group "g" {
  }
