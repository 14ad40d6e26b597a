job "storage" {
  type = "service"

  multiregion {
    strategy {
      max_parallel = 1
      on_failure   = "fail_all"
    }

    region "west" {
      count       = 2
      datacenters = ["west-1"]
      node_pool   = "storage"
      meta {
        tier = "gold"
      }
    }

    region "east" {
      count       = 1
      datacenters = ["east-1", "east-2"]
    }
  }

  group "db" {
    count = 0

    volume "data" {
      type            = "csi"
      source          = "db-data"
      read_only       = false
      attachment_mode = "file-system"
      access_mode     = "single-node-writer"
      per_alloc       = true

      mount_options {
        fs_type     = "ext4"
        mount_flags = ["noatime"]
      }
    }

    task "postgres" {
      driver = "pot"

      volume_mount {
        volume        = "data"
        destination   = "/var/db/postgres"
        propagation_mode = "private"
      }

      config {
        image = "postgres"
      }

      csi_plugin {
        id                     = "ebs"
        type                   = "monolith"
        mount_dir              = "/csi"
        stage_publish_base_dir = "/local/csi"
        health_timeout         = "1m"
      }

      kill_timeout = "1m"
      shutdown_delay = "10s"
    }
  }
}
