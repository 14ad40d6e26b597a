#include "agent/cli/api_client.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <httplib.h>

#include "agent/cli/go_flags.h"
#include "core/error.h"
#include "core/settings.h"
#include "core/unique_fd.h"

extern char** environ;

namespace pot::agent {

void GlobalFlags::add_to(GoFlags& flags) {
  flags.add_string("address", &address);
  flags.add_string("token", &token);
  flags.add_string("namespace", &namespace_name);
}

std::filesystem::path agent_token_file() {
  return Settings::load().fs_root / "potd" / "agent.token";
}

std::map<std::string, std::string> process_environment() {
  std::map<std::string, std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    auto eq = text.find('=');
    if (eq != std::string_view::npos) env.emplace(text.substr(0, eq), text.substr(eq + 1));
  }
  return env;
}

ApiConfig resolve_api_config(const GlobalFlags& flags,
                             const std::map<std::string, std::string>& environment,
                             const std::filesystem::path& token_file) {
  auto from_env = [&](const char* name) {
    auto it = environment.find(name);
    return it == environment.end() ? std::string() : it->second;
  };
  ApiConfig config;
  config.address = !flags.address.empty() ? flags.address : from_env("NOMAD_ADDR");
  if (config.address.empty()) config.address = kDefaultAgentAddress;
  while (config.address.size() > 1 && config.address.back() == '/') config.address.pop_back();
  config.namespace_name =
      !flags.namespace_name.empty() ? flags.namespace_name : from_env("NOMAD_NAMESPACE");
  if (config.namespace_name.empty()) config.namespace_name = "default";
  config.token_file = token_file;
  config.token = !flags.token.empty() ? flags.token : from_env("NOMAD_TOKEN");
  if (config.token.empty()) {
    UniqueFd file(::open(token_file.c_str(), O_RDONLY | O_CLOEXEC));
    if (file) {
      std::string text;
      char buffer[256];
      ssize_t got = 0;
      while ((got = ::read(file.get(), buffer, sizeof buffer)) > 0) {
        text.append(buffer, static_cast<std::size_t>(got));
      }
      auto last = text.find_last_not_of(" \t\r\n");
      config.token = last == std::string::npos ? "" : text.substr(0, last + 1);
    } else {
      config.token_file_unreadable = errno == EACCES || errno == EPERM;
    }
  }
  return config;
}

std::unique_ptr<ApiClient> connect_agent(const std::string& command, const GlobalFlags& flags) {
  return std::make_unique<ApiClient>(
      command, resolve_api_config(flags, process_environment(), agent_token_file()));
}

std::string url_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

struct ApiClient::Http {
  explicit Http(const std::string& address) : client(address) {
    client.set_connection_timeout(5, 0);
    // A blocking query may wait up to 10 minutes (Nomad's maximum) before it answers.
    client.set_read_timeout(11 * 60, 0);
    client.set_write_timeout(60, 0);
  }
  httplib::Client client;
};

ApiClient::ApiClient(std::string command, ApiConfig config)
    : command_(std::move(command)), config_(std::move(config)) {
  if (config_.address.rfind("http://", 0) != 0 && config_.address.rfind("https://", 0) != 0) {
    throw Error(command_ + ": bad agent address " + quote_name(config_.address) +
                " (expected http://HOST:PORT)");
  }
  http_ = std::make_unique<Http>(config_.address);
  if (!http_->client.is_valid()) {
    throw Error(command_ + ": bad agent address " + quote_name(config_.address));
  }
}

ApiClient::~ApiClient() = default;

std::string ApiClient::target(const std::string& path, const QueryParams& query) const {
  std::string out = path;
  char separator = path.find('?') == std::string::npos ? '?' : '&';
  QueryParams all = query;
  if (config_.namespace_name != "default") all.emplace_back("namespace", config_.namespace_name);
  for (const auto& [name, value] : all) {
    out += separator;
    out += url_encode(name) + "=" + url_encode(value);
    separator = '&';
  }
  return out;
}

void ApiClient::fail_transport(const std::string& method, const std::string& path,
                               int error) const {
  auto kind = static_cast<httplib::Error>(error);
  if (kind == httplib::Error::Connection || kind == httplib::Error::ConnectionTimeout) {
    const char* reason =
        kind == httplib::Error::Connection ? "Connection refused" : "Connection timed out";
    throw Error("potd: cannot reach the agent at " + config_.address + ": " + reason +
                " (is `potd agent` running?)");
  }
  throw Error(command_ + ": " + method + " " + path + ": " + httplib::to_string(kind));
}

void ApiClient::fail_status(const std::string& method, const std::string& path, int status,
                            const std::string& body) const {
  if (status == 403 && config_.token.empty()) {
    if (config_.token_file_unreadable) {
      throw Error("potd: permission denied: the agent's token is in " +
                  config_.token_file.string() + ", readable by root only");
    }
    throw Error(
        "potd: permission denied: no token (give -token or NOMAD_TOKEN; the agent "
        "writes it to " +
        config_.token_file.string() + ")");
  }
  std::string reason = body;
  while (!reason.empty() &&
         (reason.back() == '\n' || reason.back() == '\r' || reason.back() == ' '))
    reason.pop_back();
  if (auto newline = reason.find('\n'); newline != std::string::npos) reason.resize(newline);
  throw Error(command_ + ": " + method + " " + path + ": " + std::to_string(status) +
              (reason.empty() ? "" : " " + reason));
}

ApiResponse ApiClient::request(const std::string& method, const std::string& path,
                               const QueryParams& query, const Json* body) {
  httplib::Headers headers;
  if (!config_.token.empty()) headers.emplace("X-Nomad-Token", config_.token);
  const std::string url = target(path, query);
  const std::string payload = body == nullptr ? "" : body->dump();
  httplib::Result result = [&] {
    if (method == "GET") return http_->client.Get(url, headers);
    if (method == "PUT") return http_->client.Put(url, headers, payload, "application/json");
    if (method == "POST") return http_->client.Post(url, headers, payload, "application/json");
    return http_->client.Delete(url, headers);
  }();
  if (!result) fail_transport(method, path, static_cast<int>(result.error()));
  if (result->status < 200 || result->status >= 300) {
    fail_status(method, path, result->status, result->body);
  }
  ApiResponse response;
  if (auto index = result->get_header_value("X-Nomad-Index"); !index.empty()) {
    response.index = std::strtoull(index.c_str(), nullptr, 10);
  }
  if (result->body.empty()) return response;
  try {
    response.body = Json::parse(result->body);
  } catch (const Json::parse_error&) {
    throw Error(command_ + ": " + method + " " + path + ": the agent's answer is not JSON");
  }
  return response;
}

ApiResponse ApiClient::get(const std::string& path, const QueryParams& query) {
  return request("GET", path, query, nullptr);
}

ApiResponse ApiClient::get_blocking(const std::string& path, uint64_t index,
                                    const std::string& wait, const QueryParams& query) {
  QueryParams all = query;
  if (index > 0) {
    all.emplace_back("index", std::to_string(index));
    all.emplace_back("wait", wait);
  }
  return request("GET", path, all, nullptr);
}

Json ApiClient::put(const std::string& path, const Json& body, const QueryParams& query) {
  return request("PUT", path, query, &body).body;
}

Json ApiClient::post(const std::string& path, const Json& body, const QueryParams& query) {
  return request("POST", path, query, &body).body;
}

Json ApiClient::del(const std::string& path, const QueryParams& query) {
  return request("DELETE", path, query, nullptr).body;
}

void ApiClient::get_stream(const std::string& path, const QueryParams& query,
                           const std::function<bool(const char*, std::size_t)>& receive) {
  httplib::Headers headers;
  if (!config_.token.empty()) headers.emplace("X-Nomad-Token", config_.token);
  const std::string url = target(path, query);
  // A followed log may be quiet for hours: the stream ends when the agent closes it.
  http_->client.set_read_timeout(24 * 3600, 0);
  // An error status's body is the reason, not content to pass on.
  int status = 0;
  std::string error_body;
  httplib::Result result = http_->client.Get(
      url, headers,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, std::size_t length) {
        if (status < 200 || status >= 300) {
          error_body.append(data, length);
          return true;
        }
        return receive(data, length);
      });
  if (!result) {
    // Stopped by `receive`: not a failure.
    if (result.error() == httplib::Error::Canceled) return;
    fail_transport("GET", path, static_cast<int>(result.error()));
  }
  if (result->status < 200 || result->status >= 300) {
    fail_status("GET", path, result->status, error_body);
  }
}

}  // namespace pot::agent
