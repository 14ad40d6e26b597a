// How the `potd` client commands reach a running `potd agent`: its Nomad-compatible HTTP
// API. The address comes from -address, else NOMAD_ADDR, else http://127.0.0.1:4646; the
// token from -token, else NOMAD_TOKEN, else the file the agent writes at its first start
// ($POT_FS_ROOT/potd/agent.token, root only). A user who cannot read that file sends no
// token: reads work, writes get the agent's 403, explained by naming the file.
//
// Every failure is one line naming the command, the request and the agent's answer:
//   potd job status: GET /v1/job/x: 404 job not found
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace pot::agent {

using Json = nlohmann::ordered_json;

class GoFlags;

inline constexpr const char* kDefaultAgentAddress = "http://127.0.0.1:4646";

// -address, -token, -namespace: every client command takes them, as Nomad's do.
struct GlobalFlags {
  std::string address;
  std::string token;
  std::string namespace_name;
  void add_to(GoFlags& flags);
};

struct ApiConfig {
  std::string address;
  std::string token;  // empty: none sent
  std::string namespace_name = "default";
  // Where the token would have come from when none was found (for the 403 message).
  std::filesystem::path token_file;
  bool token_file_unreadable = false;
};

// $POT_FS_ROOT/potd/agent.token, POT_FS_ROOT from the environment or /etc/pot/pot.conf.
std::filesystem::path agent_token_file();

// Flags first, then the environment (NOMAD_ADDR, NOMAD_TOKEN, NOMAD_NAMESPACE), then the
// defaults and the token file.
ApiConfig resolve_api_config(const GlobalFlags& flags,
                             const std::map<std::string, std::string>& environment,
                             const std::filesystem::path& token_file);

// The process's environment as a map.
std::map<std::string, std::string> process_environment();

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct ApiResponse {
  Json body;
  uint64_t index = 0;  // X-Nomad-Index, 0 when absent
};

class ApiClient {
 public:
  // `command` starts every error message ("potd job status").
  ApiClient(std::string command, ApiConfig config);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  ApiResponse get(const std::string& path, const QueryParams& query = {});
  // A blocking query: returns when the agent has something newer than `index` or `wait`
  // passed (Nomad's `?index=N&wait=...`).
  ApiResponse get_blocking(const std::string& path, uint64_t index, const std::string& wait,
                           const QueryParams& query = {});
  Json put(const std::string& path, const Json& body, const QueryParams& query = {});
  Json post(const std::string& path, const Json& body, const QueryParams& query = {});
  Json del(const std::string& path, const QueryParams& query = {});
  // A GET whose body arrives in pieces (logs with follow=true); `receive` returns false to
  // stop. Throws as the others on a failed request.
  void get_stream(const std::string& path, const QueryParams& query,
                  const std::function<bool(const char*, std::size_t)>& receive);

  const ApiConfig& config() const { return config_; }
  const std::string& command() const { return command_; }

 private:
  struct Http;
  ApiResponse request(const std::string& method, const std::string& path, const QueryParams& query,
                      const Json* body);
  std::string target(const std::string& path, const QueryParams& query) const;
  [[noreturn]] void fail_transport(const std::string& method, const std::string& path,
                                   int error) const;
  [[noreturn]] void fail_status(const std::string& method, const std::string& path, int status,
                                const std::string& body) const;

  std::string command_;
  ApiConfig config_;
  std::unique_ptr<Http> http_;
};

// The client for `command` with the flags' (else the environment's, else the default)
// address and token.
std::unique_ptr<ApiClient> connect_agent(const std::string& command, const GlobalFlags& flags);

// Percent-encodes a query parameter's name or value.
std::string url_encode(const std::string& text);

}  // namespace pot::agent
