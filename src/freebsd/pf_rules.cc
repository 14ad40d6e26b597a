#include "freebsd/pf_rules.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "core/number.h"

namespace pot::freebsd {

const char* const kNatAnchor = "pot-nat";
const char* const kRdrAnchor = "pot-rdr";

namespace {

constexpr size_t kAnchorNameMax = 55;

std::vector<std::string> line_words(const std::string& line) {
  return split_words(line);
}

std::string family_word(const net::IpAddress& address) {
  return address.is_v4() ? "inet" : "inet6";
}

// The index of the first `word` in `words` at or after `from`; npos when none.
size_t find_word(const std::vector<std::string>& words, const std::string& word, size_t from = 0) {
  for (size_t i = from; i < words.size(); ++i) {
    if (words[i] == word) return i;
  }
  return std::string::npos;
}

// The port after words[at] == "port": "port 80" or pf's "port = 80".
std::optional<uint16_t> port_after(const std::vector<std::string>& words, size_t at) {
  size_t value = at + 1;
  if (value < words.size() && words[value] == "=") ++value;
  if (value >= words.size()) return std::nullopt;
  auto port = to_unsigned(words[value]);
  if (!port || *port == 0 || *port > 65535) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

}  // namespace

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

std::string rdr_anchor_for_pot(const std::string& pot) {
  std::string name = pot;
  if (name.size() > kAnchorNameMax) {
    name = name.substr(name.size() - kAnchorNameMax);
    name.erase(0, name.find_first_not_of('_'));
  }
  return std::string(kRdrAnchor) + "/" + name;
}

std::string nat_rules(const std::string& extif, const std::vector<net::IpNetwork>& networks) {
  std::string rules;
  for (const auto& network : networks) {
    rules += "nat on " + extif + " " + family_word(network.address) + " from " + network.str() +
             " to any -> (" + extif + ":0)\n";
  }
  return rules;
}

std::vector<net::IpNetwork> nat_networks(const std::string& listing) {
  std::vector<net::IpNetwork> networks;
  std::istringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    auto words = line_words(line);
    if (words.empty() || words[0] != "nat") continue;
    size_t from = find_word(words, "from");
    if (from == std::string::npos || from + 1 >= words.size()) continue;
    try {
      auto network = net::IpNetwork::parse(words[from + 1]);
      if (std::find(networks.begin(), networks.end(), network) == networks.end())
        networks.push_back(network);
    } catch (const std::exception&) {
      // "from any", a table: not one of ours
    }
  }
  return networks;
}

std::string rdr_rules(const std::string& extif, const std::vector<net::PortForward>& forwards) {
  std::string rules;
  for (const auto& forward : forwards) {
    std::string family = family_word(forward.pot_address);
    std::string target = " port " + std::to_string(forward.host_port) + " -> " +
                         forward.pot_address.str() + " port " + std::to_string(forward.pot_port) +
                         "\n";
    std::string proto = " proto " + forward.protocol;
    rules +=
        "rdr pass on " + extif + " " + family + proto + " from any to (" + extif + ")" + target;
    std::string loopback = forward.pot_address.is_v4() ? "127.0.0.1" : "::1";
    rules += "rdr pass on lo0 " + family + proto + " from any to " + loopback + target;
  }
  return rules;
}

std::vector<net::PortForward> parse_rdr_rules(const std::string& listing) {
  std::vector<net::PortForward> forwards;
  std::istringstream lines(listing);
  std::string line;
  while (std::getline(lines, line)) {
    auto words = line_words(line);
    if (words.empty() || words[0] != "rdr") continue;
    size_t proto = find_word(words, "proto");
    size_t to = find_word(words, "to");
    size_t arrow = find_word(words, "->");
    if (proto == std::string::npos || to == std::string::npos || arrow == std::string::npos ||
        proto + 1 >= words.size() || arrow + 1 >= words.size())
      continue;
    size_t host_port_at = find_word(words, "port", to);
    size_t pot_port_at = find_word(words, "port", arrow);
    if (host_port_at == std::string::npos || host_port_at > arrow ||
        pot_port_at == std::string::npos)
      continue;
    auto host_port = port_after(words, host_port_at);
    auto pot_port = port_after(words, pot_port_at);
    auto address = net::IpAddress::try_parse(words[arrow + 1]);
    if (!host_port || !pot_port || !address) continue;
    net::PortForward forward{words[proto + 1], *host_port, *address, *pot_port};
    if (std::find(forwards.begin(), forwards.end(), forward) == forwards.end())
      forwards.push_back(forward);
  }
  return forwards;
}

std::vector<std::string> parse_anchor_list(const std::string& listing) {
  return split_words(listing);
}

bool interface_has_address(const std::string& ifconfig_output, const net::IpAddress& address) {
  std::istringstream lines(ifconfig_output);
  std::string line;
  while (std::getline(lines, line)) {
    auto words = line_words(line);
    if (words.size() < 2 || (words[0] != "inet" && words[0] != "inet6")) continue;
    std::string text = words[1].substr(0, words[1].find_first_of("%/"));
    auto found = net::IpAddress::try_parse(text);
    if (found && *found == address) return true;
  }
  return false;
}

std::string ipv4_netmask(int prefix_length) {
  uint32_t mask = prefix_length <= 0 ? 0 : ~uint32_t{0} << (32 - std::min(prefix_length, 32));
  return std::to_string(mask >> 24) + "." + std::to_string((mask >> 16) & 0xff) + "." +
         std::to_string((mask >> 8) & 0xff) + "." + std::to_string(mask & 0xff);
}

std::optional<RouteAnswer> parse_route_get(const std::string& text) {
  RouteAnswer answer;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto words = line_words(line);
    if (words.size() < 2) continue;
    if (words[0] == "interface:") answer.interface = words[1];
    if (words[0] == "gateway:") answer.gateway = net::IpAddress::try_parse(words[1]);
  }
  if (answer.interface.empty()) return std::nullopt;
  return answer;
}

bool sockstat_lists_sockets(const std::string& text) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    auto words = line_words(line);
    if (words.empty() || words[0] == "USER") continue;
    return true;
  }
  return false;
}

std::vector<net::InterfaceAddress> parse_interface_addresses(const std::string& ifconfig_output) {
  std::vector<net::InterfaceAddress> addresses;
  std::istringstream lines(ifconfig_output);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string family, text, key, value;
    words >> family >> text >> key >> value;
    if (family != "inet" && family != "inet6") continue;
    text = text.substr(0, text.find('%'));
    auto address = net::IpAddress::try_parse(text);
    if (!address) continue;
    int prefix = -1;
    if (family == "inet" && key == "netmask" && value.rfind("0x", 0) == 0) {
      unsigned long mask = std::strtoul(value.c_str() + 2, nullptr, 16);
      prefix = __builtin_popcountl(mask & 0xffffffffUL);
    } else if (family == "inet6" && key == "prefixlen") {
      char* end = nullptr;
      long length = std::strtol(value.c_str(), &end, 10);
      if (end != value.c_str() && *end == '\0' && length >= 0 && length <= 128)
        prefix = static_cast<int>(length);
    }
    if (prefix >= 0) addresses.push_back({*address, prefix});
  }
  return addresses;
}

}  // namespace pot::freebsd
