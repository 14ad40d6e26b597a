// nomad-plugin-client: a test tool that talks to nomad-pot-driver with HashiCorp's own code
// (go-plugin's client, hcldec, go-cty's msgpack), so that the tests check the wire against
// what Nomad really does and not only against our reading of it.
//
//	nomad-plugin-client launch PLUGIN_PATH [ARGS...]
//	nomad-plugin-client encode [-json] [-implied-type] SPEC_JSON_FILE CONFIG_FILE
//
// Built in GOPATH mode against Debian's Go packages (see CMakeLists.txt in this directory).
package main

import (
	"fmt"
	"os"
)

const usage = `usage:
  nomad-plugin-client launch PLUGIN_PATH [ARGS...]
      Starts the plugin with go-plugin's client (Nomad's handshake, gRPC only), pings it,
      prints {"network":...,"addr":...,"pid":...,"protocol":"grpc","app_version":2} and
      then reads commands from stdin, one a line: "ping" (prints "ok" or "error: MSG"),
      "kill" or end of input (Kill: GRPCController.Shutdown, wait, kill; prints
      "killed MILLISECONDS" and exits 0). Exit 2 when the handshake fails.
  nomad-plugin-client encode [-json] [-implied-type] SPEC_JSON_FILE CONFIG_FILE
      Converts SPEC_JSON_FILE (a hclspec.Spec in proto3 JSON) to an hcldec spec as Nomad
      does, decodes CONFIG_FILE (the body of a task's config block, HCL native syntax; with
      -json the JSON object Nomad's API carries) against it and writes the value to stdout
      as Nomad sends it to a plugin: go-cty msgpack, marshalled with the value's own type.
      -implied-type marshals with the spec's implied type instead (not what Nomad does).
      Exit 1 with the diagnostics on stderr when the config is refused; 2 for a bad spec
      or bad usage.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	switch os.Args[1] {
	case "launch":
		os.Exit(runLaunch(os.Args[2:]))
	case "encode":
		os.Exit(runEncode(os.Args[2:]))
	case "-h", "-help", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
}
