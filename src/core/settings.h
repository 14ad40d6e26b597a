// Global settings: the original pot's POT_* keys, read from /etc/pot/pot.conf (sh-style
// KEY=VALUE lines) and overridden by environment variables of the same names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

namespace pot {

namespace fs = std::filesystem;

struct Settings {
  fs::path fs_root = "/opt/pot";       // POT_FS_ROOT
  std::string storage = "btrfs";       // POT_STORAGE: btrfs | dir (Linux)
  std::string platform;                // POT_PLATFORM: linux | freebsd (empty: the host's kernel)
  std::string zfs_root = "zroot/pot";  // POT_ZFS_ROOT: the dataset mounted at POT_FS_ROOT (FreeBSD)
  fs::path cache_pot = "/var/cache/pot";  // POT_CACHE: FreeBSD releases' base.txz (FreeBSD)
  uint64_t pool_size = 4ULL << 30;        // POT_POOL_SIZE: size of the btrfs image `pot init` makes
  fs::path flavour_dir = "/usr/local/etc/pot/flavours";  // POT_FLAVOUR_DIR
  std::string network = "10.192.0.0/10";                 // POT_NETWORK
  std::string gateway = "10.192.0.1";                    // POT_GATEWAY
  std::string extif;                                     // POT_EXTIF (default: the default route's)
  std::string network6;  // POT_NETWORK6: IPv6 for bridge pots when set, e.g. fd00:504f:5400::/64
  std::string dns_ip;    // POT_DNS_IP: the nameserver of pots with pot.dns=pot
  // POT_DEFAULT_SIGNATURE_PUBKEY: a public key file; when set, import refuses images not
  // signed by it (-C overrides it).
  fs::path signature_pubkey;
  std::string cgroup = "auto";    // POT_CGROUP: auto | v1 | v2
  int stop_timeout_seconds = 10;  // POT_STOP_TIMEOUT: SIGTERM, then SIGKILL after this
  // A persistent pot's output goes to run/<pot>.log, rotated when it reaches POT_LOG_MAX_SIZE
  // into <pot>.log.1 .. <pot>.log.N-1, POT_LOG_MAX_FILES files in all (Nomad's defaults).
  uint64_t log_max_bytes = 10ULL << 20;  // POT_LOG_MAX_SIZE
  int log_max_files = 10;                // POT_LOG_MAX_FILES

  // Reads `config_file` (missing is fine), then the environment.
  static Settings load(const fs::path& config_file = "/etc/pot/pot.conf");
  // Applies KEY=VALUE pairs; unknown POT_* keys are kept for later layers.
  void apply(const std::map<std::string, std::string>& values);

  fs::path bases_dir() const { return fs_root / "bases"; }
  fs::path jails_dir() const { return fs_root / "jails"; }
  fs::path cache_dir() const { return fs_root / "cache"; }
  fs::path bridges_dir() const { return fs_root / "bridges"; }
  // Runtime state (status, pids, locks): apart from configuration, inside this root.
  fs::path run_dir() const { return fs_root / "run"; }

  fs::path base_path(const std::string& base) const { return bases_dir() / base; }
  fs::path jail_dir(const std::string& pot) const { return jails_dir() / pot; }
  fs::path conf_path(const std::string& pot) const { return jail_dir(pot) / "conf" / "pot.conf"; }
  fs::path root_path(const std::string& pot) const { return jail_dir(pot) / "m"; }

  // A short stable tag for this root, so two roots never share cgroup or lock names.
  std::string root_tag() const;

  std::map<std::string, std::string> extra;  // other POT_* keys, as read
};

// Parses sh-style `KEY=VALUE` lines: comments, blank lines, `export`, single or double quotes.
std::map<std::string, std::string> parse_shell_assignments(const std::string& text);

}  // namespace pot
