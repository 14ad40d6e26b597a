#include "driver/task_pot.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/pot_conf.h"
#include "net/ip_address.h"
#include "pot/images.h"
#include "pot/lifecycle.h"
#include "pot/network.h"
#include "pot/pot_files.h"
#include "pot/pots.h"
#include "pot/run_state.h"
#include "pot/settings_ops.h"
#include "runtime/jail_spec.h"

namespace pot::driver {

namespace fs = std::filesystem;

namespace {

// One shell word that split_quoted_words reads back as `word`: single quotes, with a quote
// itself written as '"'"'.
std::string quote_word(const std::string& word) {
  std::string out = "'";
  for (char c : word) {
    if (c == '\'')
      out += "'\"'\"'";
    else
      out += c;
  }
  return out + "'";
}

struct NetworkChoice {
  std::string type;  // a pot network type
  bool exports_ports = false;
};

NetworkChoice choose_network(const TaskConfig& config, bool has_ports) {
  const std::string& mode = config.network_mode;
  if (mode.empty()) return {has_ports ? "public-bridge" : "inherit", has_ports};
  if (mode == "host" || mode == "inherit") return {"inherit", false};
  if (mode == "public-bridge") return {"public-bridge", true};
  if (mode == "none") return {"none", false};
  throw Error("network_mode " + quote_name(mode) +
              ": expected public-bridge, host (or inherit) or none");
}

// "pot_port:host_port" for every port the job maps, by label: the host port is the one the
// scheduler allocated for that label, the pot port comes from port_map or the port's `to`.
std::vector<std::string> port_exports(const TaskRequest& request,
                                      std::map<std::string, int>& pot_ports) {
  std::map<std::string, const PortMapping*> allocated;
  for (const auto& port : request.resources.ports) allocated[port.label] = &port;
  for (const auto& [label, pot_port] : request.config.port_map) {
    if (allocated.count(label) == 0)
      throw Error("port_map label " + quote_name(label) +
                  ": no port with that label is allocated to the task (declare port \"" + label +
                  "\" in its network block)");
    int value = 0;
    auto [end, ec] = std::from_chars(pot_port.data(), pot_port.data() + pot_port.size(), value);
    if (ec != std::errc() || end != pot_port.data() + pot_port.size() || value < 1 || value > 65535)
      throw Error("port_map " + quote_name(label) + " = " + quote_name(pot_port) +
                  ": not a port number (1-65535)");
    pot_ports[label] = value;
  }
  for (const auto& port : request.resources.ports) {
    if (pot_ports.count(port.label) == 0 && port.to > 0) pot_ports[port.label] = port.to;
  }
  std::vector<std::string> specs;
  for (const auto& [label, pot_port] : pot_ports) {
    int host_port = allocated.at(label)->host_port;
    if (host_port < 1 || host_port > 65535)
      throw Error("port " + quote_name(label) + ": the scheduler allocated no host port");
    specs.push_back(std::to_string(pot_port) + ":" + std::to_string(host_port));
  }
  return specs;
}

std::string resolv_conf_text(const DnsConfig& dns) {
  std::string text;
  for (const auto& server : dns.servers) {
    if (!net::IpAddress::try_parse(server))
      throw Error("dns server " + quote_name(server) + ": not an IP address");
    text += "nameserver " + server + "\n";
  }
  auto one_line = [](const std::vector<std::string>& words, std::string_view what) {
    std::string line;
    for (const auto& w : words) {
      if (w.empty() || w.find_first_of(" \t\n") != std::string::npos)
        throw Error("dns " + std::string(what) + " " + quote_name(w) + ": not one word");
      line += " " + w;
    }
    return line;
  };
  if (!dns.searches.empty()) text += "search" + one_line(dns.searches, "search") + "\n";
  if (!dns.options.empty()) text += "options" + one_line(dns.options, "option") + "\n";
  return text;
}

struct CheckedPaths {
  std::vector<std::pair<fs::path, std::string>> copies;  // resolved host path, pot path
  std::vector<BindMount> mounts;
};

CheckedPaths check_host_paths(const TaskRequest& request, const HostPathPolicy& policy) {
  CheckedPaths checked;
  for (const auto& entry : request.config.copy) {
    PathPair pair = split_path_pair(entry, "copy");
    checked.copies.emplace_back(policy.check(pair.host, "copy"), pair.pot);
  }
  auto add_mounts = [&](const std::vector<std::string>& entries, std::string_view what, bool ro) {
    for (const auto& entry : entries) {
      PathPair pair = split_path_pair(entry, what);
      checked.mounts.push_back({policy.check(pair.host, what).string(), pair.pot, ro});
    }
  };
  add_mounts(request.config.mount, "mount", false);
  add_mounts(request.config.mount_read_only, "mount_read_only", true);
  // The scheduler's own directories and volumes: its paths, not the job's.
  if (!request.alloc_dir.empty()) {
    fs::path alloc(request.alloc_dir);
    fs::path task_dir = alloc / request.name;
    for (const auto& [host, in_pot] :
         {std::pair{alloc / "alloc", "/alloc"}, std::pair{task_dir / "local", "/local"},
          std::pair{task_dir / "secrets", "/secrets"}}) {
      if (fs::is_directory(host)) checked.mounts.push_back({host.string(), in_pot, false});
    }
  }
  for (const auto& volume : request.volumes)
    checked.mounts.push_back({volume.host_path, volume.task_path, volume.read_only});
  return checked;
}

void configure_pot(Context& ctx, const std::string& name, const TaskRequest& request,
                   const std::string& resolv_conf_file) {
  const TaskConfig& config = request.config;
  FileLock lock = lock_pot(ctx.settings(), name);
  PotConf conf = ctx.load_conf(name);
  if (!config.command.empty()) {
    conf.set("pot.cmd", task_command_line(config.command, config.args));
  } else if (!config.args.empty()) {
    // The image's own command, with the task's arguments after it.
    std::vector<std::string> argv = command_to_argv(conf.get_or("pot.cmd", ""));
    argv.insert(argv.end(), config.args.begin(), config.args.end());
    std::string line;
    for (const auto& word : argv) line += (line.empty() ? "" : " ") + quote_word(word);
    conf.set("pot.cmd", line);
  }
  if (!conf.has("pot.cmd") || conf.get_or("pot.cmd", "").empty())
    throw Error("the task has no command, and image " + quote_name(config.pot + "_" + config.tag) +
                " sets none");
  conf.remove("pot.env");
  for (const auto& [key, value] : request.env) {
    if (key.empty() || key.find('=') != std::string::npos || key.find('\0') != std::string::npos ||
        value.find('\0') != std::string::npos)
      throw Error("environment variable " + quote_name(key) + ": not a valid name or value");
    conf.add("pot.env", key + "=" + value);
  }
  conf.remove("pot.hosts");
  for (const auto& entry : config.extra_hosts) {
    size_t colon = entry.find(':');
    std::string host = entry.substr(0, colon);
    std::string ip = colon == std::string::npos ? "" : entry.substr(colon + 1);
    if (host.empty() || host.find_first_of(" \t\n") != std::string::npos ||
        !net::IpAddress::try_parse(ip))
      throw Error("extra_hosts entry " + quote_name(entry) + ": expected HOSTNAME:IP");
    conf.add("pot.hosts", ip + " " + host);
  }
  const TaskResources& res = request.resources;
  int64_t hard_mb = std::max(res.memory_mb, res.memory_max_mb);
  if (hard_mb > 0) conf.set("pot.rss.memory", std::to_string(hard_mb) + "M");
  if (res.memory_max_mb > res.memory_mb && res.memory_mb > 0)
    conf.set("pot.rss.memory_reservation", std::to_string(res.memory_mb) + "M");
  if (res.cpu_shares > 0)
    conf.set("pot.rss.cpu_shares", std::to_string(std::clamp<int64_t>(res.cpu_shares, 2, 262144)));
  if (!request.user.empty()) {
    if (request.user.find_first_of(" \t\n/") != std::string::npos)
      throw Error("user " + quote_name(request.user) + ": not a user name or uid");
    conf.set("pot.user", request.user);
  }
  if (!resolv_conf_file.empty()) conf.set("pot.dns", "custom:" + resolv_conf_file);
  for (const auto& entry : config.attributes) {
    size_t colon = entry.find(':');
    if (colon == std::string::npos)
      throw Error("attributes entry " + quote_name(entry) + ": expected NAME:VALUE");
    std::string attr = entry.substr(0, colon);
    bool known = std::any_of(known_attrs().begin(), known_attrs().end(),
                             [&](const AttrInfo& info) { return info.name == attr; });
    if (!known) throw Error("attributes entry " + quote_name(entry) + ": unknown attribute");
    if (attr == "persistent") continue;  // a task's pot ends with its command, always
    conf.set_attr(attr, parse_bool(entry.substr(colon + 1)));
  }
  conf.set("pot.nomad.task_id", request.id);
  ctx.save_conf(name, conf);
}

}  // namespace

std::string task_pot_name(const TaskRequest& request) {
  // `<task>_<alloc>`: at least one character of the task's name must fit before the `_`.
  if (request.alloc_id.empty() || request.alloc_id.size() + 2 > kMaxNameLength ||
      !is_valid_name(request.alloc_id))
    throw Error("task " + quote_name(request.id) + ": allocation id " +
                quote_name(request.alloc_id) + " is not usable in a pot name");
  // The task's name may hold anything a job file allows; the pot's name takes letters,
  // digits and a few marks, and `_<alloc>` must fit in 64 characters.
  std::string task;
  for (char c : request.name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.';
    task += ok ? c : '-';
  }
  size_t room = kMaxNameLength - 1 - request.alloc_id.size();
  if (task == request.name && !task.empty() && task.front() != '.' && task.front() != '-' &&
      task.size() <= room)
    return task + "_" + request.alloc_id;
  // Names that had to change could meet (web_1 and web-1, two long names sharing their
  // start): a hash of the whole name keeps the tasks of one allocation apart.
  uint32_t hash = 2166136261U;  // FNV-1a
  for (unsigned char c : request.name) hash = (hash ^ c) * 16777619U;
  char hex[9];
  std::snprintf(hex, sizeof hex, "%08x", hash);
  if (room < 10) return std::string(hex).substr(0, room) + "_" + request.alloc_id;
  if (task.empty() || task.front() == '.' || task.front() == '-') task.insert(0, "t");
  if (task.size() > room - 9) task.resize(room - 9);
  return task + "-" + hex + "_" + request.alloc_id;
}

std::string task_command_line(const std::string& command, const std::vector<std::string>& args) {
  std::vector<std::string> argv = command_to_argv(command);
  argv.insert(argv.end(), args.begin(), args.end());
  std::string line;
  for (const auto& word : argv) line += (line.empty() ? "" : " ") + quote_word(word);
  return line;
}

PreparedPot prepare_task_pot(Context& ctx, const TaskRequest& request,
                             const TaskPotOptions& options,
                             const std::function<void(const std::string&)>& progress) {
  const TaskConfig& config = request.config;
  if (config.image.empty()) throw Error("task config: `image` is required");
  if (config.pot.empty()) throw Error("task config: `pot` is required");
  if (config.tag.empty()) throw Error("task config: `tag` is required");
  if (config.command.find('\n') != std::string::npos)
    throw Error("task config: `command` must be one line (use `args` for more)");

  // Everything checked before anything is made.
  std::string name = task_pot_name(request);
  std::map<std::string, int> pot_ports;
  std::vector<std::string> exports = port_exports(request, pot_ports);
  NetworkChoice network = choose_network(config, !exports.empty());
  if (!network.exports_ports) exports.clear();
  CheckedPaths paths = check_host_paths(request, options.host_paths);
  std::string resolv_conf;
  if (request.dns && !request.dns->servers.empty()) resolv_conf = resolv_conf_text(*request.dns);

  // A pot of this name is left by an earlier run of the same task (Nomad gives each start a
  // new task id), or by a start that was killed before Nomad got its handle. A running one
  // of a task the driver still knows is refused; any other is in the way and goes.
  if (ctx.pot_exists(name)) {
    std::string owner = ctx.load_conf(name).get_or("pot.nomad.task_id", "");
    if (pot_is_running(ctx, name) && options.task_is_live && options.task_is_live(owner))
      throw Error("pot " + quote_name(name) + " already runs task " + owner);
    progress("removing pot " + name + " left by task " + owner);
    destroy_pot(ctx, name, /*force=*/true);
  }

  PrepareOptions prepare;
  prepare.image.url = config.image;
  prepare.image.pot = config.pot;
  prepare.image.tag = config.tag;
  prepare.image.public_key = options.signing_key;
  prepare.allocation = request.alloc_id;
  prepare.name = name.substr(0, name.size() - request.alloc_id.size() - 1);
  prepare.network.type = network.type;
  prepare.ports = exports;
  progress("preparing pot " + name + " from image " + config.pot + "_" + config.tag);
  std::string made = prepare_pot(ctx, prepare, nullptr);
  try {
    if (!resolv_conf.empty()) {
      fs::path file = ctx.settings().jail_dir(made) / "conf" / "resolv.conf";
      write_file_atomic(file, resolv_conf, 0644, Durability::kVolatile);
      configure_pot(ctx, made, request, file.string());
    } else {
      configure_pot(ctx, made, request, "");
    }
    // Checked again now that the image is here (a fetch can take minutes, and a job that
    // may write under an allowed prefix could have put a symlink in the way meanwhile).
    paths = check_host_paths(request, options.host_paths);
    for (const auto& mount : paths.mounts)
      mount_in(ctx, made, mount.host_path, mount.pot_path, mount.read_only);
    for (const auto& [host, in_pot] : paths.copies) {
      progress("copying " + host.string() + " into the pot at " + in_pot);
      copy_into_pot(ctx, made, host.string(), in_pot, /*create_parents=*/true,
                    /*allow_running=*/false);
    }
  } catch (...) {
    try {
      destroy_pot(ctx, made, /*force=*/true);
    } catch (const std::exception&) {
      // The error that matters is the first; a later start of the task removes the pot.
    }
    throw;
  }

  PreparedPot prepared{made, {}};
  if (network.type != "inherit") {
    PotConf conf = ctx.load_conf(made);
    std::istringstream addresses(conf.get_or("ip", ""));
    addresses >> prepared.network.address;
  }
  prepared.network.port_map = pot_ports;
  return prepared;
}

}  // namespace pot::driver
