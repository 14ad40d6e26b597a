/* A periodic batch job and a parameterized one,
   as two jobs in two files would be; HCL allows both blocks in one file. */
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

job "transcode" {
  type = "batch"

  parameterized {
    payload       = "required"
    meta_required = ["input", "format"]
    meta_optional = ["bitrate"]
  }

  meta {
    bitrate = "2000k"
  }

  group "work" {
    task "ffmpeg" {
      driver = "pot"

      dispatch_payload {
        file = "input.json"
      }

      config {
        image = "ffmpeg"
        args  = ["-i", "${NOMAD_META_input}", "-b", "${NOMAD_META_bitrate}"]
      }
    }
  }
}
