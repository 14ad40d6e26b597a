# Input variables, locals and functions, as HCL2 job files use them.
variable "datacenters" {
  description = "Where the job may run"
  type        = list(string)
  default     = ["dc1"]
}

variable "image_tag" {
  type    = string
  default = "1.4"

  validation {
    condition     = length(split(".", var.image_tag)) >= 2
    error_message = "The tag must be a version number."
  }
}

variable "ports" {
  type = map(number)
  default = {
    http  = 8080
    admin = 9090
  }
}

variable "settings" {
  type = object({
    replicas = number
    labels   = map(string)
  })
  default = { replicas = 2, labels = {} }
}

variable "secret" {
  type      = string
  default   = ""
}

locals {
  name        = "shop-${var.image_tag}"
  full_tag    = format("%s:%s", "shop", var.image_tag)
  port_labels = keys(var.ports)
  upper_dcs   = [for dc in var.datacenters : upper(dc)]
  count       = var.settings.replicas * 2
}

job "vars" {
  datacenters = var.datacenters
  name        = local.name

  group "g" {
    count = local.count

    network {
      dynamic "port" {
        for_each = var.ports
        labels   = [port.key]
        content {
          to = port.value
        }
      }
    }

    task "t" {
      driver = "pot"
      config {
        image = local.full_tag
        args  = concat(["-v"], [for p in local.port_labels : "-p=${p}"])
      }
      env {
        JOB_NAME = "${NOMAD_JOB_NAME}"
        DC_LIST  = join(",", local.upper_dcs)
        SECRET   = var.secret
      }
      template {
        data        = file("templates/app.conf")
        destination = "local/app.conf"
      }
    }
  }
}
