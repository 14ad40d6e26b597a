// Everything the runtime needs to bring up one pot, decided by the layers above: which root,
// which namespaces, which mounts, which command, which limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pot {

struct BindMount {
  std::string host_path;  // a host directory or file
  std::string pot_path;   // absolute, inside the pot
  bool read_only = false;
};

struct OverlayRoot {
  std::string lower;  // the base, never written
  std::string upper;  // the pot's own changes
  std::string work;   // overlayfs scratch, same filesystem as upper
};

// The range of cpu_shares: cgroup v1 cpu.shares, which the kernel clamps to it.
inline constexpr uint64_t kMinCpuShares = 2;
inline constexpr uint64_t kMaxCpuShares = 262144;

struct ResourceLimits {
  std::optional<uint64_t> memory_bytes;
  std::optional<uint64_t> cpus;  // whole CPUs, as the original's pot.rss.cpus
  std::optional<uint64_t> pids;
  // Relative CPU weight as cgroup v1 cpu.shares (2..262144, 1024 the kernel's default);
  // Nomad's cpu_shares. v2 gets the same share of cpu.weight (cpu_weight_from_shares).
  std::optional<uint64_t> cpu_shares;
  // Memory the pot keeps under pressure before others are reclaimed (v2 memory.low, v1
  // memory.soft_limit_in_bytes); Nomad's memory_mb beside a larger memory_max_mb.
  std::optional<uint64_t> memory_reservation_bytes;
};

enum class NetworkMode { kIsolated, kInherit };

struct JailSpec {
  std::string name;
  std::string hostname;
  std::string root;                    // host path of the pot's root directory (mount point)
  std::optional<OverlayRoot> overlay;  // set for multi pots: root is mounted from these
  std::vector<BindMount> mounts;
  NetworkMode network = NetworkMode::kIsolated;
  std::vector<std::string> argv;  // the command, run as the child of the pot's init
  std::vector<std::string> env;   // VAR=value
  std::string cgroup_name;        // relative group path, e.g. pot-1a2b3c4d/web
  ResourceLimits limits;
  std::string workdir = "/";
  // pot.user: the command runs as this user of the pot (NAME, UID, NAME:GROUP, UID:GID),
  // looked up in the pot's own /etc/passwd when it starts (pot_user.h); init stays root.
  std::optional<std::string> user;
  bool persistent = true;  // the pot stays up after its command ends, until stopped
  // Written to the pot's /etc/hosts at start, after localhost and the pot's own name.
  std::vector<std::string> extra_hosts;
  // Written to the pot's /etc/resolv.conf at start when set (pot.dns).
  std::optional<std::string> resolv_conf;

  // What only jail(8) needs (the FreeBSD runtime); Linux reads none of it.
  struct FreeBsd {
    std::string vnet_interface;                   // vnet: the epair side the jail takes
    std::vector<std::string> ip4_addresses;       // alias: "IF|IP" for ip4.addr
    std::vector<std::string> ip6_addresses;       // alias: "IF|IP" for ip6.addr
    std::vector<std::string> enabled_attributes;  // pot.attr.* set to YES (mount, mlock, ...)
    std::string osrelease;                        // osrelease from pot.conf, if any
    bool tmpfs = true;                            // /tmp as tmpfs unless no-tmpfs
    // fscomp.conf lines of the original's multi pots: "DATASET-OR-DIR MOUNTPOINT [ro|zfs-remount]".
    std::vector<std::string> fscomp;
  } freebsd;
};

// The mount(2) data of an overlay root: lowerdir=...,upperdir=...,workdir=...
std::string overlay_mount_options(const OverlayRoot& overlay);

// The environment every pot command starts with, before pot.env and -e.
std::vector<std::string> default_pot_env(const std::string& hostname);

// Splits a command line as sh would for simple words and quotes; a line that needs a real
// shell (pipes, redirections, variables, globs, ...) becomes `/bin/sh -c LINE`.
std::vector<std::string> command_to_argv(const std::string& line);
// Words and quotes only, every other character literal (pot command lines in a flavour);
// nullopt for an unbalanced quote.
std::optional<std::vector<std::string>> split_quoted_words(const std::string& line);

}  // namespace pot
