# The example job of pot's original presentation ("nomad and pot"): nginx in a pot,
# registered as a service with a TCP check. The slide's two parts are joined, and every
# closing brace stands on its own line, as HCL2 requires. The registry and the host
# directory the job copies from are variables whose defaults are the slide's; the demo
# (scripts/demo.sh) points them at its own registry and directory:
#   potd job run -var registry=http://127.0.0.1:5000/ -var www=/tmp/demo/www examples/seed.nomad
variable "registry" {
  type    = string
  default = "http://127.0.0.1:5000/registry/"
}

variable "www" {
  type    = string
  default = "/www"
}

job "example" {
  datacenters = ["dc1"]
  type        = "service"

  group "example-group" {
    task "nginx-pot" {
      driver = "pot"

      service {
        tags = ["nginx-jail"]
        name = "pot-webserver"
        port = "http"

        check {
          type     = "tcp"
          name     = "tcp"
          interval = "5s"
          timeout  = "2s"
        }
      }

      config {
        image    = var.registry
        pot      = "FBSD120-nginx"
        tag      = "1.0"
        command  = "nginx -g 'daemon off;'"
        port_map = { http = "80" }
        copy = [
          "${var.www}/index.html:/usr/local/www/nginx-dist/index.html",
          "${var.www}/nginx.conf:/usr/local/etc/nginx/nginx.conf",
        ]
        mount = [
          "${var.www}/images:/usr/local/etc/www/nginx-dist/images",
        ]
      }

      resources {
        cpu    = 200
        memory = 128

        network {
          mbits = 10
          port "http" {}
        }
      }
    }
  }
}
