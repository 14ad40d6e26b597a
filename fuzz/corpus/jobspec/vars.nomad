variable "image" {
  type    = string
  default = "http://127.0.0.1:5000/registry/"
  validation {
    condition     = length(var.image) > 0
    error_message = "image must not be empty"
  }
}
locals {
  name = upper("web")
  ports = { for p in ["http", "admin"] : p => p }
}
job "vars" {
  datacenters = ["dc1"]
  group "g" {
    count = 2
    network {
      dynamic "port" {
        for_each = local.ports
        labels   = [port.key]
        content {}
      }
    }
    task "t" {
      driver = "pot"
      env { NAME = local.name, PORT = "${NOMAD_PORT_http}" }
      config {
        image = var.image
        pot   = "web"
        tag   = "1.0"
      }
      resources {
        cpu    = 200
        memory = 128
      }
    }
  }
}
