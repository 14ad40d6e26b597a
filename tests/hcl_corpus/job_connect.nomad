// A Consul Connect job: sidecars, upstreams, exposed checks and a gateway.
// Written for pot's tests.
job "countdash" {
  datacenters = ["dc1"]

  group "api" {
    network {
      mode = "bridge"
      port "expose" {}
    }

    service {
      name = "count-api"
      port = "9001"

      connect {
        sidecar_service {
          tags = ["sidecar"]
          port = "20000"

          proxy {
            local_service_address = "127.0.0.1"
            local_service_port    = 9001

            config {
              protocol          = "http"
              local_connect_timeout_ms = 5000
            }

            expose {
              path {
                path            = "/metrics"
                protocol        = "http"
                local_path_port = 9001
                listener_port   = "expose"
              }
            }

            upstreams {
              destination_name   = "count-db"
              local_bind_port    = 5432
              datacenter         = "dc2"
              local_bind_address = "127.0.0.1"

              mesh_gateway {
                mode = "local"
              }
            }

            upstreams {
              destination_name = "cache"
              local_bind_port  = 6379
            }

            transparent_proxy {
              exclude_inbound_ports  = ["9090"]
              exclude_outbound_cidrs = ["10.0.0.0/8"]
            }
          }
        }

        sidecar_task {
          name   = "envoy"
          driver = "pot"
          config {
            image = "envoy"
          }
          resources {
            cpu    = 50
            memory = 48
          }
          shutdown_delay = "5s"
        }
      }

      check {
        expose   = true
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "3s"
      }
    }

    task "web" {
      driver = "pot"
      config {
        image = "count-api"
      }
    }
  }

  group "ingress" {
    network {
      mode = "bridge"
      port "inbound" {
        static = 8080
        to     = 8080
      }
    }

    service {
      name = "ingress-gateway"
      port = "8080"

      connect {
        gateway {
          proxy {
            connect_timeout = "500ms"
          }

          ingress {
            tls {
              enabled = true
            }

            listener {
              port     = 8080
              protocol = "tcp"
              service {
                name  = "count-api"
                hosts = ["count.example"]
              }
            }
          }
        }
      }
    }
  }

  group "native" {
    service {
      name = "native-app"
      task = "app"
      connect {
        native = true
      }
    }

    task "app" {
      driver = "pot"
      config {
        image = "native"
      }
    }
  }
}
