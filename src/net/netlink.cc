#include "net/netlink.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>

#include "core/error.h"
#include "core/file_util.h"
#include "core/unique_fd.h"

namespace pot::net {

namespace {

// Owners for libnl's reference-counted objects.
template <auto Free>
struct NlDeleter {
  template <typename T>
  void operator()(T* object) const {
    Free(object);
  }
};
using LinkPtr = std::unique_ptr<rtnl_link, NlDeleter<rtnl_link_put>>;
using AddrPtr = std::unique_ptr<rtnl_addr, NlDeleter<rtnl_addr_put>>;
using RoutePtr = std::unique_ptr<rtnl_route, NlDeleter<rtnl_route_put>>;
using NexthopPtr = std::unique_ptr<rtnl_nexthop, NlDeleter<rtnl_route_nh_free>>;
using NlAddrPtr = std::unique_ptr<nl_addr, NlDeleter<nl_addr_put>>;
using CachePtr = std::unique_ptr<nl_cache, NlDeleter<nl_cache_free>>;

// libnl folds the kernel's errno into its own coarser codes (ENETUNREACH becomes "Unspecific
// failure"), so an error callback keeps what the kernel said: the errno and, with extended
// acks, its explanation. A request and its reply run on the calling thread.
struct KernelError {
  int err = 0;
  std::string message;
};
thread_local KernelError last_kernel_error;

int keep_kernel_error(sockaddr_nl* /*from*/, nlmsgerr* error, void* /*arg*/) {
  last_kernel_error = {-error->error, {}};
  char* message = reinterpret_cast<char*>(error) - NLMSG_HDRLEN;
  const auto* header = reinterpret_cast<const nlmsghdr*>(message);
  if ((header->nlmsg_flags & NLM_F_ACK_TLVS) != 0) {
    // The extended-ack attributes follow the error and, unless capped, the echoed request.
    size_t offset = NLMSG_HDRLEN + sizeof(nlmsgerr);
    if ((header->nlmsg_flags & NLM_F_CAPPED) == 0) offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
    offset = NLMSG_ALIGN(offset);
    if (header->nlmsg_len > offset) {
      nlattr* text = nla_find(reinterpret_cast<nlattr*>(message + offset),
                              static_cast<int>(header->nlmsg_len - offset), NLMSGERR_ATTR_MSG);
      if (text != nullptr) last_kernel_error.message = nla_get_string(text);
    }
  }
  return NL_STOP;  // libnl then returns its own code for the errno, as without a callback
}

// The errno behind a libnl code, for the errors libnl makes itself (or reports without our
// callback, as lookups do).
int errno_of(int nl_err) {
  static constexpr std::pair<int, int> kErrnos[] = {
      {NLE_NOMEM, ENOMEM},         {NLE_EXIST, EEXIST},         {NLE_NODEV, ENODEV},
      {NLE_OBJ_NOTFOUND, ENOENT},  {NLE_PERM, EPERM},           {NLE_NOACCESS, EACCES},
      {NLE_INVAL, EINVAL},         {NLE_BUSY, EBUSY},           {NLE_RANGE, ERANGE},
      {NLE_OPNOTSUPP, EOPNOTSUPP}, {NLE_AGAIN, EAGAIN},         {NLE_AF_NOSUPPORT, EAFNOSUPPORT},
      {NLE_INTR, EINTR},           {NLE_NOADDR, EADDRNOTAVAIL},
  };
  for (auto [code, err] : kErrnos) {
    if (code == -nl_err) return err;
  }
  return 0;
}

// Throws `what: reason` for a negative libnl code, with the kernel's own errno and
// explanation when the failure came from the kernel.
[[noreturn]] void fail(const std::string& what, int nl_err) {
  KernelError kernel = std::exchange(last_kernel_error, {});
  // A stale record from an earlier request whose error was fine would not match the code.
  if (kernel.err != 0 && nl_syserr2nlerr(kernel.err) == -nl_err) {
    std::string reason = std::strerror(kernel.err);
    if (!kernel.message.empty()) reason += " (" + kernel.message + ")";
    throw Error(what + ": " + reason, kernel.err);
  }
  int err = errno_of(nl_err);
  if (err != 0) throw_sys(what, err);
  throw Error(what + ": " + nl_geterror(nl_err));
}

bool is_missing(int nl_err) {
  return nl_err == -NLE_NODEV || nl_err == -NLE_OBJ_NOTFOUND;
}

// rtnl_link_set_name silently cuts a long name to IFNAMSIZ - 1 bytes, which would create (or
// delete!) a link of another name; no link can have such a name anyway.
bool fits_link_name(const std::string& name) {
  return !name.empty() && name.size() < IFNAMSIZ;
}

void check_link_name(const std::string& what, const std::string& name) {
  if (!fits_link_name(name)) {
    throw Error(what + ": " + quote_name(name) + " is not an interface name (1 to " +
                    std::to_string(IFNAMSIZ - 1) + " bytes)",
                EINVAL);
  }
}

// Makes a route socket in the calling thread's network namespace; nullptr (and the libnl
// code in `err`) on failure. Throws nothing: the caller may be in another namespace.
nl_sock* open_route_socket(int& err) noexcept {
  nl_sock* sock = nl_socket_alloc();
  if (sock == nullptr) {
    err = -NLE_NOMEM;
    return nullptr;
  }
  err = nl_socket_modify_err_cb(sock, NL_CB_CUSTOM, keep_kernel_error, nullptr);
  if (err >= 0) err = nl_connect(sock, NETLINK_ROUTE);
  if (err < 0) {
    nl_socket_free(sock);
    return nullptr;
  }
  // Best effort: without extended acks errors lose only the kernel's explanation, and
  // capped acks just keep the request from being echoed back.
  int one = 1;
  ::setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  ::setsockopt(nl_socket_get_fd(sock), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  return sock;
}

// The link named `name`, or null when there is none.
LinkPtr find_link(nl_sock* sock, const std::string& name) {
  if (!fits_link_name(name)) return nullptr;
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &link);
  if (is_missing(err)) return nullptr;
  if (err < 0) fail("looking up link " + quote_name(name), err);
  return LinkPtr(link);
}

std::string link_name(nl_sock* sock, int index) {
  rtnl_link* link = nullptr;
  int err = rtnl_link_get_kernel(sock, index, nullptr, &link);
  if (err < 0) fail("looking up link " + std::to_string(index), err);
  LinkPtr owner(link);
  const char* name = link != nullptr ? rtnl_link_get_name(link) : nullptr;
  return name != nullptr ? name : std::to_string(index);
}

// A link object naming an existing link by index, as rtnl_link_change wants the original.
LinkPtr link_by_index(int index) {
  LinkPtr link(rtnl_link_alloc());
  if (!link) throw_sys("allocating a link", ENOMEM);
  rtnl_link_set_ifindex(link.get(), index);
  return link;
}

LinkPtr new_link() {
  LinkPtr link(rtnl_link_alloc());
  if (!link) throw_sys("allocating a link", ENOMEM);
  return link;
}

NlAddrPtr to_nl_addr(const IpAddress& ip, int prefix_length) {
  NlAddrPtr addr(nl_addr_build(ip.af(), ip.bytes.data(), ip.size()));
  if (!addr) throw_sys("allocating an address", ENOMEM);
  nl_addr_set_prefixlen(addr.get(), prefix_length);
  return addr;
}

std::optional<IpAddress> from_nl_addr(nl_addr* addr) {
  if (addr == nullptr) return std::nullopt;
  IpAddress ip;
  int family = nl_addr_get_family(addr);
  if (family == AF_INET6) {
    ip.family = Family::kV6;
  } else if (family != AF_INET) {
    return std::nullopt;
  }
  if (nl_addr_get_len(addr) != ip.size()) return std::nullopt;
  std::memcpy(ip.bytes.data(), nl_addr_get_binary_addr(addr), ip.size());
  return ip;
}

// Calls `fn` with each object of `cache`, as the type the cache holds.
template <typename T, typename Fn>
void for_each(nl_cache* cache, Fn&& fn) {
  for (nl_object* object = nl_cache_get_first(cache); object != nullptr;
       object = nl_cache_get_next(object)) {
    fn(reinterpret_cast<T*>(object));
  }
}

}  // namespace

Netlink::Netlink() {
  int err = 0;
  sock_ = open_route_socket(err);
  if (sock_ == nullptr) fail("opening a netlink socket", err);
}

Netlink::Netlink(int netns_fd) {
  // A socket belongs to the namespace it was made in, so only socket(2) needs the thread
  // to be there; setns affects this thread alone.
  UniqueFd home(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!home) throw_sys("opening this thread's network namespace");
  if (::setns(netns_fd, CLONE_NEWNET) != 0) throw_sys("entering a network namespace");
  int err = 0;
  sock_ = open_route_socket(err);
  if (::setns(home.get(), CLONE_NEWNET) != 0) {
    // Carrying on would configure the wrong namespace with everything that follows.
    std::fprintf(stderr, "pot: returning to the network namespace: %s\n", std::strerror(errno));
    std::abort();
  }
  if (sock_ == nullptr) fail("opening a netlink socket in a network namespace", err);
}

Netlink::~Netlink() {
  if (sock_ != nullptr) nl_socket_free(sock_);
}

bool Netlink::link_exists(const std::string& name) {
  return find_link(sock_, name) != nullptr;
}

int Netlink::link_index(const std::string& name) {
  LinkPtr link = find_link(sock_, name);
  if (!link) throw_sys("finding link " + quote_name(name), ENODEV);
  return rtnl_link_get_ifindex(link.get());
}

void Netlink::ensure_bridge(const std::string& name) {
  std::string what = "creating bridge " + quote_name(name);
  check_link_name(what, name);
  LinkPtr bridge = new_link();
  rtnl_link_set_name(bridge.get(), name.c_str());
  int err = rtnl_link_set_type(bridge.get(), "bridge");
  if (err < 0) fail(what, err);
  err = rtnl_link_add(sock_, bridge.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err != -NLE_EXIST) {
    if (err < 0) fail(what, err);
    return;
  }
  LinkPtr existing = find_link(sock_, name);
  if (!existing) fail(what, err);  // it went away meanwhile
  const char* type = rtnl_link_get_type(existing.get());
  if (type == nullptr || std::strcmp(type, "bridge") != 0) {
    throw Error(what + ": a link of that name exists and is not a bridge (it is " +
                    (type != nullptr ? type : "a device") + ")",
                EEXIST);
  }
}

void Netlink::create_veth(const std::string& host_name, const std::string& peer_name,
                          int peer_netns_fd) {
  std::string what = "creating veth " + quote_name(host_name) + " (peer " + quote_name(peer_name) +
                     " in another namespace)";
  check_link_name(what, host_name);
  check_link_name(what, peer_name);
  LinkPtr veth(rtnl_link_veth_alloc());
  if (!veth) throw_sys(what, ENOMEM);
  // The veth owns its peer; get_peer hands out one more reference.
  LinkPtr peer(rtnl_link_veth_get_peer(veth.get()));
  rtnl_link_set_name(veth.get(), host_name.c_str());
  rtnl_link_set_name(peer.get(), peer_name.c_str());
  // Made directly in the pot's namespace, the peer never exists under its name here.
  rtnl_link_set_ns_fd(peer.get(), peer_netns_fd);
  int err = rtnl_link_add(sock_, veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) fail(what, err);
}

void Netlink::create_macvlan(const std::string& name, const std::string& parent, int netns_fd) {
  std::string what = "creating macvlan " + quote_name(name) + " on " + quote_name(parent);
  check_link_name(what, name);
  int parent_index = with_context(what, [&] { return link_index(parent); });
  LinkPtr macvlan(rtnl_link_macvlan_alloc());
  if (!macvlan) throw_sys(what, ENOMEM);
  int err = rtnl_link_macvlan_set_mode(macvlan.get(), MACVLAN_MODE_BRIDGE);
  if (err < 0) fail(what, err);
  rtnl_link_set_name(macvlan.get(), name.c_str());
  rtnl_link_set_link(macvlan.get(), parent_index);  // the index is read in this namespace
  rtnl_link_set_ns_fd(macvlan.get(), netns_fd);
  err = rtnl_link_add(sock_, macvlan.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) fail(what, err);
}

void Netlink::set_master(const std::string& link, const std::string& bridge) {
  std::string what = "attaching " + quote_name(link) + " to bridge " + quote_name(bridge);
  int bridge_index = with_context(what, [&] { return link_index(bridge); });
  LinkPtr orig = link_by_index(with_context(what, [&] { return link_index(link); }));
  LinkPtr change = new_link();
  rtnl_link_set_master(change.get(), bridge_index);
  int err = rtnl_link_change(sock_, orig.get(), change.get(), 0);
  if (err < 0) fail(what, err);
}

void Netlink::set_up(const std::string& name) {
  std::string what = "bringing up " + quote_name(name);
  LinkPtr orig = link_by_index(with_context(what, [&] { return link_index(name); }));
  LinkPtr change = new_link();
  rtnl_link_set_flags(change.get(), IFF_UP);
  int err = rtnl_link_change(sock_, orig.get(), change.get(), 0);
  if (err < 0) fail(what, err);
}

void Netlink::add_address(const std::string& link, const InterfaceAddress& address) {
  std::string what = "adding address " + address.address.str() + "/" +
                     std::to_string(address.prefix_length) + " to " + quote_name(link);
  // libnl drops a zero prefix length as "not set" and would then refuse the request.
  int max_prefix = static_cast<int>(address.address.size() * 8);
  if (address.prefix_length < 1 || address.prefix_length > max_prefix)
    throw Error(what + ": the prefix length must be 1 to " + std::to_string(max_prefix), EINVAL);
  int index = with_context(what, [&] { return link_index(link); });
  AddrPtr addr(rtnl_addr_alloc());
  if (!addr) throw_sys(what, ENOMEM);
  rtnl_addr_set_ifindex(addr.get(), index);
  NlAddrPtr local = to_nl_addr(address.address, address.prefix_length);
  int err = rtnl_addr_set_local(addr.get(), local.get());
  if (err < 0) fail(what, err);
  rtnl_addr_set_prefixlen(addr.get(), address.prefix_length);
  // Duplicate address detection would leave the address unusable (tentative) for a while.
  if (!address.address.is_v4()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  err = rtnl_addr_add(sock_, addr.get(), NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST) fail(what, err);
}

std::vector<InterfaceAddress> Netlink::addresses(const std::string& link) {
  std::string what = "listing the addresses of " + quote_name(link);
  int index = with_context(what, [&] { return link_index(link); });
  nl_cache* raw = nullptr;
  int err = rtnl_addr_alloc_cache(sock_, &raw);
  if (err < 0) fail(what, err);
  CachePtr cache(raw);
  std::vector<InterfaceAddress> out;
  for_each<rtnl_addr>(cache.get(), [&](rtnl_addr* addr) {
    if (rtnl_addr_get_ifindex(addr) != index) return;
    if (auto ip = from_nl_addr(rtnl_addr_get_local(addr)))
      out.push_back({*ip, rtnl_addr_get_prefixlen(addr)});
  });
  return out;
}

void Netlink::add_default_route(const std::string& link, const IpAddress& gateway) {
  std::string what = "adding a default route via " + gateway.str() + " on " + quote_name(link);
  int index = with_context(what, [&] { return link_index(link); });
  RoutePtr route(rtnl_route_alloc());
  NexthopPtr hop(rtnl_route_nh_alloc());
  if (!route || !hop) throw_sys(what, ENOMEM);
  // A zero-length destination with prefix 0 is "default": libnl then sends no RTA_DST.
  NlAddrPtr any(nl_addr_build(gateway.af(), nullptr, 0));
  if (!any) throw_sys(what, ENOMEM);
  int err = rtnl_route_set_dst(route.get(), any.get());
  if (err < 0) fail(what, err);
  rtnl_route_set_table(route.get(), RT_TABLE_MAIN);
  rtnl_route_set_scope(route.get(), RT_SCOPE_UNIVERSE);
  rtnl_route_set_type(route.get(), RTN_UNICAST);
  rtnl_route_nh_set_ifindex(hop.get(), index);
  NlAddrPtr via = to_nl_addr(gateway, static_cast<int>(gateway.size() * 8));
  rtnl_route_nh_set_gateway(hop.get(), via.get());
  rtnl_route_add_nexthop(route.get(), hop.release());  // the route owns it now
  // Exclusive, or IPv6 would add a second gateway to an existing default route (multipath).
  err = rtnl_route_add(sock_, route.get(), NLM_F_EXCL);
  if (err < 0 && err != -NLE_EXIST) fail(what, err);
}

void Netlink::delete_link(const std::string& name) {
  if (!fits_link_name(name)) return;  // missing: no link can have that name
  LinkPtr link = new_link();
  rtnl_link_set_name(link.get(), name.c_str());
  int err = rtnl_link_delete(sock_, link.get());
  if (err < 0 && !is_missing(err)) fail("deleting link " + quote_name(name), err);
}

std::optional<Netlink::DefaultRoute> Netlink::default_route(Family family) {
  std::string what =
      std::string("reading the IPv") + (family == Family::kV4 ? "4" : "6") + " routing table";
  nl_cache* raw = nullptr;
  int err = rtnl_route_alloc_cache(sock_, family == Family::kV4 ? AF_INET : AF_INET6, 0, &raw);
  if (err < 0) fail(what, err);
  CachePtr cache(raw);
  // Of several default routes, the kernel uses the one with the lowest metric.
  rtnl_route* best = nullptr;
  for_each<rtnl_route>(cache.get(), [&](rtnl_route* route) {
    nl_addr* dst = rtnl_route_get_dst(route);
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN || rtnl_route_get_type(route) != RTN_UNICAST ||
        dst == nullptr || nl_addr_get_prefixlen(dst) != 0 || rtnl_route_get_nnexthops(route) < 1)
      return;
    if (best == nullptr || rtnl_route_get_priority(route) < rtnl_route_get_priority(best))
      best = route;
  });
  if (best == nullptr) return std::nullopt;
  rtnl_nexthop* hop = rtnl_route_nexthop_n(best, 0);
  DefaultRoute out;
  out.interface =
      with_context(what, [&] { return link_name(sock_, rtnl_route_nh_get_ifindex(hop)); });
  out.gateway = from_nl_addr(rtnl_route_nh_get_gateway(hop));
  return out;
}

std::vector<std::string> Netlink::links_with_prefix(const std::string& prefix) {
  nl_cache* raw = nullptr;
  int err = rtnl_link_alloc_cache(sock_, AF_UNSPEC, &raw);
  if (err < 0) fail("listing links", err);
  CachePtr cache(raw);
  std::vector<std::string> names;
  for_each<rtnl_link>(cache.get(), [&](rtnl_link* link) {
    const char* name = rtnl_link_get_name(link);
    if (name != nullptr && std::string_view(name).starts_with(prefix)) names.emplace_back(name);
  });
  return names;
}

void set_net_sysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/net/" + key;
  std::string current = read_file(path);
  current.erase(current.find_last_not_of(" \t\n") + 1);
  // Where /proc/sys is read-only (a container) a value that is already right is no error.
  if (current == value) return;
  write_knob(path, value);
}

}  // namespace pot::net
