#include "freebsd/jail_params.h"

#include <algorithm>
#include <cctype>

namespace pot::freebsd {
namespace {

// The original's jail attributes (common.sh _POT_JAIL_RW_ATTRIBUTES), in its order: the
// attribute, the jail(8) parameter it sets, how it is set and its default.
enum class AttrKind {
  kFlag,     // a boolean: the bare parameter when YES
  kValue,    // PARAM=VALUE, always (pot.conf carries the default from the pot's creation)
  kOptional  // PARAM=VALUE only when set
};

struct JailAttribute {
  const char* attribute;
  const char* parameter;
  AttrKind kind;
  const char* default_value;
};

constexpr JailAttribute kJailAttributes[] = {
    {"enforce_statfs", "enforce_statfs", AttrKind::kValue, "2"},
    {"mount", "allow.mount", AttrKind::kFlag, ""},
    {"fdescfs", "mount.fdescfs", AttrKind::kFlag, ""},
    {"linprocfs", "allow.mount.linprocfs", AttrKind::kFlag, ""},
    {"nullfs", "allow.mount.nullfs", AttrKind::kFlag, ""},
    {"procfs", "mount.procfs", AttrKind::kFlag, ""},
    {"tmpfs", "allow.mount.tmpfs", AttrKind::kFlag, ""},
    {"zfs", "allow.mount.zfs", AttrKind::kFlag, ""},
    {"raw_sockets", "allow.raw_sockets", AttrKind::kFlag, ""},
    {"sysvshm", "sysvshm", AttrKind::kValue, "new"},
    {"sysvsem", "sysvsem", AttrKind::kValue, "new"},
    {"sysvmsg", "sysvmsg", AttrKind::kValue, "new"},
    {"children", "children.max", AttrKind::kValue, "0"},
    {"mlock", "allow.mlock", AttrKind::kFlag, ""},
    {"devfs_ruleset", "devfs_ruleset", AttrKind::kValue, "4"},
    {"exec_stop", "exec.stop", AttrKind::kOptional, ""},
    {"stop_timeout", "stop.timeout", AttrKind::kValue, ""},  // default: POT_STOP_TIMEOUT
};

bool has_flag(const std::vector<std::string>& attributes, const std::string& name) {
  return std::find(attributes.begin(), attributes.end(), name) != attributes.end();
}

// The value an "NAME=VALUE" entry gives the attribute, if any (the last one wins).
std::optional<std::string> attribute_value(const std::vector<std::string>& attributes,
                                           const std::string& name) {
  std::optional<std::string> value;
  const std::string prefix = name + "=";
  for (const auto& entry : attributes) {
    if (entry.compare(0, prefix.size(), prefix) == 0) value = entry.substr(prefix.size());
  }
  return value;
}

void append_network(const JailSpec& spec, std::vector<std::string>& argv) {
  const auto& bsd = spec.freebsd;
  if (!bsd.vnet_interface.empty()) {
    argv.push_back("vnet");
    argv.push_back("vnet.interface=" + bsd.vnet_interface);
    return;
  }
  if (!bsd.ip4_addresses.empty() || !bsd.ip6_addresses.empty()) {
    // alias: jail(8) adds each address to its interface and removes it with the jail.
    for (const auto& address : bsd.ip4_addresses) argv.push_back("ip4.addr=" + address);
    for (const auto& address : bsd.ip6_addresses) argv.push_back("ip6.addr=" + address);
    return;
  }
  if (spec.network == NetworkMode::kInherit) {
    argv.push_back("ip4=inherit");
    argv.push_back("ip6=inherit");
    return;
  }
  argv.push_back("vnet");
}

bool all_digits(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

std::string jail_name_for_pot(const std::string& pot) {
  std::string name = pot;
  std::replace(name.begin(), name.end(), '.', '_');
  if (all_digits(name)) name = "pot_" + name;
  return name;
}

bool jail_has_vnet(const JailSpec& spec) {
  const auto& bsd = spec.freebsd;
  if (!bsd.vnet_interface.empty()) return true;
  if (!bsd.ip4_addresses.empty() || !bsd.ip6_addresses.empty()) return false;
  return spec.network != NetworkMode::kInherit;
}

std::vector<std::string> jail_create_argv(const JailSpec& spec, const std::string& jail_name,
                                          int stop_timeout) {
  std::vector<std::string> argv = {"jail",
                                   "-c",
                                   "allow.set_hostname=false",
                                   "allow.raw_sockets",
                                   "allow.socket_af",
                                   "allow.chflags",
                                   "exec.clean",
                                   "mount.devfs"};
  const auto& attributes = spec.freebsd.enabled_attributes;
  for (const auto& attr : kJailAttributes) {
    std::optional<std::string> value = attribute_value(attributes, attr.attribute);
    switch (attr.kind) {
      case AttrKind::kFlag:
        if (has_flag(attributes, attr.attribute)) argv.emplace_back(attr.parameter);
        break;
      case AttrKind::kValue: {
        std::string fallback = *attr.default_value != '\0' ? std::string(attr.default_value)
                                                           : std::to_string(stop_timeout);
        argv.push_back(std::string(attr.parameter) + "=" + value.value_or(fallback));
        break;
      }
      case AttrKind::kOptional:
        if (value && !value->empty()) argv.push_back(std::string(attr.parameter) + "=" + *value);
        break;
    }
  }
  argv.push_back("name=" + jail_name);
  argv.push_back("host.hostname=" + spec.hostname);
  if (!spec.freebsd.osrelease.empty()) argv.push_back("osrelease=" + spec.freebsd.osrelease);
  argv.push_back("path=" + spec.root);
  argv.push_back("persist");
  append_network(spec, argv);
  return argv;
}

std::optional<std::string> userland_version(const std::string& freebsd_version_script) {
  const std::string key = "USERLAND_VERSION=";
  std::size_t start = 0;
  while (start < freebsd_version_script.size()) {
    std::size_t end = freebsd_version_script.find('\n', start);
    if (end == std::string::npos) end = freebsd_version_script.size();
    std::string line = freebsd_version_script.substr(start, end - start);
    start = end + 1;
    if (line.rfind(key, 0) != 0) continue;
    std::string value = line.substr(key.size());
    std::erase(value, '"');
    // A value jail(8) would take as more than one word, or none, is not a release.
    if (value.empty() || std::any_of(value.begin(), value.end(), [](unsigned char c) {
          return std::isspace(c) != 0 || c == '$' || c == '\'' || c == '`';
        }))
      return std::nullopt;
    return value;
  }
  return std::nullopt;
}

std::string jail_stop_config(const std::string& jail_name, int stop_timeout) {
  return jail_name + " {\n  stop.timeout=" + std::to_string(stop_timeout) + ";\n}\n";
}

std::vector<std::string> jexec_argv(const std::string& jail_name,
                                    const std::optional<std::string>& user,
                                    const std::vector<std::string>& env,
                                    const std::vector<std::string>& argv,
                                    const std::string& workdir) {
  std::vector<std::string> result = {"jexec"};
  if (user && !user->empty()) {
    result.push_back("-U");
    result.push_back(user->substr(0, user->find(':')));
  }
  result.push_back(jail_name);
  result.push_back("/usr/bin/env");
  result.push_back("-i");
  result.insert(result.end(), env.begin(), env.end());
  if (!workdir.empty() && workdir != "/") {
    // $0 is the directory; the command follows as "$@". 125: the command never ran.
    result.push_back("/bin/sh");
    result.push_back("-c");
    result.push_back("cd -- \"$0\" || exit 125; exec \"$@\"");
    result.push_back(workdir);
  }
  result.insert(result.end(), argv.begin(), argv.end());
  return result;
}

}  // namespace pot::freebsd
