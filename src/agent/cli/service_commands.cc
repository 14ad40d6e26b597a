#include "agent/cli/service_commands.h"

#include <algorithm>
#include <iostream>
#include <map>

#include "agent/cli/api_client.h"
#include "agent/cli/doc_fields.h"
#include "agent/cli/go_flags.h"
#include "agent/cli/table.h"
#include "core/error.h"

namespace pot::agent {
namespace {

// "[a,b]", as Nomad prints a tag list.
std::string bracketed_tags(const Json& tags) {
  std::string out;
  if (tags.is_array()) {
    for (const Json& tag : tags) {
      if (tag.is_string()) out += (out.empty() ? "" : ",") + tag.get<std::string>();
    }
  }
  return "[" + out + "]";
}

std::string first_line(const std::string& text) {
  return text.substr(0, text.find('\n'));
}

// The service named `prefix`, or the one service whose name starts with it (Nomad's prefix
// lookup): {namespace, name}. Throws naming the candidates when several match.
std::pair<std::string, std::string> resolve_service(ApiClient& api, const std::string& command,
                                                    const std::string& prefix) {
  Json namespaces = api.get("/v1/services").body;
  std::vector<std::pair<std::string, std::string>> exact, matches;
  Json listed = Json::array();  // the candidates, in /v1/services' shape
  if (namespaces.is_array()) {
    for (const Json& entry : namespaces) {
      const std::string namespace_name = text_of(entry, "Namespace");
      Json services = Json::array();
      const Json& all = field(entry, "Services");
      if (!all.is_array()) continue;
      for (const Json& service : all) {
        const std::string name = text_of(service, "ServiceName");
        if (!name.starts_with(prefix)) continue;
        if (name == prefix) exact.emplace_back(namespace_name, name);
        matches.emplace_back(namespace_name, name);
        services.push_back(service);
      }
      if (!services.empty())
        listed.push_back(Json{{"Namespace", namespace_name}, {"Services", services}});
    }
  }
  if (exact.size() == 1) return exact[0];
  if (exact.empty() && matches.size() == 1) return matches[0];
  if (matches.empty()) {
    throw Error(command + ": no service registrations with prefix " + go_quote(prefix) + " found");
  }
  throw Error(command + ": prefix matched multiple services\n\n" +
              format_service_list(listed, api.config().namespace_name));
}

std::string format_checks_table(const Json& checks) {
  std::vector<TableRow> rows = {{"Name", "Type", "Status", "Output"}};
  for (const Json& check : checks) {
    rows.push_back({text_of(check, "Name"), text_of(check, "Type"), text_of(check, "Status"),
                    first_line(text_of(check, "Output"))});
  }
  return format_list(rows);
}

}  // namespace

// --- Layouts -----------------------------------------------------------------------

std::string format_host_port(const std::string& address, int64_t port) {
  if (port == 0) return address;
  const bool ipv6 = address.find(':') != std::string::npos;
  return (ipv6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::string format_service_list(const Json& namespaces, const std::string& namespace_name) {
  if (!namespaces.is_array() || namespaces.empty()) return "No service registrations found";
  const bool all_namespaces = namespace_name == "*";
  std::vector<TableRow> rows;
  rows.push_back(all_namespaces ? TableRow{"Service Name", "Namespace", "Tags"}
                                : TableRow{"Service Name", "Tags"});
  // Namespaces, then names, sorted (the agent sorts too; an older one may not).
  std::map<std::string, std::map<std::string, std::vector<std::string>>> sorted;
  for (const Json& entry : namespaces) {
    auto& services = sorted[text_of(entry, "Namespace")];
    if (const Json& list = field(entry, "Services"); list.is_array()) {
      for (const Json& service : list) {
        std::vector<std::string>& tags = services[text_of(service, "ServiceName")];
        if (const Json& given = field(service, "Tags"); given.is_array()) {
          for (const Json& tag : given)
            if (tag.is_string()) tags.push_back(tag.get<std::string>());
        }
      }
    }
  }
  for (auto& [ns, services] : sorted) {
    for (auto& [name, tags] : services) {
      std::sort(tags.begin(), tags.end());
      const std::string tag_text = bracketed_tags(Json(tags));
      rows.push_back(all_namespaces ? TableRow{name, ns, tag_text} : TableRow{name, tag_text});
    }
  }
  return format_list(rows);
}

std::string format_service_info(const Json& registrations, bool verbose) {
  if (!registrations.is_array() || registrations.empty()) return "No service registrations found";
  // Several jobs may register one name: by job, as Nomad sorts them (stable within a job).
  std::vector<const Json*> sorted;
  for (const Json& registration : registrations) sorted.push_back(&registration);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Json* a, const Json* b) {
    return text_of(*a, "JobID") < text_of(*b, "JobID");
  });

  auto address_of = [](const Json& registration) {
    return format_host_port(text_of(registration, "Address"), int_of(registration, "Port"));
  };
  if (!verbose) {
    std::vector<TableRow> rows = {{"Job ID", "Address", "Tags", "Node ID", "Alloc ID", "Status"}};
    for (const Json* registration : sorted) {
      rows.push_back({text_of(*registration, "JobID"), address_of(*registration),
                      bracketed_tags(field(*registration, "Tags")),
                      limit(text_of(*registration, "NodeID"), kShortId),
                      limit(text_of(*registration, "AllocID"), kShortId),
                      text_of(*registration, "Status")});
    }
    return format_list(rows);
  }

  std::string out;
  for (const Json* registration : sorted) {
    if (!out.empty()) out += "\n\n";
    out += format_kv({
        {"ID", text_of(*registration, "ID")},
        {"Service Name", text_of(*registration, "ServiceName")},
        {"Namespace", text_of(*registration, "Namespace")},
        {"Job ID", text_of(*registration, "JobID")},
        {"Alloc ID", text_of(*registration, "AllocID")},
        {"Node ID", text_of(*registration, "NodeID")},
        {"Datacenter", text_of(*registration, "Datacenter")},
        {"Address", address_of(*registration)},
        {"Tags", bracketed_tags(field(*registration, "Tags"))},
        {"Status", text_of(*registration, "Status")},
    });
    if (const Json& checks = field(*registration, "Checks"); checks.is_array() && !checks.empty())
      out += "\n\nChecks\n" + format_checks_table(checks);
  }
  return out;
}

// --- Commands ----------------------------------------------------------------------

int service_list(const std::vector<std::string>& args) {
  const std::string command = "potd service list";
  GlobalFlags global;
  bool json = false;
  GoFlags parser(command);
  parser.add_bool("json", &json);
  global.add_to(parser);
  if (!parser.parse(args).empty()) throw Error(command + ": this command takes no arguments");
  auto api = connect_agent(command, global);
  Json namespaces = api->get("/v1/services").body;
  const bool empty = !namespaces.is_array() || namespaces.empty();
  std::cout << (json && !empty ? namespaces.dump(4)
                               : format_service_list(namespaces, api->config().namespace_name))
            << "\n";
  return 0;
}

int service_info(const std::vector<std::string>& args) {
  const std::string command = "potd service info";
  GlobalFlags global;
  bool json = false, verbose = false;
  GoFlags parser(command);
  parser.add_bool("json", &json);
  parser.add_bool("verbose", &verbose);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 1) throw Error(command + ": this command takes one argument: <service_name>");
  auto api = connect_agent(command, global);
  const auto [namespace_name, name] = resolve_service(*api, command, words[0]);
  // The request carries the command's namespace; with "*" it answers every namespace's
  // instances of the name, and those of the namespace resolved are kept.
  Json registrations = Json::array();
  if (Json all = api->get("/v1/service/" + url_encode(name)).body; all.is_array()) {
    for (Json& registration : all)
      if (text_of(registration, "Namespace") == namespace_name)
        registrations.push_back(std::move(registration));
  }
  const bool empty = registrations.empty();
  std::cout << (json && !empty ? registrations.dump(4)
                               : format_service_info(registrations, verbose))
            << "\n";
  return 0;
}

int service_delete(const std::vector<std::string>& args) {
  const std::string command = "potd service delete";
  GlobalFlags global;
  GoFlags parser(command);
  global.add_to(parser);
  std::vector<std::string> words = parser.parse(args);
  if (words.size() != 2) {
    throw Error(command + ": this command takes two arguments: <service_name> and <service_id>");
  }
  auto api = connect_agent(command, global);
  api->del("/v1/service/" + url_encode(words[0]) + "/" + url_encode(words[1]));
  std::cout << "Successfully deleted service registration\n";
  return 0;
}

}  // namespace pot::agent
