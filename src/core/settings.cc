#include "core/settings.h"

#include <cstdlib>
#include <string_view>

#include "core/error.h"
#include "core/file_util.h"
#include "core/number.h"
#include "core/size.h"

extern char** environ;

namespace pot {

static std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::map<std::string, std::string> parse_shell_assignments(const std::string& text) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, 7) == "export ") line = trim(line.substr(7));
    size_t eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string key(line.substr(0, eq));
    std::string_view value = line.substr(eq + 1);
    if (!value.empty() && (value.front() == '"' || value.front() == '\'')) {
      // A quoted value ends at its closing quote; only a comment may follow it.
      size_t close = value.find(value.front(), 1);
      if (close != std::string_view::npos) {
        std::string_view after = trim(value.substr(close + 1));
        if (after.empty() || after.front() == '#') value = value.substr(1, close - 1);
      }
    } else if (size_t hash = value.find(" #"); hash != std::string_view::npos) {
      value = trim(value.substr(0, hash));
    }
    out[key] = std::string(value);
  }
  return out;
}

void Settings::apply(const std::map<std::string, std::string>& values) {
  for (const auto& entry : values) {
    const std::string& key = entry.first;
    const std::string& value = entry.second;
    if (key == "POT_FS_ROOT") {
      if (value.empty() || value.front() != '/')
        throw Error("POT_FS_ROOT " + quote_name(value) + ": must be an absolute path");
      fs_root = fs::path(value).lexically_normal();
      // lexically_normal leaves `//` and `///` as they are: they are `/`, with the same tag.
      if (value.find_first_not_of('/') == std::string::npos) fs_root = "/";
      if (fs_root.has_filename() == false && fs_root != "/") fs_root = fs_root.parent_path();
    } else if (key == "POT_STORAGE") {
      if (value != "btrfs" && value != "dir")
        throw Error("POT_STORAGE " + quote_name(value) + ": must be btrfs or dir");
      storage = value;
    } else if (key == "POT_PLATFORM") {
      if (value != "linux" && value != "freebsd" && !value.empty())
        throw Error("POT_PLATFORM " + quote_name(value) + ": must be linux or freebsd");
      platform = value;
    } else if (key == "POT_ZFS_ROOT") {
      if (value.empty() || value.front() == '/' || value.back() == '/' ||
          value.find_first_of(" \t@#") != std::string::npos)
        throw Error("POT_ZFS_ROOT " + quote_name(value) +
                    ": must be a dataset name like zroot/pot");
      zfs_root = value;
    } else if (key == "POT_CACHE") {
      if (value.empty() || value.front() != '/')
        throw Error("POT_CACHE " + quote_name(value) + ": must be an absolute path");
      cache_pot = value;
    } else if (key == "POT_POOL_SIZE") {
      pool_size = with_context("POT_POOL_SIZE", [&] { return parse_size(value); });
    } else if (key == "POT_CGROUP") {
      if (value != "auto" && value != "v1" && value != "v2")
        throw Error("POT_CGROUP " + quote_name(value) + ": must be auto, v1 or v2");
      cgroup = value;
    } else if (key == "POT_FLAVOUR_DIR") {
      flavour_dir = value;
    } else if (key == "POT_NETWORK") {
      network = value;
    } else if (key == "POT_GATEWAY") {
      gateway = value;
    } else if (key == "POT_EXTIF") {
      extif = value;
    } else if (key == "POT_NETWORK6") {
      network6 = value;
    } else if (key == "POT_DNS_IP") {
      dns_ip = value;
    } else if (key == "POT_DEFAULT_SIGNATURE_PUBKEY") {
      signature_pubkey = value;
    } else if (key == "POT_STOP_TIMEOUT") {
      char* end = nullptr;
      long seconds = std::strtol(value.c_str(), &end, 10);
      if (value.empty() || *end != '\0' || seconds < 0 || seconds > 3600)
        throw Error("POT_STOP_TIMEOUT " + quote_name(value) + ": must be 0 to 3600 seconds");
      stop_timeout_seconds = static_cast<int>(seconds);
    } else if (key == "POT_LOG_MAX_SIZE") {
      log_max_bytes = with_context("POT_LOG_MAX_SIZE", [&] { return parse_size(value); });
      if (log_max_bytes < 4096)
        throw Error("POT_LOG_MAX_SIZE " + quote_name(value) + ": must be at least 4K");
    } else if (key == "POT_LOG_MAX_FILES") {
      auto files = to_unsigned(value);
      if (!files || *files < 1 || *files > 1000)
        throw Error("POT_LOG_MAX_FILES " + quote_name(value) + ": must be 1 to 1000");
      log_max_files = static_cast<int>(*files);
    } else {
      extra[key] = value;
    }
  }
}

Settings Settings::load(const fs::path& config_file) {
  Settings settings;
  if (auto text = read_file_if_exists(config_file)) {
    with_context(config_file.string(), [&] { settings.apply(parse_shell_assignments(*text)); });
  }
  std::map<std::string, std::string> from_env;
  for (char** env = environ; env != nullptr && *env != nullptr; ++env) {
    std::string_view entry(*env);
    if (entry.substr(0, 4) != "POT_") continue;
    size_t eq = entry.find('=');
    if (eq == std::string_view::npos) continue;
    from_env[std::string(entry.substr(0, eq))] = std::string(entry.substr(eq + 1));
  }
  with_context("environment", [&] { settings.apply(from_env); });
  return settings;
}

std::string Settings::root_tag() const {
  // FNV-1a of the root path: stable across runs, short enough for interface-like names.
  uint32_t hash = 2166136261U;
  for (unsigned char c : fs_root.string()) {
    hash ^= c;
    hash *= 16777619U;
  }
  static const char kHex[] = "0123456789abcdef";
  std::string tag(8, '0');
  for (int i = 7; i >= 0; --i, hash >>= 4) tag[static_cast<size_t>(i)] = kHex[hash & 0xf];
  return tag;
}

}  // namespace pot
