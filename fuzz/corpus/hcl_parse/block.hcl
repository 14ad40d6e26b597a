job "x" {
  group "g" {
    count = 2
  }
}
