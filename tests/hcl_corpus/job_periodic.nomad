/* A periodic batch job
   (job_parameterized.nomad is a dispatched one). */
job "nightly-report" {
  type = "batch"

  periodic {
    crons            = ["0 2 * * *", "30 14 * * 1-5"]
    prohibit_overlap = true
    time_zone        = "Europe/Paris"
    enabled          = true
  }

  group "report" {
    reschedule {
      attempts  = 1
      interval  = "24h"
      delay     = "5s"
      unlimited = false
    }

    restart {
      attempts = 3
      interval = "24h"
      delay    = "15s"
      mode     = "fail"
    }

    task "build" {
      driver = "pot"
      config {
        image = "reporter"
        args  = ["--date", "yesterday"]
      }
      resources {
        cpu    = 200
        memory = 128
        cores  = 1
      }
    }
  }
}
