job "b" {
  type = "batch"
  periodic {
    cron = "*/5 * * * *"
    prohibit_overlap = true
  }
  group "g" {
    restart {
      attempts = 1
      delay    = "5s"
      mode     = "fail"
    }
    task "t" {
      driver = "pot"
      config {
        command = "sh -c 'echo ${attr.unique.hostname}'"
      }
      lifecycle {
        hook    = "prestart"
        sidecar = false
      }
    }
  }
}
