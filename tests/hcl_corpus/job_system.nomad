job "node-exporter" {
  type        = "system"
  datacenters = ["*"]

  group "exporter" {
    network {
      port "metrics" { static = 9100 }
    }

    service {
      name         = "node-exporter"
      port         = "metrics"
      address_mode = "host"
      check {
        type     = "script"
        command  = "/bin/check"
        args     = ["-x"]
        interval = "1m"
        timeout  = "10s"
        task     = "exporter"
        on_update = "ignore_warnings"
      }
      check {
        type            = "grpc"
        grpc_service    = "health"
        grpc_use_tls    = false
        interval        = "15s"
        timeout         = "1s"
        success_before_passing   = 2
        failures_before_critical = 3
      }
    }

    task "exporter" {
      driver = "raw_exec"
      config {
        command = "node_exporter"
      }
      resources {
        cpu    = 50
        memory = 32
        network {
          mbits = 10
        }
      }
    }
  }
}
