# The example job of pot's original presentation ("nomad and pot"): nginx in a pot,
# registered as a service with a TCP check. The image comes from a local pot registry
# (`pot registry serve`); the slide's two parts are joined, and every closing brace stands
# on its own line, as HCL2 requires.
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
        image    = "http://127.0.0.1:5000/registry/"
        pot      = "FBSD120-nginx"
        tag      = "1.0"
        command  = "nginx -g 'daemon off;'"
        port_map = { http = "80" }
        copy = [
          "/www/index.html:/usr/local/www/nginx-dist/index.html",
          "/www/nginx.conf:/usr/local/etc/nginx/nginx.conf",
        ]
        mount = [
          "/www/images:/usr/local/etc/www/nginx-dist/images",
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
