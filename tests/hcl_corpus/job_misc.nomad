# The newer and rarer blocks: ui, secrets, task schedules, NUMA, template waits.
job "misc" {
  ui {
    description = "A job with **every** rare block"
    link {
      label = "Runbook"
      url   = "https://runbooks.example/misc"
    }
    link {
      label = "Dashboard"
      url   = "https://dash.example/misc"
    }
  }

  group "g" {
    restart {
      attempts         = 2
      render_templates = true
    }

    task "t" {
      driver      = "pot"
      kill_signal = "SIGQUIT"

      config {
        image = "misc"
      }

      secret "db" {
        provider = "vault"
        path     = "secret/data/db"
        config {
          engine = "kv_v2"
        }
        env {
          DB_SECRET_HINT = "vault"
        }
      }

      schedule {
        cron {
          start    = "0 8 * * mon-fri"
          end      = "0 18"
          timezone = "Europe/Berlin"
        }
      }

      resources {
        cpu    = 1000
        memory = 512
        cores  = 2
        numa {
          affinity = "prefer"
        }
      }

      template {
        data        = "x={{ key \"x\" }}"
        destination = "local/x"
        wait {
          min = "2s"
          max = "10s"
        }
      }
    }
  }
}
