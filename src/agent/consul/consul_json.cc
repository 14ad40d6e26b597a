#include "agent/consul/consul_json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <optional>
#include <set>

#include "hcl/diagnostic.h"
#include "jobspec/durations.h"
#include "jobspec/json_job.h"

namespace pot::agent::consul {
namespace {

using std::chrono::milliseconds;

// ---- Output --------------------------------------------------------------------------

Json string_list(const std::vector<std::string>& values) {
  Json list = Json::array();
  for (const auto& value : values) list.push_back(value);
  return list;
}

Json string_map(const std::map<std::string, std::string>& values) {
  Json object = Json::object();
  for (const auto& [key, value] : values) object[key] = value;
  return object;
}

// Consul's default weights: an instance gets as much traffic passing as warning.
Json default_weights() {
  return Json{{"Passing", 1}, {"Warning", 1}};
}

std::string host_port(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// What Consul's check Definition says of where the check connects.
Json check_definition_json(const CheckDefinition& definition, const std::string& address) {
  Json json = Json::object();
  json["Interval"] = go_duration(definition.interval);
  json["Timeout"] = go_duration(definition.timeout);
  json["DeregisterCriticalServiceAfter"] = "0s";
  json["HTTP"] = "";
  json["TCP"] = "";
  json["GRPC"] = "";
  if (definition.type == "http") {
    json["HTTP"] = definition.protocol + "://" + host_port(address, definition.port) +
                   (definition.path.starts_with('/') ? "" : "/") + definition.path;
    json["Method"] = definition.method;
    json["Header"] = Json::object();
    for (const auto& [name, values] : definition.headers) json["Header"][name] = values;
    json["Body"] = definition.body;
  } else if (definition.type == "tcp") {
    json["TCP"] = host_port(address, definition.port);
  } else if (definition.type == "grpc") {
    json["GRPC"] = host_port(address, definition.port) +
                   (definition.grpc_service.empty() ? "" : "/" + definition.grpc_service);
    json["GRPCUseTLS"] = definition.grpc_use_tls;
  }
  return json;
}

// ---- Input ---------------------------------------------------------------------------

// How Consul's decoder compares field names: letter case and underscores do not count.
std::string normalized(std::string_view name) {
  std::string out;
  for (char c : name)
    if (c != '_') out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

// The members of one JSON object of a body, found by Consul's field names. `path` names the
// object in messages ("Checks[1]"; "" for the body itself).
class Fields {
 public:
  Fields(const Json& object, std::string path) : path_(std::move(path)) {
    if (!object.is_object())
      throw BadRequest((path_.empty() ? std::string("Request body") : path_) +
                       ": expected a JSON object");
    for (const auto& [key, value] : object.items()) {
      if (value.is_null()) continue;  // Go's decoder leaves the field unset
      auto [it, inserted] = members_.emplace(normalized(key), &value);
      if (!inserted) throw BadRequest(name(key) + ": given twice (in two spellings)");
    }
  }

  bool empty() const { return members_.empty(); }
  bool has(std::string_view field) const { return members_.count(normalized(field)) != 0; }
  const Json* get(std::string_view field) const {
    auto it = members_.find(normalized(field));
    return it == members_.end() ? nullptr : it->second;
  }
  // The field's name in messages.
  std::string name(std::string_view field) const {
    return path_.empty() ? std::string(field) : path_ + "." + std::string(field);
  }
  [[noreturn]] void fail(std::string_view field, const std::string& reason) const {
    throw BadRequest(name(field) + ": " + reason);
  }

  std::string string(std::string_view field, const std::string& fallback = "") const {
    const Json* value = get(field);
    if (value == nullptr) return fallback;
    if (!value->is_string()) fail(field, "expected a string");
    return value->get<std::string>();
  }

  bool boolean(std::string_view field, bool fallback) const {
    const Json* value = get(field);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) fail(field, "expected a boolean");
    return value->get<bool>();
  }

  int64_t integer(std::string_view field, int64_t fallback, int64_t low, int64_t high) const {
    const Json* value = get(field);
    if (value == nullptr) return fallback;
    const std::string range =
        "expected an integer from " + std::to_string(low) + " to " + std::to_string(high);
    if (value->is_number_unsigned()) {
      if (value->get<uint64_t>() > static_cast<uint64_t>(high)) fail(field, range);
      return static_cast<int64_t>(value->get<uint64_t>());
    }
    if (!value->is_number_integer()) fail(field, range);
    const int64_t number = value->get<int64_t>();
    if (number < low || number > high) fail(field, range);
    return number;
  }

  std::vector<std::string> strings(std::string_view field) const {
    const Json* value = get(field);
    if (value == nullptr) return {};
    if (!value->is_array()) fail(field, "expected a list of strings");
    std::vector<std::string> out;
    for (const auto& item : *value) {
      if (!item.is_string()) fail(field, "expected a list of strings");
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::map<std::string, std::string> string_map(std::string_view field) const {
    const Json* value = get(field);
    if (value == nullptr) return {};
    if (!value->is_object()) fail(field, "expected an object of strings");
    std::map<std::string, std::string> out;
    for (const auto& [key, item] : value->items()) {
      if (!item.is_string()) fail(field, "expected an object of strings");
      out[key] = item.get<std::string>();
    }
    return out;
  }

  // A Go duration: a string ("10s", "1m30s") or a number of nanoseconds.
  std::optional<milliseconds> duration(std::string_view field) const {
    const Json* value = get(field);
    if (value == nullptr) return std::nullopt;
    int64_t nanoseconds = 0;
    if (value->is_string()) {
      const std::string text = value->get<std::string>();
      if (text.empty()) return std::nullopt;
      std::string error;
      std::optional<int64_t> parsed = jobspec::parse_duration(text, &error);
      if (!parsed) fail(field, error);
      nanoseconds = *parsed;
    } else if (value->is_number_integer()) {
      if (value->is_number_unsigned() && value->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
        fail(field, "duration out of range");
      nanoseconds = value->get<int64_t>();
    } else {
      fail(field, "expected a duration such as \"10s\"");
    }
    if (nanoseconds < 0) fail(field, "must not be negative");
    // Round up, so that a positive duration never becomes zero.
    return milliseconds(nanoseconds / 1'000'000 + (nanoseconds % 1'000'000 != 0 ? 1 : 0));
  }

 private:
  std::string path_;
  std::map<std::string, const Json*> members_;
};

Json parse_body(std::string_view body) {
  if (body.empty()) throw BadRequest("Request body is empty");
  try {
    return jobspec::parse_json_document(std::string(body), "request body");
  } catch (const hcl::DiagnosticError& e) {
    throw BadRequest(std::string("Request decode failed: ") + e.what());
  } catch (const std::exception& e) {
    throw BadRequest(std::string("Request decode failed: ") + e.what());
  }
}

// Consul checks at most once a second.
constexpr milliseconds kMinimumInterval{1'000};
constexpr milliseconds kDefaultTimeout{10'000};

// "host:port" (the host may be "[v6]"); the port from 1 to 65535.
void parse_host_port(const Fields& fields, std::string_view field, std::string_view text,
                     std::string& host, int& port) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == text.size())
    fields.fail(field, "expected host:port, got \"" + std::string(text) + "\"");
  std::string_view host_part = text.substr(0, colon);
  if (host_part.starts_with('[') && host_part.ends_with(']'))
    host_part = host_part.substr(1, host_part.size() - 2);
  if (host_part.empty() || host_part.find_first_of("[]/ ") != std::string_view::npos)
    fields.fail(field, "expected host:port, got \"" + std::string(text) + "\"");
  const std::string_view port_part = text.substr(colon + 1);
  int value = 0;
  auto [end, error] = std::from_chars(port_part.data(), port_part.data() + port_part.size(), value);
  if (error != std::errc() || end != port_part.data() + port_part.size() || value < 1 ||
      value > 65535)
    fields.fail(field, "invalid port in \"" + std::string(text) + "\"");
  host = std::string(host_part);
  port = value;
}

// "http(s)://host[:port][/path?query]".
void parse_http_url(const Fields& fields, const std::string& url, CheckDefinition& check) {
  const std::size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) fields.fail("HTTP", "expected a URL, got \"" + url + "\"");
  check.protocol = url.substr(0, scheme_end);
  std::transform(check.protocol.begin(), check.protocol.end(), check.protocol.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (check.protocol != "http" && check.protocol != "https")
    fields.fail("HTTP", "the scheme must be http or https, got \"" + url + "\"");
  const std::size_t authority_start = scheme_end + 3;
  std::size_t path_start = url.find_first_of("/?#", authority_start);
  if (path_start == std::string::npos) path_start = url.size();
  const std::string authority = url.substr(authority_start, path_start - authority_start);
  check.path = path_start < url.size() ? url.substr(path_start) : "/";
  if (check.path.starts_with('?')) check.path.insert(0, "/");
  if (authority.empty() || authority.find('@') != std::string::npos)
    fields.fail("HTTP", "expected a URL with a host, got \"" + url + "\"");
  const bool bracketed = authority.starts_with('[');
  const std::size_t last_colon = authority.rfind(':');
  const bool has_port =
      last_colon != std::string::npos &&
      (bracketed ? authority[last_colon - 1] == ']' : authority.find(':') == last_colon);
  if (has_port) {
    parse_host_port(fields, "HTTP", authority, check.address, check.port);
  } else {
    check.address = authority;
    if (bracketed) {
      if (!authority.ends_with(']') || authority.size() < 3)
        fields.fail("HTTP", "invalid host in \"" + url + "\"");
      check.address = authority.substr(1, authority.size() - 2);
    }
    check.port = check.protocol == "https" ? 443 : 80;
  }
}

// One check of a body: `Check`, an item of `Checks`, or the body of check/register.
CheckDefinition parse_check(const Fields& fields) {
  for (const char* script : {"Args", "ScriptArgs", "Script", "DockerContainerID", "Shell"})
    if (fields.has(script)) fields.fail(script, "script checks are only run from job files");
  for (const char* unsupported : {"H2PING", "UDP", "OSService", "AliasNode", "AliasService"})
    if (fields.has(unsupported))
      fields.fail(unsupported,
                  "this kind of check is not supported (potd runs ttl, tcp, http "
                  "and grpc checks)");

  CheckDefinition check;
  std::vector<std::string> kinds;
  for (const char* kind : {"TTL", "TCP", "HTTP", "GRPC"})
    if (fields.has(kind)) kinds.emplace_back(kind);
  if (kinds.empty()) fields.fail("TTL", "one of TTL, TCP, HTTP or GRPC is required");
  if (kinds.size() > 1)
    fields.fail(kinds[1], "a check has one kind, and " + kinds[0] + " is given too");
  const std::string& kind = kinds[0];

  // CheckID is the name in a service's checks, ID in check/register; either is read.
  check.id = fields.string("CheckID");
  if (check.id.empty()) check.id = fields.string("ID");
  check.name = fields.string("Name");
  check.notes = fields.string("Notes");
  check.timeout = fields.duration("Timeout").value_or(kDefaultTimeout);
  if (check.timeout.count() == 0) check.timeout = kDefaultTimeout;
  fields.duration("DeregisterCriticalServiceAfter");  // read for its syntax; not acted on
  check.success_before_passing =
      static_cast<int>(fields.integer("SuccessBeforePassing", 0, 0, 1'000'000));
  check.failures_before_critical =
      static_cast<int>(fields.integer("FailuresBeforeCritical", 0, 0, 1'000'000));
  const std::string status = fields.string("Status");
  if (!status.empty()) {
    std::optional<CheckStatus> initial = parse_check_status(status);
    if (!initial)
      fields.fail("Status", "must be passing, warning or critical, got \"" + status + "\"");
    check.initial_status = *initial;
  }

  if (kind == "TTL") {
    check.type = "ttl";
    check.ttl = fields.duration("TTL").value_or(milliseconds(0));
    if (check.ttl.count() <= 0) fields.fail("TTL", "must be a positive duration");
    return check;
  }

  const std::optional<milliseconds> interval = fields.duration("Interval");
  if (!interval || interval->count() <= 0)
    fields.fail("Interval", "required (a positive duration) for " + kind + " checks");
  check.interval = std::max(*interval, kMinimumInterval);
  if (kind == "TCP") {
    check.type = "tcp";
    parse_host_port(fields, "TCP", fields.string("TCP"), check.address, check.port);
  } else if (kind == "HTTP") {
    check.type = "http";
    parse_http_url(fields, fields.string("HTTP"), check);
    const std::string method = fields.string("Method");
    if (!method.empty()) check.method = method;
    if (const Json* header = fields.get("Header")) {
      if (!header->is_object()) fields.fail("Header", "expected an object of lists of strings");
      for (const auto& [key, values] : header->items()) {
        if (!values.is_array()) fields.fail("Header", "expected an object of lists of strings");
        for (const auto& value : values) {
          if (!value.is_string()) fields.fail("Header", "expected an object of lists of strings");
          check.headers[key].push_back(value.get<std::string>());
        }
      }
    }
    check.body = fields.string("Body");
  } else {
    check.type = "grpc";
    std::string target = fields.string("GRPC");
    const std::size_t slash = target.find('/');
    if (slash != std::string::npos) {
      check.grpc_service = target.substr(slash + 1);
      target.resize(slash);
    }
    parse_host_port(fields, "GRPC", target, check.address, check.port);
    check.grpc_use_tls = fields.boolean("GRPCUseTLS", false);
  }
  return check;
}

}  // namespace

namespace {

std::string one_line(const std::string& message) {
  std::string out;
  for (char c : message) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7f) {
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      constexpr const char* kHex = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  return out;
}

}  // namespace

BadRequest::BadRequest(const std::string& message) : std::runtime_error(one_line(message)) {}

std::string go_duration(milliseconds duration) {
  int64_t ms = duration.count();
  if (ms == 0) return "0s";
  std::string sign = ms < 0 ? "-" : "";
  if (ms < 0) ms = -ms;
  if (ms < 1000) return sign + std::to_string(ms) + "ms";
  std::string out = sign;
  const int64_t hours = ms / 3'600'000;
  const int64_t minutes = ms / 60'000 % 60;
  if (hours > 0) out += std::to_string(hours) + "h";
  if (hours > 0 || minutes > 0) out += std::to_string(minutes) + "m";
  out += std::to_string(ms / 1000 % 60);
  if (const int64_t fraction = ms % 1000; fraction != 0) {
    std::string digits = std::to_string(fraction + 1000).substr(1);  // zero-padded to 3
    while (digits.ends_with('0')) digits.pop_back();
    out += "." + digits;
  }
  return out + "s";
}

Json node_json(const CatalogNode& node) {
  return Json{{"ID", node.id},
              {"Node", node.name},
              {"Address", node.address},
              {"Datacenter", node.datacenter},
              {"TaggedAddresses", {{"lan", node.address}, {"wan", node.address}}},
              {"Meta", Json::object()},
              {"CreateIndex", 1},
              {"ModifyIndex", 1}};
}

Json serf_health_json(const CatalogNode& node) {
  return Json{{"Node", node.name},
              {"CheckID", "serfHealth"},
              {"Name", "Serf Health Status"},
              {"Status", "passing"},
              {"Notes", ""},
              {"Output", "Agent alive and reachable"},
              {"ServiceID", ""},
              {"ServiceName", ""},
              {"ServiceTags", Json::array()},
              {"Type", ""},
              {"Interval", ""},
              {"Timeout", ""},
              {"Definition", Json::object()},
              {"CreateIndex", 1},
              {"ModifyIndex", 1}};
}

Json health_check_json(const CheckState& check, const ServiceInstance* instance,
                       const CatalogNode& node) {
  const CheckDefinition& definition = check.definition;
  const bool ttl = definition.type == "ttl";
  std::string address = definition.address;
  if (address.empty() && instance != nullptr) address = instance->address;
  if (address.empty()) address = node.address;
  return Json{{"Node", node.name},
              {"CheckID", definition.id},
              {"Name", definition.name},
              {"Status", check_status_name(check.status)},
              {"Notes", definition.notes},
              {"Output", check.output},
              {"ServiceID", definition.instance_id},
              {"ServiceName", instance != nullptr ? instance->name : ""},
              {"ServiceTags", instance != nullptr ? string_list(instance->tags) : Json::array()},
              {"Type", definition.type},
              {"Interval", ttl ? "" : go_duration(definition.interval)},
              {"Timeout", ttl ? "" : go_duration(definition.timeout)},
              {"ExposedPort", 0},
              {"Definition", check_definition_json(definition, address)},
              {"CreateIndex", check.create_index},
              {"ModifyIndex", check.modify_index}};
}

Json agent_service_json(const ServiceInstance& instance, const CatalogNode& node) {
  return Json{{"ID", instance.id},
              {"Service", instance.name},
              {"Tags", string_list(instance.tags)},
              {"Meta", string_map(instance.meta)},
              {"Port", instance.port},
              {"Address", instance.address},
              {"TaggedAddresses", Json::object()},
              {"Weights", default_weights()},
              {"EnableTagOverride", false},
              {"Datacenter", node.datacenter},
              {"CreateIndex", instance.create_index},
              {"ModifyIndex", instance.modify_index}};
}

Json health_service_json(const ServiceInstance& instance) {
  return Json{{"ID", instance.id},
              {"Service", instance.name},
              {"Tags", string_list(instance.tags)},
              {"Address", instance.address},
              {"TaggedAddresses", Json::object()},
              {"Meta", string_map(instance.meta)},
              {"Port", instance.port},
              {"Weights", default_weights()},
              {"EnableTagOverride", false},
              {"CreateIndex", instance.create_index},
              {"ModifyIndex", instance.modify_index}};
}

Json catalog_service_json(const ServiceInstance& instance, const CatalogNode& node) {
  return Json{{"ID", node.id},
              {"Node", node.name},
              {"Address", node.address},
              {"Datacenter", node.datacenter},
              {"TaggedAddresses", {{"lan", node.address}, {"wan", node.address}}},
              {"NodeMeta", Json::object()},
              {"ServiceKind", ""},
              {"ServiceID", instance.id},
              {"ServiceName", instance.name},
              {"ServiceTags", string_list(instance.tags)},
              {"ServiceAddress", instance.address},
              {"ServiceTaggedAddresses", Json::object()},
              {"ServiceWeights", default_weights()},
              {"ServiceMeta", string_map(instance.meta)},
              {"ServicePort", instance.port},
              {"ServiceEnableTagOverride", false},
              {"CreateIndex", instance.create_index},
              {"ModifyIndex", instance.modify_index}};
}

Json health_entry_json(const ServiceInstance& instance, const std::vector<CheckState>& checks,
                       const CatalogNode& node) {
  Json check_list = Json::array();
  for (const auto& check : checks) check_list.push_back(health_check_json(check, &instance, node));
  check_list.push_back(serf_health_json(node));
  return Json{{"Node", node_json(node)},
              {"Service", health_service_json(instance)},
              {"Checks", std::move(check_list)}};
}

ServiceRegistration parse_service_registration(std::string_view body) {
  const Json document = parse_body(body);
  const Fields fields(document, "");
  ServiceRegistration registration;
  ServiceInstance& instance = registration.instance;
  instance.name = fields.string("Name");
  if (instance.name.empty()) throw BadRequest("Missing service name");
  instance.id = fields.string("ID", instance.name);
  if (instance.id.empty()) instance.id = instance.name;
  if (instance.id.find('/') != std::string::npos)
    fields.fail("ID", "must not contain \"/\" (it is part of the API's paths)");
  instance.tags = fields.strings("Tags");
  instance.meta = fields.string_map("Meta");
  instance.address = fields.string("Address");
  instance.port = static_cast<int>(fields.integer("Port", 0, 0, 65535));
  fields.boolean("EnableTagOverride", false);  // read for its type; tags are never overridden
  if (const std::string kind = fields.string("Kind"); !kind.empty())
    fields.fail("Kind", "only plain services are supported (no proxies or gateways)");

  // Consul's order: `Check` first, then `Checks`.
  std::vector<std::pair<std::string, const Json*>> given;
  if (const Json* check = fields.get("Check")) given.emplace_back(fields.name("Check"), check);
  if (const Json* checks = fields.get("Checks")) {
    if (!checks->is_array()) fields.fail("Checks", "expected a list of checks");
    for (std::size_t i = 0; i < checks->size(); ++i)
      given.emplace_back(fields.name("Checks") + "[" + std::to_string(i) + "]", &(*checks)[i]);
  }
  std::vector<Fields> check_fields;
  for (const auto& [path, json] : given) {
    Fields check(*json, path);
    if (!check.empty()) check_fields.push_back(std::move(check));  // `{}`: no check, as Consul
  }
  std::set<std::string> ids;
  for (std::size_t i = 0; i < check_fields.size(); ++i) {
    CheckDefinition check = parse_check(check_fields[i]);
    // Consul's defaults: "service:ID", numbered from 1 when there are several.
    if (check.id.empty())
      check.id = "service:" + instance.id +
                 (check_fields.size() > 1 ? ":" + std::to_string(i + 1) : std::string());
    if (check.name.empty()) check.name = "Service '" + instance.name + "' check";
    if (!ids.insert(check.id).second)
      check_fields[i].fail("CheckID", "\"" + check.id + "\" is given to two checks");
    check.instance_id = instance.id;
    registration.checks.push_back(std::move(check));
  }
  return registration;
}

CheckDefinition parse_check_registration(std::string_view body) {
  const Json document = parse_body(body);
  const Fields fields(document, "");
  if (fields.string("Name").empty()) throw BadRequest("Missing check name");
  CheckDefinition check = parse_check(fields);
  if (check.id.empty()) check.id = check.name;
  check.instance_id = fields.string("ServiceID");
  if (check.instance_id.empty())
    fields.fail("ServiceID", "required: potd's checks belong to a registered service");
  return check;
}

CheckUpdate parse_check_update(std::string_view body) {
  const Json document = parse_body(body);
  const Fields fields(document, "");
  CheckUpdate update;
  const std::string status = fields.string("Status");
  std::optional<CheckStatus> parsed = parse_check_status(status);
  if (!parsed)
    fields.fail("Status", "must be passing, warning or critical, got \"" + status + "\"");
  update.status = *parsed;
  update.output = fields.string("Output");
  return update;
}

}  // namespace pot::agent::consul
