env {
  "LOG.LEVEL" = "info"
}
