# The variables of the -eval cases (hcl-structure -eval context.hcl CASE): each attribute is
# a root variable. Not a case itself.
var = {
  name     = "web"
  count    = 3
  ratio    = 0.5
  enabled  = true
  disabled = false
  nothing  = null
  ports    = [80, 443, 8080]
  tags     = ["blue", "green", "blue"]
  empty    = []
  labels   = { env = "prod", team = "shop", "dotted.key" = "x" }
  servers = [
    { name = "a", ip = "10.0.0.1", ports = [1, 2] },
    { name = "b", ip = "10.0.0.2", ports = [3] },
  ]
  nested = { level1 = { level2 = { value = "deep" } } }
  text   = "  Hello, World!  "
  csv    = "a,b,,c"
}
local = {
  prefix = "pot"
  port   = 8080
}
NOMAD_PORT_http = "20123"
