job "a" {
  group "b" {
    task "c" {
      driver = "pot"
    }
}
