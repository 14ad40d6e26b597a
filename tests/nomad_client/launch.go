package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	hclog "github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Nomad's handshake for every plugin it runs (plugins/base/plugin.go).
var nomadHandshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "NOMAD_PLUGIN_MAGIC_COOKIE",
	MagicCookieValue: "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255",
}

// connPlugin is the "driver" entry of the plugin set: a gRPC plugin whose client side is
// the bare connection (the tests need only the handshake, the health check and Kill).
type connPlugin struct {
	plugin.NetRPCUnsupportedPlugin
}

func (connPlugin) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error {
	return fmt.Errorf("nomad-plugin-client only runs the client side")
}

func (connPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, conn *grpc.ClientConn) (interface{}, error) {
	return conn, nil
}

// launchInfo is the one line printed once the plugin is up; the field order is the output's.
type launchInfo struct {
	Network    string `json:"network"`
	Addr       string `json:"addr"`
	Pid        int    `json:"pid"`
	Protocol   string `json:"protocol"`
	AppVersion int    `json:"app_version"`
}

func runLaunch(args []string) int {
	if len(args) < 1 {
		fmt.Fprint(os.Stderr, usage)
		return 2
	}
	// go-plugin's own log, and what it re-logs from the plugin's hclog JSON stderr lines.
	logger := hclog.New(&hclog.LoggerOptions{
		Name:   "nomad-plugin-client",
		Output: os.Stderr,
		Level:  hclog.Trace,
	})
	// The child's environment is ours (go-plugin appends os.Environ() and its own
	// variables to Cmd.Env), so the caller can set POT_* variables for the plugin.
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  nomadHandshake,
		Plugins:          map[string]plugin.Plugin{"driver": connPlugin{}},
		Cmd:              exec.Command(args[0], args[1:]...),
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		Managed:          false,
		StartTimeout:     60 * time.Second,
		Logger:           logger,
	})

	rpc, err := client.Client()
	if err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: handshake failed: %v\n", err)
		client.Kill()
		return 2
	}
	if err := rpc.Ping(); err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: health check failed: %v\n", err)
		client.Kill()
		return 2
	}
	reattach := client.ReattachConfig()
	if reattach == nil {
		fmt.Fprintln(os.Stderr, "nomad-plugin-client: the plugin has no address after the handshake")
		client.Kill()
		return 2
	}
	line, err := json.Marshal(launchInfo{
		Network:    reattach.Addr.Network(),
		Addr:       reattach.Addr.String(),
		Pid:        reattach.Pid,
		Protocol:   string(reattach.Protocol),
		AppVersion: client.NegotiatedVersion(),
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "nomad-plugin-client: %v\n", err)
		client.Kill()
		return 2
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "%s\n", line)
	out.Flush()

	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch command := strings.TrimSpace(in.Text()); command {
		case "":
		case "ping":
			if err := rpc.Ping(); err != nil {
				fmt.Fprintf(out, "error: %v\n", err)
			} else {
				fmt.Fprintln(out, "ok")
			}
		case "kill":
			return kill(client, out)
		default:
			fmt.Fprintf(out, "error: unknown command %q\n", command)
		}
		out.Flush()
	}
	return kill(client, out)
}

// kill is go-plugin's Kill as Nomad uses it: GRPCController.Shutdown, up to 2 s for the
// process to exit, then SIGKILL; it returns once the process is gone.
func kill(client *plugin.Client, out *bufio.Writer) int {
	start := time.Now()
	client.Kill()
	fmt.Fprintf(out, "killed %d\n", time.Since(start).Milliseconds())
	out.Flush()
	return 0
}
