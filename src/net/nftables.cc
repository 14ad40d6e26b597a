// pot's firewall is one nftables table of family inet (IPv4 and IPv6 in one place) that
// holds only base chains, sets and maps. The rules never mention a bridge, a network or a
// port: they look those up in the sets and maps, so a bridge or an exported port is a set
// element, added and removed in one transaction, and the rules are written once.
//
//   sets   bridges          ifname                    every pot bridge
//          nets4 / nets6    ipv4_addr . ifname        each bridge's network, with the
//                           (ipv6_addr . ifname)      bridge: a private bridge's network
//                                                     lies inside POT_NETWORK, and an
//                                                     interval set refuses overlapping
//                                                     elements unless another field differs
//          isolated         ifname                    private bridges
//          isolated_pairs   ifname . ifname           "br" . "br" for each private bridge
//   maps   fwd4 / fwd6      inet_proto . inet_service : ipv4_addr (ipv6_addr) . inet_service
//
//   prerouting  (nat, dstnat)  packets to any local address whose protocol . port is in a
//                              map are DNATed to the pot
//   output      (nat, -100)    the same for the host's own connections, 127.0.0.1 included
//                              (the caller sets route_localnet=1 on the bridges; IPv6 has no
//                              such switch, so [::1] cannot reach an exported port)
//   postrouting (nat, srcnat)  masquerade what comes from a bridge and leaves by another
//                              interface; masquerade 127.0.0.0/8 sources leaving by a bridge
//                              (the output case above); masquerade DNATed connections from
//                              a bridge's network back into that bridge (hairpin: a pot
//                              reaching a pot, or itself, through a host address)
//   forward     (filter)       a new connection into a private bridge from any other
//                              interface is dropped unless it was DNATed (exported ports
//                              stay reachable); within the bridge everything passes
//
// Why some pieces look the way they do (each checked against nft 1.0.6 and a 6.x kernel):
// - `iifname` in postrouting: for forwarded packets the kernel passes the input device to the
//   postrouting hook (ip_output), so "came from a bridge" needs no address set. It is empty
//   for packets that br_netfilter bridges, hence the hairpin rule matches addresses instead.
// - `ct status & dnat == 0`: `ct status != dnat` compiles to "status is not exactly the
//   dnat bit", which is true for nearly every connection.
// - nft cannot compare iifname with oifname; the pair set says "same bridge" instead.
// - A pot reaching itself through a host address works only when its bridge port has
//   hairpin mode on if br_netfilter is loaded (the bridge otherwise never sends a frame back
//   out of the port it came in by); without br_netfilter the packet is routed and it works.
//
// Idempotence: `add table/set/map/chain` keep what exists, elements included. Rules are
// not idempotent, so setup flushes each base chain and adds its rules again in the same
// transaction: running it again leaves exactly one copy, atomically, and a newer pot replaces
// older rules the same way. Element removal first adds the element (a no-op when present)
// and then deletes it, so removing something already gone is not an error.
//
// For callers: run nft_setup_table before adding elements, in the same run() if you like
// (`nft_setup_table(t) + nft_add_bridge(t, b)` is one transaction, about a millisecond).
// Replacing rules costs the kernel an RCU grace period when the socket closes (about 14 ms
// measured), so callers skip it when nft_bridge_current says it is done already. Make a Nftables in
// the network namespace it is to work in: libnftables opens its netlink socket in the constructor.
#include "net/nftables.h"

#include <nftables/libnftables.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <linux/netlink.h>

#include <cerrno>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/shared_library.h"
#include "core/unique_fd.h"

namespace pot::net {

const char* const kRulesetMarker = "ruleset_1";
namespace {

// Table names go into the commands unquoted: keep them to what nft's scanner reads as one
// identifier.
void check_table_name(const std::string& table) {
  bool ok = !table.empty() && table.size() <= 64 &&
            ((table[0] >= 'a' && table[0] <= 'z') || (table[0] >= 'A' && table[0] <= 'Z'));
  for (char c : table) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '_' || c == '-');
  }
  if (!ok) throw Error("nftables: " + quote_name(table) + " is not a valid table name");
}

// An interface name as an nft string. Linux allows almost any byte in one, nft strings do
// not: refuse what could end the string or the command.
std::string ifname(const std::string& name) {
  bool ok = !name.empty() && name.size() < 16;  // IFNAMSIZ
  for (char c : name) ok = ok && c > ' ' && c < 0x7f && c != '"' && c != '\\';
  if (!ok) throw Error("nftables: " + quote_name(name) + " is not a valid interface name");
  return "\"" + name + "\"";
}

std::string network_element(const IpNetwork& network, const std::string& bridge) {
  return network.str() + " . " + ifname(bridge);
}

std::string forward_key(const PortForward& forward) {
  if (forward.protocol != "tcp" && forward.protocol != "udp") {
    throw Error("nftables: port forward protocol " + quote_name(forward.protocol) +
                " is not tcp or udp");
  }
  if (forward.host_port == 0 || forward.pot_port == 0) {
    throw Error("nftables: port forward with port 0");
  }
  return forward.protocol + " . " + std::to_string(forward.host_port);
}

std::string forward_map(const PortForward& forward) {
  return forward.pot_address.is_v4() ? "fwd4" : "fwd6";
}

std::string forward_element(const PortForward& forward) {
  return forward_key(forward) + " : " + forward.pot_address.str() + " . " +
         std::to_string(forward.pot_port);
}

// Builds a transaction's text line by line; every command is about one table.
class Commands {
 public:
  explicit Commands(const std::string& table) : table_("inet " + table) { check_table_name(table); }

  void add(std::string_view verb, std::string_view rest = {}) {
    text_.append(verb).append(" ").append(table_);
    if (!rest.empty()) text_.append(" ").append(rest);
    text_.append("\n");
  }
  void add_element(const std::string& set, const std::string& element) {
    add("add element", set + " { " + element + " }");
  }
  // Deleting a missing element fails, so add it first: the pair succeeds either way.
  void remove_element(const std::string& set, const std::string& element) {
    add_element(set, element);
    add("delete element", set + " { " + element + " }");
  }
  std::string text() && { return std::move(text_); }

 private:
  std::string table_;
  std::string text_;
};

void check_networks(const BridgeRules& bridge) {
  if (!bridge.network4.address.is_v4()) {
    throw Error("nftables: bridge " + quote_name(bridge.bridge) + ": " +
                quote_name(bridge.network4.str()) + " is not an IPv4 network");
  }
  if (bridge.network6 && bridge.network6->address.is_v4()) {
    throw Error("nftables: bridge " + quote_name(bridge.bridge) + ": " +
                quote_name(bridge.network6->str()) + " is not an IPv6 network");
  }
}

// The libnftables entry points pot uses.
struct Api {
  decltype(&::nft_ctx_new) ctx_new = nullptr;
  decltype(&::nft_ctx_free) ctx_free = nullptr;
  decltype(&::nft_run_cmd_from_buffer) run_cmd_from_buffer = nullptr;
  decltype(&::nft_run_cmd_from_filename) run_cmd_from_filename = nullptr;
  decltype(&::nft_ctx_buffer_output) buffer_output = nullptr;
  decltype(&::nft_ctx_buffer_error) buffer_error = nullptr;
  decltype(&::nft_ctx_get_output_buffer) get_output_buffer = nullptr;
  decltype(&::nft_ctx_get_error_buffer) get_error_buffer = nullptr;
  decltype(&::nft_ctx_output_set_flags) output_set_flags = nullptr;
};

Api load_api() {
  SharedLibrary library("libnftables.so.1", "install libnftables1");
  Api api;
  library.resolve("nft_ctx_new", api.ctx_new);
  library.resolve("nft_ctx_free", api.ctx_free);
  library.resolve("nft_run_cmd_from_buffer", api.run_cmd_from_buffer);
  library.resolve("nft_run_cmd_from_filename", api.run_cmd_from_filename);
  library.resolve("nft_ctx_buffer_output", api.buffer_output);
  library.resolve("nft_ctx_buffer_error", api.buffer_error);
  library.resolve("nft_ctx_get_output_buffer", api.get_output_buffer);
  library.resolve("nft_ctx_get_error_buffer", api.get_error_buffer);
  library.resolve("nft_ctx_output_set_flags", api.output_set_flags);
  return api;
}

// Loaded on first use (core/shared_library.h says why never unloaded). A failed load throws
// and is tried again by the next caller.
const Api& api() {
  static const Api loaded = load_api();
  return loaded;
}

nft_ctx* as_context(void* context) {
  return static_cast<nft_ctx*>(context);
}

// nft reports an error as "FILE:L:C-C: Error: what", the offending command, and a line of
// carets under the culprit. One line: "what: command", errors joined by "; ".
std::string one_line(const std::string& text) {
  std::string result;
  std::string message;
  auto flush = [&] {
    if (message.empty()) return;
    if (!result.empty()) result += "; ";
    result += message;
    message.clear();
  };
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    start = end + 1;
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string::npos) continue;
    if (line.find_first_not_of(" \t^~", first) == std::string::npos) continue;  // carets
    line = line.substr(first, line.find_last_not_of(" \t\r") + 1 - first);
    if (size_t error = line.find("Error: "); error != std::string::npos) {
      flush();
      message = line.substr(error + 7);
    } else if (message.empty()) {
      message = line;
    } else {
      message += ": " + line;
    }
  }
  flush();
  return result.empty() ? "unknown error" : result;
}

}  // namespace

std::string nft_setup_table(const std::string& table) {
  Commands c(table);
  c.add("add table");
  // An empty set whose name says which rules these are: a newer pot that changes them bumps
  // the name, and nft_bridge_current then asks for the setup again.
  c.add("add set", std::string(kRulesetMarker) + " { type ifname; }");
  c.add("add set", "bridges { type ifname; }");
  c.add("add set", "nets4 { type ipv4_addr . ifname; flags interval; }");
  c.add("add set", "nets6 { type ipv6_addr . ifname; flags interval; }");
  c.add("add set", "isolated { type ifname; }");
  c.add("add set", "isolated_pairs { type ifname . ifname; }");
  c.add("add map", "fwd4 { type inet_proto . inet_service : ipv4_addr . inet_service; }");
  c.add("add map", "fwd6 { type inet_proto . inet_service : ipv6_addr . inet_service; }");

  c.add("add chain", "prerouting { type nat hook prerouting priority dstnat; policy accept; }");
  c.add("add chain", "output { type nat hook output priority -100; policy accept; }");
  c.add("add chain", "postrouting { type nat hook postrouting priority srcnat; policy accept; }");
  c.add("add chain", "forward { type filter hook forward priority filter; policy accept; }");
  c.add("add chain", "input { type filter hook input priority filter; policy accept; }");
  for (const char* chain : {"prerouting", "output", "postrouting", "forward", "input"}) {
    c.add("flush chain", chain);
  }

  // Exported ports, on every local address: from outside, from pots, from the host itself.
  for (const char* chain : {"prerouting", "output"}) {
    c.add("add rule", std::string(chain) +
                          " meta nfproto ipv4 fib daddr type local"
                          " dnat ip to meta l4proto . th dport map @fwd4");
    c.add("add rule", std::string(chain) +
                          " meta nfproto ipv6 fib daddr type local"
                          " dnat ip6 to meta l4proto . th dport map @fwd6");
  }
  // Pots reaching the world; traffic between pot bridges keeps its addresses.
  c.add("add rule", "postrouting iifname @bridges oifname != @bridges masquerade");
  // The host's 127.0.0.1:port DNATed into a pot: the pot cannot answer 127.0.0.1.
  c.add("add rule", "postrouting ip saddr 127.0.0.0/8 oifname @bridges masquerade");
  // Hairpin: without it the target answers the client directly, from the wrong address.
  c.add("add rule", "postrouting ct status dnat ip saddr . oifname @nets4 masquerade");
  c.add("add rule", "postrouting ct status dnat ip6 saddr . oifname @nets6 masquerade");
  // Private bridges.
  c.add("add rule",
        "forward oifname @isolated iifname . oifname != @isolated_pairs"
        " ct status & dnat == 0 ct state new drop");
  // route_localnet on the bridges (for the host's 127.0.0.1:port) would also let pots reach
  // the host's loopback-only services (CVE-2020-8558): only NATed connections may.
  c.add("add rule", "input iifname @bridges ip daddr 127.0.0.0/8 ct status & dnat == 0 drop");
  return std::move(c).text();
}

bool nft_bridge_current(const std::string& table_listing, const std::string& bridge) {
  bool marker = false, listed = false;
  auto json = nlohmann::json::parse(table_listing, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return false;
  for (const auto& item : json.value("nftables", nlohmann::json::array())) {
    if (!item.contains("set")) continue;
    const auto& set = item["set"];
    std::string name = set.value("name", "");
    if (name == kRulesetMarker) marker = true;
    if (name != "bridges") continue;
    for (const auto& element : set.value("elem", nlohmann::json::array()))
      if (element.is_string() && element.get<std::string>() == bridge) listed = true;
  }
  return marker && listed;
}

std::string nft_add_bridge(const std::string& table, const BridgeRules& bridge) {
  check_networks(bridge);
  Commands c(table);
  const std::string name = ifname(bridge.bridge);
  c.add_element("bridges", name);
  c.add_element("nets4", network_element(bridge.network4, bridge.bridge));
  if (bridge.network6) c.add_element("nets6", network_element(*bridge.network6, bridge.bridge));
  // The isolation elements follow `isolated` both ways, so a bridge made public again opens.
  if (bridge.isolated) {
    c.add_element("isolated", name);
    c.add_element("isolated_pairs", name + " . " + name);
  } else {
    c.remove_element("isolated", name);
    c.remove_element("isolated_pairs", name + " . " + name);
  }
  return std::move(c).text();
}

std::string nft_remove_bridge(const std::string& table, const BridgeRules& bridge) {
  check_networks(bridge);
  Commands c(table);
  const std::string name = ifname(bridge.bridge);
  c.remove_element("bridges", name);
  c.remove_element("nets4", network_element(bridge.network4, bridge.bridge));
  if (bridge.network6) {
    c.remove_element("nets6", network_element(*bridge.network6, bridge.bridge));
  }
  c.remove_element("isolated", name);
  c.remove_element("isolated_pairs", name + " . " + name);
  return std::move(c).text();
}

std::string nft_add_forwards(const std::string& table, const std::vector<PortForward>& forwards) {
  Commands c(table);
  for (const PortForward& forward : forwards) {
    c.add_element(forward_map(forward), forward_element(forward));
  }
  return std::move(c).text();
}

std::string nft_remove_forwards(const std::string& table,
                                const std::vector<PortForward>& forwards) {
  Commands c(table);
  // nft deletes a map element by its key alone; adding it first also means a host port that
  // now goes to another pot is not taken from that pot: the add fails ("File exists") and
  // the whole transaction with it.
  for (const PortForward& forward : forwards) {
    c.remove_element(forward_map(forward), forward_element(forward));
  }
  return std::move(c).text();
}

std::string nft_delete_table(const std::string& table) {
  Commands c(table);
  c.add("add table");
  c.add("delete table");
  return std::move(c).text();
}

Nftables::Nftables() {
  const Api& nft = api();
  // libnftables opens its netlink socket in nft_ctx_new and calls exit() when that fails
  // (a kernel without nf_tables' netlink): find out first, with a socket of our own.
  UniqueFd probe(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!probe) throw_sys("nftables: netlink socket");
  probe.reset();

  context_ = nft.ctx_new(NFT_CTX_DEFAULT);
  if (context_ == nullptr) throw Error("nftables: cannot create a libnftables context");
  // Without these nft writes to the process's stdout and stderr.
  if (nft.buffer_output(as_context(context_)) != 0 || nft.buffer_error(as_context(context_)) != 0) {
    nft.ctx_free(as_context(context_));
    throw Error("nftables: cannot buffer libnftables output");
  }
}

Nftables::~Nftables() {
  if (context_ != nullptr) api().ctx_free(as_context(context_));
}

void Nftables::run(const std::string& commands) {
  // The commands go in as a file, not a buffer: for a buffer, libnftables 1.0.6 quotes the
  // buffer's first line under every error, whichever line failed; for a file it quotes the
  // failing line. A memfd is a file without a path on any filesystem.
  UniqueFd file(::memfd_create("pot-nftables", MFD_CLOEXEC));
  if (!file) throw_sys("nftables: memfd_create");
  for (size_t done = 0; done < commands.size();) {
    ssize_t n = ::write(file.get(), commands.data() + done, commands.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw_sys("nftables: writing the commands to a memfd");
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(file.get());

  const Api& nft = api();
  nft.output_set_flags(as_context(context_), 0);
  int rc = nft.run_cmd_from_filename(as_context(context_), path.c_str());
  // Read both buffers every time: reading is what rewinds them for the next command.
  nft.get_output_buffer(as_context(context_));
  std::string errors = nft.get_error_buffer(as_context(context_));
  if (rc != 0) throw Error("nftables: " + one_line(errors));
}

std::string Nftables::list_json(const std::string& command) {
  const Api& nft = api();
  nft.output_set_flags(as_context(context_), NFT_CTX_OUTPUT_JSON);
  int rc = nft.run_cmd_from_buffer(as_context(context_), command.c_str());
  nft.output_set_flags(as_context(context_), 0);
  std::string output = nft.get_output_buffer(as_context(context_));
  std::string errors = nft.get_error_buffer(as_context(context_));
  if (rc != 0) throw Error("nftables: " + one_line(errors));
  return output;
}

bool Nftables::table_exists(const std::string& table) {
  check_table_name(table);
  const Api& nft = api();
  // `list table` of a missing table fails like any other error would; the list of inet
  // tables, one "table inet NAME" line each, answers without guessing at error text.
  nft.output_set_flags(as_context(context_), 0);
  int rc = nft.run_cmd_from_buffer(as_context(context_), "list tables inet");
  std::string output = nft.get_output_buffer(as_context(context_));
  std::string errors = nft.get_error_buffer(as_context(context_));
  if (rc != 0) throw Error("nftables: " + one_line(errors));
  const std::string wanted = "table inet " + table;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    if (output.compare(start, end - start, wanted) == 0) return true;
    start = end + 1;
  }
  return false;
}

}  // namespace pot::net
