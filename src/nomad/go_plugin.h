// go-plugin's side of a plugin, which is how Nomad starts and reaches nomad-pot-driver:
//   - the magic cookie in the environment proves Nomad started us (else: a message, exit 1);
//   - we listen on a unix socket and print one handshake line on stdout:
//       1|2|unix|/path/to/socket|grpc|
//     (core protocol 1, Nomad's plugin protocol 2, network, address, protocol);
//   - the gRPC server carries grpc.health.v1 (service "plugin" SERVING) and
//     plugin.GRPCController/Shutdown, beside the plugin's own services.
#pragma once

#include <string>

namespace pot::nomad {

inline constexpr const char* kMagicCookieKey = "NOMAD_PLUGIN_MAGIC_COOKIE";
inline constexpr const char* kMagicCookieValue =
    "e4327c2e01eabfd75a8a67adb114fb34a757d57eee7728d857a8cec6e91a7255";
inline constexpr int kAppProtocolVersion = 2;

// Empty when the environment is Nomad's; else the message to print before exiting 1.
std::string check_plugin_environment();

// A fresh socket path in PLUGIN_UNIX_SOCKET_DIR, else TMPDIR, else /tmp.
std::string plugin_socket_path();

std::string handshake_line(const std::string& socket_path);

// Runs the plugin until Nomad asks it to stop (GRPCController/Shutdown, SIGTERM, or stdin
// closing is NOT a reason: Nomad's agent may keep it open or not). Returns the exit code.
int serve_plugin();

}  // namespace pot::nomad
