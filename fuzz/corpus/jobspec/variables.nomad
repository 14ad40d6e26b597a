# The seed's job with its image, tag and sizes as variables, to show how a job file is
# parameterised: defaults here, values from -var, -var-file (examples/seed.vars) and
# NOMAD_VAR_<name>, later ones winning in that order (environment, file, flag).
variable "image" {
  type        = string
  description = "The pot registry the image comes from"
}

variable "tag" {
  type    = string
  default = "latest"
}

variable "count" {
  type    = number
  default = 1

  validation {
    condition     = var.count >= 1 && var.count <= 10
    error_message = "Between 1 and 10 instances."
  }
}

variable "memory" {
  type    = number
  default = 128
}

locals {
  service = "pot-webserver"
  pages   = ["index.html", "nginx.conf"]
}

job "example" {
  datacenters = ["dc1"]

  group "example-group" {
    count = var.count

    network {
      port "http" {
        to = 80
      }
    }

    task "nginx-pot" {
      driver = "pot"

      service {
        name = local.service
        tags = ["nginx-jail", "tag-${var.tag}"]
        port = "http"

        check {
          type     = "tcp"
          interval = "5s"
          timeout  = "2s"
        }
      }

      config {
        image   = var.image
        pot     = "FBSD120-nginx"
        tag     = var.tag
        command = "nginx -g 'daemon off;'"
        copy    = [for page in local.pages : "/www/${page}:/usr/local/etc/nginx/${page}"]
      }

      env {
        # Filled in by the client when the task starts, not by the parser.
        LISTEN = "${NOMAD_ADDR_http}"
      }

      resources {
        cpu    = 200
        memory = var.memory
      }
    }
  }
}
