// Pot networking end to end, as root: bridges, NAT, exported ports, private bridges, alias
// pots and IPv6, checked with traffic between pots, the host, and a client namespace that
// plays the network behind POT_EXTIF. Nothing here sends traffic anywhere else.
#include <gtest/gtest.h>

#include <future>
#include <iostream>
#include <set>
#include <sstream>

#include "harness.h"
#include "net/interface_names.h"
#include "net/netlink.h"
#include "net/nftables.h"
#include "net/pot_network.h"
#include "net_harness.h"

namespace potit {
namespace {

ClientNetwork& client() {
  return shared_client_network();
}

class NetworkTest : public PotTest {
 public:
  static void TearDownTestSuite() {
    PotTest::TearDownTestSuite();  // de-init: must remove bridges and the table
    pot::net::Netlink host;
    for (const auto& tag : tags()) {
      EXPECT_FALSE(pot::net::Nftables().table_exists(pot::net::firewall_table(tag)))
          << "de-init removes the root's nftables table";
      EXPECT_FALSE(host.link_exists(pot::net::public_bridge_interface(tag)))
          << "de-init removes the public bridge";
    }
    tags().clear();
    for (const auto& link : pot_links(host)) {
      EXPECT_EQ(links_before().count(link), 1U)
          << "no pot veth or private bridge is left: " << link;
    }
  }

  // pot's veths and private bridges on the host (of any root: compared with the same before
  // the suite, so pots a user runs meanwhile do not count).
  static std::set<std::string> pot_links(pot::net::Netlink& host) {
    std::set<std::string> links;
    for (const char* prefix : {"potv", "potpb"}) {
      for (const auto& link : host.links_with_prefix(prefix)) links.insert(link);
    }
    return links;
  }
  static std::set<std::string>& links_before() {
    static std::set<std::string> links = [] {
      pot::net::Netlink host;
      return pot_links(host);
    }();
    return links;
  }

 protected:
  void SetUp() override {
    links_before();
    PotTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    client();
    tag_ = root().root_tag();
    tags().insert(tag_);
  }

  static std::set<std::string>& tags() {
    static std::set<std::string> all;
    return all;
  }

  std::vector<std::string> root_env() const override {
    return {"POT_NETWORK=10.123.0.0/16", "POT_GATEWAY=10.123.0.1",
            std::string("POT_EXTIF=") + ClientNetwork::kHostInterface};
  }

  std::string ip_of(const std::string& name, bool v6 = false) {
    auto result = pot({"info", "-p", name});
    std::istringstream lines(result.out);
    std::string line;
    while (std::getline(lines, line)) {
      auto at = line.find("ip : ");
      if (at == std::string::npos) continue;
      std::istringstream words(line.substr(at + 5));
      std::string word;
      while (words >> word) {
        if ((word.find(':') != std::string::npos) == v6) return word;
      }
    }
    return "";
  }

  // A persistent pot on `network` serving "page of NAME" with busybox httpd on port 80.
  std::string web_pot(const std::string& prefix, const std::vector<std::string>& network) {
    std::string name = create_pot(prefix, network);
    EXPECT_POT_OK(pot({"set-cmd", "-p", name, "-c",
                       "sh -c 'mkdir -p /www && echo page of " + name +
                           " > /www/index.html && exec httpd -f -p 80 -h /www'"}));
    return name;
  }

  void start_and_wait_for_http(const std::string& name, const std::string& address,
                               const NetNamespace* from = nullptr) {
    ASSERT_POT_OK(pot({"start", name}));
    bool up = wait_until(
        [&] {
          std::string body;
          auto get = [&] { body = http_get(address, 80, 500); };
          if (from) {
            from->run(get);
          } else {
            get();
          }
          return body.find("page of " + name) != std::string::npos;
        },
        10000, 100);
    ASSERT_TRUE(up) << name << " never answered on " << address << ":80";
  }

  // `wget` from inside the pot; stdout, or "" on failure. (Not `wget -T`: the static busybox
  // of Debian 12 crashes with it.)
  std::string fetch_from_pot(const std::string& name, const std::string& url) {
    auto result = pot({"exec", "-p", name, "timeout", "4", "wget", "-q", "-O", "-", url});
    if (!result.ok()) std::cerr << "(fetch failed, as may be expected) " << result << "\n";
    return result.ok() ? result.out : "";
  }

  std::string client_get(const std::string& address, uint16_t port) {
    std::string body;
    client().ns().run([&] { body = http_get(address, port); });
    return body;
  }

  std::vector<std::string> forwarded_ports() {
    std::vector<std::string> ports;  // "tcp:3000"
    for (const auto& forward : pot::net::current_port_forwards(pot::net::firewall_table(tag_)))
      ports.push_back(forward.protocol + ":" + std::to_string(forward.host_port));
    return ports;
  }
  bool veth_exists(const std::string& name) {
    return !pot::net::Netlink().links_with_prefix(pot::net::pot_veth_prefix(tag_, name)).empty();
  }
  // The kernel removes a veth with its namespace, shortly after the pot's last process.
  bool veth_gone(const std::string& name) {
    return wait_until([&] { return !veth_exists(name); }, 5000);
  }

  std::string tag_;
};

TEST_F(NetworkTest, PublicBridgePotReachesTheGatewayAndTheOutsideThroughNat) {
  std::string name = create_pot("nat", {"-N", "public-bridge"});
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", name}));
  std::string ip = ip_of(name);
  ASSERT_EQ(ip.rfind("10.123.", 0), 0U) << "address from POT_NETWORK: " << ip;

  PeerAddressServer on_host(nullptr, "10.123.0.1");
  EXPECT_EQ(fetch_from_pot(name, "http://10.123.0.1:" + std::to_string(on_host.port()) + "/"), ip)
      << "the pot reaches its gateway with its own address";

  PeerAddressServer outside(&client().ns(), ClientNetwork::kClientAddress);
  EXPECT_EQ(fetch_from_pot(name, std::string("http://") + ClientNetwork::kClientAddress + ":" +
                                     std::to_string(outside.port()) + "/"),
            ClientNetwork::kHostAddress)
      << "traffic to the outside leaves masqueraded as POT_EXTIF's address";

  auto hosts = pot({"exec", "-p", name, "cat", "/etc/hosts"});
  EXPECT_NE(hosts.out.find(ip + "\t" + name), std::string::npos) << hosts.out;
  ASSERT_POT_OK(pot({"stop", "-p", name}));
  EXPECT_TRUE(veth_gone(name)) << "no veth after stop";
}

TEST_F(NetworkTest, ExportedPortIsReachableFromTheClientTheHostAndOtherPots) {
  std::string web = web_pot("web", {"-N", "public-bridge"});
  uint16_t port = free_host_port();
  std::string host_port = std::to_string(port);
  ASSERT_POT_OK(pot({"export-ports", "-p", web, "-e", "80:" + host_port, "-e", "tcp:80"}));
  auto show = pot({"show", "-p", web});
  EXPECT_NE(show.out.find("port: tcp host " + host_port + " -> pot 80"), std::string::npos)
      << show.out;
  EXPECT_NE(show.out.find("port: tcp host 30"), std::string::npos)
      << "a port without HOST_PORT gets one picked and recorded\n"
      << show.out;
  start_and_wait_for_http(web, ip_of(web));
  std::string page = "page of " + web + "\n";

  EXPECT_EQ(client_get(ClientNetwork::kHostAddress, port), page) << "client -> POT_EXTIF:port";
  EXPECT_EQ(http_get("127.0.0.1", port), page) << "host 127.0.0.1 -> exported port";
  EXPECT_EQ(http_get(ClientNetwork::kHostAddress, port), page) << "host's own address";

  std::string other = create_pot("peer", {"-N", "public-bridge"});
  ASSERT_POT_OK(pot({"set-cmd", "-p", other, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", other}));
  EXPECT_EQ(fetch_from_pot(other, "http://10.123.0.1:" + host_port + "/"), page)
      << "hairpin via gateway";
  EXPECT_EQ(fetch_from_pot(web, "http://10.123.0.1:" + host_port + "/"), page)
      << "a pot's own exported port";
  EXPECT_EQ(fetch_from_pot(other, std::string("http://") + ClientNetwork::kHostAddress + ":" +
                                      host_port + "/"),
            page)
      << "hairpin via the host's external address";
  auto hosts = pot({"exec", "-p", other, "cat", "/etc/hosts"});
  EXPECT_NE(hosts.out.find(ip_of(web) + "\t" + web), std::string::npos)
      << "pots on the same bridge are in /etc/hosts\n"
      << hosts.out;

  auto ports = forwarded_ports();
  EXPECT_EQ(std::count(ports.begin(), ports.end(), "tcp:" + host_port), 1);
  ASSERT_POT_OK(pot({"stop", "-p", web}));
  ports = forwarded_ports();
  EXPECT_EQ(std::count(ports.begin(), ports.end(), "tcp:" + host_port), 0)
      << "stop removes the rules";
  EXPECT_NE(http_get("127.0.0.1", port, 500), page) << "stopped: the port goes nowhere";
  EXPECT_TRUE(veth_gone(web));
}

TEST_F(NetworkTest, PrivateBridgesKeepTheirPotsApart) {
  std::string a = unique_name("bra"), b = unique_name("brb");
  ASSERT_POT_OK(pot({"create-private-bridge", "-B", a, "-S", "4"}));
  ASSERT_POT_OK(pot({"create-private-bridge", "-B", b, "-S", "4"}));
  auto bridges = pot({"ls", "-B", "-q"});
  EXPECT_NE(bridges.out.find(a), std::string::npos);

  std::string web = web_pot("pweb", {"-N", "private-bridge", "-B", a});
  std::string same = create_pot("psame", {"-N", "private-bridge", "-B", a});
  std::string apart = create_pot("papart", {"-N", "private-bridge", "-B", b});
  for (const auto& p : {same, apart}) ASSERT_POT_OK(pot({"set-cmd", "-p", p, "-c", "sleep 3600"}));
  start_and_wait_for_http(web, ip_of(web));
  ASSERT_POT_OK(pot({"start", same}));
  ASSERT_POT_OK(pot({"start", apart}));

  std::string url = "http://" + ip_of(web) + "/";
  EXPECT_EQ(fetch_from_pot(same, url), "page of " + web + "\n") << "same bridge: reachable";
  EXPECT_EQ(fetch_from_pot(apart, url), "") << "another bridge: not reachable";
  PeerAddressServer outside(&client().ns(), ClientNetwork::kClientAddress);
  EXPECT_EQ(fetch_from_pot(apart, std::string("http://") + ClientNetwork::kClientAddress + ":" +
                                      std::to_string(outside.port()) + "/"),
            ClientNetwork::kHostAddress)
      << "private pots reach the outside through NAT";

  EXPECT_FALSE(pot({"vnet-stop", "-B", a}).ok()) << "a bridge in use is not taken down";
  for (const auto& p : {web, same, apart}) ASSERT_POT_OK(pot({"stop", "-p", p}));
  EXPECT_POT_OK(pot({"vnet-stop", "-B", a}));
  EXPECT_FALSE(pot::net::Netlink().link_exists(pot::net::private_bridge_interface(tag_, a)));
}

TEST_F(NetworkTest, AliasPotIsReachableFromTheClientNetwork) {
  std::string web = web_pot("alias", {"-N", "alias", "-i", "198.51.100.50"});
  start_and_wait_for_http(web, "198.51.100.50", &client().ns());
  ASSERT_POT_OK(pot({"stop", "-p", web}));
  EXPECT_EQ(client_get("198.51.100.50", 80), "") << "stopped: the address is gone";
}

TEST_F(NetworkTest, ParallelCreatesNeverShareAnAddress) {
  std::vector<std::string> names;
  std::vector<std::future<RunResult>> creates;
  for (int i = 0; i < 20; ++i) {
    names.push_back(unique_name("par"));
    track(names.back());
    creates.push_back(std::async(std::launch::async, [&, name = names.back()] {
      return pot({"create", "-p", name, "-b", "bb", "-N", "public-bridge"});
    }));
  }
  for (auto& create : creates) EXPECT_POT_OK(create.get());
  std::set<std::string> addresses;
  for (const auto& name : names) addresses.insert(ip_of(name));
  EXPECT_EQ(addresses.size(), names.size()) << "every pot has an address of its own";
  // An address is free again only when its pot is destroyed.
  std::string freed = ip_of(names[0]);
  ASSERT_POT_OK(pot({"destroy", "-p", names[0]}));
  std::string next = create_pot("reuse", {"-N", "public-bridge", "-i", freed});
  EXPECT_EQ(ip_of(next), freed);
}

TEST_F(NetworkTest, KilledStartIsCleanedByTheNextCommand) {
  std::string name = create_one_shot("killed", "sleep 30", {"-N", "public-bridge"});
  std::vector<uint16_t> ports_found = free_host_ports(2);
  uint16_t port = ports_found[0];
  std::string host_port = std::to_string(port), heir_port = std::to_string(ports_found[1]);
  ASSERT_POT_OK(pot({"export-ports", "-p", name, "-e", "80:" + host_port}));
  auto start = root().pot_background({"start", name});
  // The forwards are added last, after the veth.
  ASSERT_TRUE(wait_until(
      [&] {
        auto ports = forwarded_ports();
        return std::count(ports.begin(), ports.end(), "tcp:" + host_port) == 1;
      },
      10000));
  ASSERT_TRUE(veth_exists(name));
  start->kill(SIGKILL);
  start->wait(5000);
  ASSERT_TRUE(veth_gone(name)) << "the veth goes with the pot's namespace";
  auto left = forwarded_ports();
  EXPECT_EQ(std::count(left.begin(), left.end(), "tcp:" + host_port), 1)
      << "the killed start's rule";

  // Another pot with the same host port takes it over from the dead one's leftovers...
  std::string heir = web_pot("heir", {"-N", "public-bridge"});
  ASSERT_POT_OK(pot({"export-ports", "-p", heir, "-e", "80:" + heir_port}));
  ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "persistent", "-V", "YES"}));
  {
    // (recorded directly: export-ports refuses a port another pot has, which is the point)
    auto conf_path = root().jail_dir(heir) / "conf" / "pot.conf";
    std::string conf = read_text(conf_path);
    auto at = conf.find("80:" + heir_port);
    ASSERT_NE(at, std::string::npos) << conf;
    conf.replace(at, 3 + heir_port.size(), "80:" + host_port);
    write_text(conf_path, conf);
  }
  start_and_wait_for_http(heir, ip_of(heir));
  EXPECT_EQ(http_get("127.0.0.1", port), "page of " + heir + "\n");
  // ...and the dead one's cleanup leaves it alone.
  ASSERT_POT_OK(pot({"stop", "-p", name}));
  EXPECT_EQ(http_get("127.0.0.1", port), "page of " + heir + "\n");
  ASSERT_POT_OK(pot({"stop", "-p", heir}));
  EXPECT_TRUE(veth_gone(name));
  auto ports = forwarded_ports();
  EXPECT_EQ(std::count(ports.begin(), ports.end(), "tcp:" + host_port), 0);
}

TEST_F(NetworkTest, BadInputIsRefusedAndChangesNothing) {
  struct Case {
    std::vector<std::string> extra;
    std::string error;
  };
  std::string taken = create_pot("taken", {"-N", "public-bridge"});
  for (const Case& c : std::vector<Case>{
           {{"-N", "public-bridge", "-i", "10.99.0.5"}, "outside the network"},
           {{"-N", "public-bridge", "-i", ip_of(taken)}, "already taken"},
           {{"-N", "public-bridge", "-i", "10.123.0.1"}, "already taken"},
           {{"-N", "public-bridge", "-i", "not-an-ip"}, "not an IPv4 or IPv6 address"},
           {{"-N", "private-bridge", "-B", "nosuchbridge"}, "bridge `nosuchbridge` not found"},
           {{"-N", "bridged"}, "invalid network type"},
           {{"-N", "alias"}, "needs -i"},
       }) {
    std::string name = unique_name("bad");
    std::vector<std::string> args = {"create", "-p", name, "-b", "bb"};
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto result = pot(args);
    EXPECT_EQ(result.code, 1) << result;
    ASSERT_EQ(result.err_lines().size(), 1U) << result;
    EXPECT_NE(result.err.find(c.error), std::string::npos) << result;
    EXPECT_FALSE(fs::exists(root().jail_dir(name))) << "nothing made for " << result;
  }
  PeerAddressServer listening(nullptr, "127.0.0.1");
  for (const auto& [spec, error] : std::vector<std::pair<std::string, std::string>>{
           {"80:" + std::to_string(listening.port()), "in use on the host"},
           {"http:80", "not a port number"},
           {"80:70000", "not a port number"},
           {"", "not a port number"}}) {
    auto result = pot({"export-ports", "-p", taken, "-e", spec});
    EXPECT_EQ(result.code, 1) << result;
    EXPECT_NE(result.err.find(error), std::string::npos) << result;
  }
  auto show = pot({"show", "-p", taken});
  EXPECT_EQ(show.out.find("port:"), std::string::npos) << "no port recorded\n" << show.out;

  std::string isolated = create_pot("noexport");  // -N none
  auto noted = pot({"export-ports", "-p", isolated, "-e", "80"});
  EXPECT_POT_OK(noted) << "recorded, as the original does";
  EXPECT_NE(noted.err.find("only public-bridge and private-bridge pots export ports"),
            std::string::npos)
      << "with a note that start ignores it\n"
      << noted;
}

TEST_F(NetworkTest, FailedStartOfABridgePotSaysWhyAndLeavesNothing) {
  std::string name = create_pot("fail", {"-N", "public-bridge"});
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  std::string host_port = std::to_string(free_host_port());
  ASSERT_POT_OK(pot({"export-ports", "-p", name, "-e", "80:" + host_port}));
  fs::path source = root().tmp() / "vanishing";
  fs::create_directories(source);
  ASSERT_POT_OK(pot({"mount-in", "-p", name, "-d", source.string(), "-m", "/mnt/x"}));
  fs::remove(source);
  for (const char* persistent : {"YES", "NO"}) {
    ASSERT_POT_OK(pot({"set-attr", "-p", name, "-A", "persistent", "-V", persistent}));
    auto start = pot({"start", name});
    EXPECT_NE(start.code, 0) << start;
    EXPECT_LT(start.code, 128) << "killed by a signal: " << start;
    EXPECT_NE(start.err.find("vanishing"), std::string::npos)
        << "the error names the missing mount source\n"
        << start;
    EXPECT_EQ(root().status(name), "stopped");
    EXPECT_TRUE(veth_gone(name));
    auto ports = forwarded_ports();
    EXPECT_EQ(std::count(ports.begin(), ports.end(), "tcp:" + host_port), 0);
  }
}

TEST_F(NetworkTest, ParallelExportsNeverPickTheSameHostPort) {
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) names.push_back(create_pot("pexp", {"-N", "public-bridge"}));
  std::vector<std::future<RunResult>> exports;
  for (const auto& name : names) {
    exports.push_back(std::async(std::launch::async, [&, name] {
      return pot({"export-ports", "-p", name, "-e", "80"});
    }));
  }
  for (auto& result : exports) EXPECT_POT_OK(result.get());
  std::set<std::string> ports;
  for (const auto& name : names) {
    auto show = pot({"show", "-p", name});
    auto at = show.out.find("port: tcp host ");
    ASSERT_NE(at, std::string::npos) << show.out;
    ports.insert(show.out.substr(at, show.out.find(' ', at + 15) - at));
  }
  EXPECT_EQ(ports.size(), names.size()) << "every pot got a host port of its own";
}

// IPv6: a root with POT_NETWORK6.
class NetworkV6Test : public NetworkTest {
 protected:
  std::vector<std::string> root_env() const override {
    auto env = NetworkTest::root_env();
    env[0] = "POT_NETWORK=10.124.0.0/16";
    env[1] = "POT_GATEWAY=10.124.0.1";
    env.push_back("POT_NETWORK6=fd00:504f:5400::/64");
    return env;
  }
};

TEST_F(NetworkV6Test, BridgePotsGetIPv6AndExportedPortsCoverIt) {
  std::string web = web_pot("web6", {"-N", "public-bridge", "-i", "fd00:504f:5400::80"});
  uint16_t port = free_host_port();
  ASSERT_POT_OK(pot({"export-ports", "-p", web, "-e", "80:" + std::to_string(port)}));
  EXPECT_EQ(ip_of(web, /*v6=*/true), "fd00:504f:5400::80") << "a static IPv6 address";
  start_and_wait_for_http(web, "fd00:504f:5400::80");
  std::string page = "page of " + web + "\n";
  EXPECT_EQ(client_get(ClientNetwork::kHostAddress6, port), page) << "client -> [POT_EXTIF]:port";
  EXPECT_EQ(client_get(ClientNetwork::kHostAddress, port), page) << "and over IPv4";

  std::string other = create_pot("auto6", {"-N", "public-bridge"});
  EXPECT_EQ(ip_of(other, true).rfind("fd00:504f:5400::", 0), 0U) << "an automatic IPv6 address";
  PeerAddressServer outside(&client().ns(), ClientNetwork::kClientAddress6);
  ASSERT_POT_OK(pot({"set-cmd", "-p", other, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", other}));
  EXPECT_EQ(fetch_from_pot(other, std::string("http://[") + ClientNetwork::kClientAddress6 +
                                      "]:" + std::to_string(outside.port()) + "/"),
            ClientNetwork::kHostAddress6)
      << "IPv6 to the outside, masqueraded";
}

}  // namespace
}  // namespace potit

namespace potit {
namespace {

TEST_F(NetworkTest, ResolvConfFollowsPotDnsAndClonesGetTheirOwnAddress) {
  fs::path custom = host_file("resolv.custom", "nameserver 192.0.2.53\n");
  std::string name = create_pot("dns", {"-N", "public-bridge", "-d", "custom:" + custom.string()});
  ASSERT_POT_OK(pot({"set-cmd", "-p", name, "-c", "sleep 3600"}));
  ASSERT_POT_OK(pot({"start", name}));
  auto resolv = pot({"exec", "-p", name, "cat", "/etc/resolv.conf"});
  EXPECT_EQ(resolv.out, "nameserver 192.0.2.53\n");
  ASSERT_POT_OK(pot({"stop", "-p", name}));

  std::string copy = unique_name("dnsclone");
  track(copy);
  ASSERT_POT_OK(pot({"clone", "-P", name, "-p", copy}));
  EXPECT_NE(ip_of(copy), "");
  EXPECT_NE(ip_of(copy), ip_of(name)) << "a clone gets an address of its own";

  auto bad = pot({"create", "-p", unique_name("dnsbad"), "-b", "bb", "-d", "custom:/nonexistent"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("not found"), std::string::npos) << bad;
}

}  // namespace
}  // namespace potit
