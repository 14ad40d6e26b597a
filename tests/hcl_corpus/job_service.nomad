# A service job that uses most of the job specification's blocks. Written for pot's tests.

job "web-shop" {
  region      = "europe"
  datacenters = ["dc1", "dc2"]
  namespace   = "shop"
  type        = "service"
  priority    = 70
  node_pool   = "default"
  all_at_once = false

  meta {
    owner    = "team-web"
    revision = "42"
  }

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  constraint {
    attribute = "${meta.rack}"
    operator  = "distinct_property"
    value     = "3"
  }

  affinity {
    attribute = "${node.datacenter}"
    value     = "dc1"
    weight    = 75
  }

  spread {
    attribute = "${node.datacenter}"
    weight    = 100

    target "dc1" {
      percent = 60
    }

    target "dc2" {
      percent = 40
    }
  }

  update {
    max_parallel      = 2
    health_check      = "checks"
    min_healthy_time  = "15s"
    healthy_deadline  = "6m"
    progress_deadline = "12m"
    auto_revert       = true
    auto_promote      = false
    canary            = 1
    stagger           = "45s"
  }

  migrate {
    max_parallel     = 1
    health_check     = "task_states"
    min_healthy_time = "20s"
    healthy_deadline = "4m"
  }

  reschedule {
    attempts       = 5
    interval       = "2h"
    delay          = "40s"
    delay_function = "fibonacci"
    max_delay      = "30m"
    unlimited      = false
  }

  group "frontend" {
    count = 3

    consul {
      namespace = "web"
    }

    disconnect {
      lost_after           = "1h"
      replace              = true
      reconcile            = "keep_original"
      stop_on_client_after = "30m"
    }

    network {
      mode = "bridge"

      port "http" {
        to = 8080
      }

      port "admin" {
        static       = 9090
        host_network = "private"
      }

      dns {
        servers  = ["10.0.0.53"]
        searches = ["service.consul"]
        options  = ["ndots:2"]
      }
    }

    ephemeral_disk {
      sticky  = true
      migrate = true
      size    = 500
    }

    restart {
      attempts = 4
      interval = "10m"
      delay    = "20s"
      mode     = "delay"
    }

    scaling {
      enabled = true
      min     = 1
      max     = 10

      policy {
        cooldown            = "1m"
        evaluation_interval = "30s"

        check "cpu" {
          source = "nomad-apm"
          query  = "avg_cpu"

          strategy "target-value" {
            target = 70
          }
        }
      }
    }

    volume "uploads" {
      type      = "host"
      source    = "shop-uploads"
      read_only = false
    }

    service {
      name     = "web-shop"
      port     = "http"
      provider = "consul"
      tags     = ["web", "v2", "urlprefix-/shop"]
      meta {
        version = "2"
      }

      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"
        method   = "GET"
        header {
          Authorization = ["Bearer x"]
        }

        check_restart {
          limit           = 3
          grace           = "90s"
          ignore_warnings = false
        }
      }

      check {
        type     = "tcp"
        port     = "admin"
        interval = "30s"
        timeout  = "5s"
      }
    }

    task "server" {
      driver       = "pot"
      user         = "www"
      kill_timeout = "20s"
      kill_signal  = "SIGTERM"
      leader       = true

      config {
        image   = "https://images.example/shop"
        pot     = "shop-server"
        tag     = "1.4"
        command = "/usr/local/bin/shop"
        args    = ["-port", "${NOMAD_PORT_http}", "-data", "${NOMAD_ALLOC_DIR}/data"]
        port_map = {
          http = "8080"
        }
      }

      env {
        SHOP_MODE = "production"
      }

      resources {
        cpu        = 500
        memory     = 256
        memory_max = 512
      }

      logs {
        max_files     = 5
        max_file_size = 20
        disabled      = false
      }

      volume_mount {
        volume      = "uploads"
        destination = "/srv/uploads"
        read_only   = false
      }

      artifact {
        source      = "https://downloads.example/shop-assets.tar.gz"
        destination = "local/assets"
        mode        = "any"
        options {
          checksum = "sha256:0123456789abcdef"
        }
        headers {
          User-Agent = "pot"
        }
      }

      template {
        data          = <<EOT
SHOP_DB={{ key "shop/db" }}
PORT={{ env "NOMAD_PORT_http" }}
EOT
        destination   = "secrets/shop.env"
        env           = true
        change_mode   = "signal"
        change_signal = "SIGHUP"
        splay         = "10s"
        perms         = "0640"
        left_delimiter  = "{{"
        right_delimiter = "}}"
      }

      template {
        source      = "local/config.tpl"
        destination = "local/config.yml"
        change_mode = "script"
        change_script {
          command       = "/usr/local/bin/reload"
          args          = ["-q"]
          timeout       = "5s"
          fail_on_error = true
        }
      }

      vault {
        policies    = ["shop-read"]
        change_mode = "restart"
        role        = "shop"
      }

      identity {
        name = "vault_default"
        aud  = ["vault.io"]
        ttl  = "1h"
        env  = true
        file = false
      }

      action "flush-cache" {
        command = "/usr/local/bin/shop"
        args    = ["cache", "flush"]
      }

      service {
        name = "web-shop-metrics"
        port = "admin"
        provider = "nomad"
      }

      restart {
        attempts = 1
      }
    }

    task "migrations" {
      driver = "pot"

      lifecycle {
        hook    = "prestart"
        sidecar = false
      }

      config {
        image = "https://images.example/shop"
        pot   = "shop-migrate"
        tag   = "1.4"
      }

      resources {
        cpu    = 100
        memory = 64
        device "nvidia/gpu" {
          count = 1

          constraint {
            attribute = "${device.attr.memory}"
            operator  = ">="
            value     = "2 GiB"
          }
        }
      }
    }
  }
}
