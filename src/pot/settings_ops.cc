#include "pot/settings_ops.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "core/error.h"
#include "core/file_util.h"
#include "core/names.h"
#include "core/size.h"
#include "pot/lifecycle.h"
#include "pot/mounts_conf.h"
#include "pot/run_state.h"
#include "runtime/pot_user.h"

namespace pot {
namespace {

// Loads, changes and saves pot.conf under the pot's lock.
template <typename Fn>
void update_conf(Context& ctx, const std::string& pot, Fn&& change) {
  ctx.require_pot(pot);
  FileLock lock = lock_pot(ctx.settings(), pot);
  PotConf conf = ctx.load_conf(pot);
  change(conf);
  ctx.save_conf(pot, conf);
}

uint64_t parse_count(const std::string& what, const std::string& text, uint64_t max) {
  char* end = nullptr;
  errno = 0;
  unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (text.empty() || text[0] == '-' || *end != '\0' || errno != 0 || value == 0 || value > max)
    throw Error("invalid " + what + " " + quote_name(text) + ": expected a number from 1 to " +
                std::to_string(max));
  return value;
}

bool is_ip_address(const std::string& text) {
  unsigned char buf[16];
  return ::inet_pton(AF_INET, text.c_str(), buf) == 1 ||
         ::inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool is_attr(const std::string& name) {
  for (const auto& attr : known_attrs()) {
    if (attr.name == name) return true;
  }
  return name == "to-be-pruned";
}

}  // namespace

std::string checked_command(const std::string& command) {
  std::string cmd = command;
  // The original strips one pair of surrounding quotes a flavour line may carry.
  if (cmd.size() >= 2 && cmd.front() == '"' && cmd.back() == '"')
    cmd = cmd.substr(1, cmd.size() - 2);
  if (cmd.empty()) throw Error("pot set-cmd: the command is empty");
  if (cmd.find('\n') != std::string::npos) throw Error("pot set-cmd: the command must be one line");
  return cmd;
}

void set_cmd(Context& ctx, const std::string& pot, const std::string& command) {
  std::string cmd = checked_command(command);
  update_conf(ctx, pot, [&](PotConf& conf) { conf.set("pot.cmd", cmd); });
}

void set_user(Context& ctx, const std::string& pot, const std::string& user) {
  if (!user.empty()) parse_user_spec(user);
  update_conf(ctx, pot, [&](PotConf& conf) {
    if (user.empty()) {
      conf.remove("pot.user");
    } else {
      conf.set("pot.user", user);
    }
  });
}

void set_env(Context& ctx, const std::string& pot, const std::vector<std::string>& vars) {
  for (const auto& var : vars) {
    size_t eq = var.find('=');
    if (eq == std::string::npos || eq == 0 || var.find('\n') != std::string::npos)
      throw Error("invalid environment variable " + quote_name(var) + ": expected VAR=value");
  }
  update_conf(ctx, pot, [&](PotConf& conf) {
    conf.remove("pot.env");
    for (const auto& var : vars) conf.add("pot.env", var);
  });
}

void set_hosts(Context& ctx, const std::string& pot, const std::vector<std::string>& entries) {
  std::vector<std::string> lines;
  for (const auto& entry : entries) {
    size_t colon = entry.find(':');
    std::string host = entry.substr(0, colon);
    std::string ip = colon == std::string::npos ? "" : entry.substr(colon + 1);
    if (host.empty() || !is_valid_name(host) || !is_ip_address(ip))
      throw Error("invalid host entry " + quote_name(entry) + ": expected HOSTNAME:IP");
    lines.push_back(ip + " " + host);
  }
  update_conf(ctx, pot, [&](PotConf& conf) {
    conf.remove("pot.hosts");
    for (const auto& line : lines) conf.add("pot.hosts", line);
  });
}

void set_attr(Context& ctx, const std::string& pot, const std::string& attr,
              const std::string& value) {
  if (!is_attr(attr) || attr == "to-be-pruned")
    throw Error(quote_name(attr) + " is not a valid attribute");
  bool flag = with_context("attribute " + quote_name(attr), [&] { return parse_bool(value); });
  update_conf(ctx, pot, [&](PotConf& conf) { conf.set_attr(attr, flag); });
}

std::string get_attr(Context& ctx, const std::string& pot, const std::string& attr) {
  if (!is_attr(attr)) throw Error(quote_name(attr) + " is not a valid attribute");
  ctx.require_pot(pot);
  bool fallback = false;
  for (const auto& known : known_attrs()) {
    if (known.name == attr) fallback = known.default_value;
  }
  return ctx.load_conf(pot).attr(attr, fallback) ? "YES" : "NO";
}

void add_dep(Context& ctx, const std::string& pot, const std::string& dependency) {
  ctx.require_pot(dependency);
  if (dependency == pot) throw Error("pot " + quote_name(pot) + " cannot depend on itself");
  update_conf(ctx, pot, [&](PotConf& conf) {
    conf.remove_value("pot.depend", dependency);
    conf.add("pot.depend", dependency);
  });
}

void set_rss(Context& ctx, const std::string& pot, const RssOptions& options) {
  if (!options.memory && !options.cpus && !options.pids && !options.cpu_shares &&
      !options.memory_reservation)
    throw Error(
        "pot set-rss: give at least one of -M MEMORY, -C CPUS, -P PIDS, -S SHARES, -R SIZE");
  auto memory_size = [](const char* what, const std::string& text) {
    uint64_t bytes = parse_size(text);
    if (bytes < (1U << 20))
      throw Error("invalid " + std::string(what) + " " + quote_name(text) + ": at least 1M");
  };
  if (options.memory) memory_size("memory limit", *options.memory);
  if (options.memory_reservation) memory_size("memory reservation", *options.memory_reservation);
  if (options.cpus) parse_count("CPU count", *options.cpus, 4096);
  if (options.pids) parse_count("process limit", *options.pids, 4194304);
  if (options.cpu_shares && parse_count("CPU shares", *options.cpu_shares, 262144) < 2)
    throw Error("invalid CPU shares " + quote_name(*options.cpu_shares) +
                ": expected a number from 2 to 262144");
  update_conf(ctx, pot, [&](PotConf& conf) {
    if (options.memory) conf.set("pot.rss.memory", *options.memory);
    if (options.cpus) conf.set("pot.rss.cpus", *options.cpus);
    if (options.pids) conf.set("pot.rss.pids", *options.pids);
    if (options.cpu_shares) conf.set("pot.rss.cpu_shares", *options.cpu_shares);
    if (options.memory_reservation)
      conf.set("pot.rss.memory_reservation", *options.memory_reservation);
  });
}

CgroupStats pot_resource_stats(Context& ctx, const std::string& pot) {
  RunState state = require_running(ctx, pot);
  return ctx.runtime().stats(jail_handle(ctx, pot, state));
}

std::string get_rss_json(Context& ctx, const std::string& pot) {
  RunState state = require_running(ctx, pot);
  JailHandle jail = jail_handle(ctx, pot, state);
  // CPU percent is measured over a short window, as `ps` would report it.
  CgroupStats before = ctx.runtime().stats(jail);
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CgroupStats after = ctx.runtime().stats(jail);
  double wall_ns = static_cast<double>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count());
  double percent =
      100.0 *
      static_cast<double>(after.cpu_total_ns.value_or(0) - before.cpu_total_ns.value_or(0)) /
      wall_ns;
  // TotalTicks as the original computes it: the clock rate (MHz) times the share used.
  double mhz = 0;
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      mhz = std::strtod(line.substr(line.find(':') + 1).c_str(), nullptr);
      break;
    }
  }
  char json[512];
  std::snprintf(json, sizeof json,
                "{\"ResourceUsage\":{\"MemoryStats\":{\"RSS\":%llu,\"Swap\":%llu},"
                "\"CpuStats\":{\"TotalTicks\":%.3f,\"Percent\":%.3f}}}",
                static_cast<unsigned long long>(after.memory_rss.value_or(0)),
                static_cast<unsigned long long>(after.memory_swap.value_or(0)),
                mhz * percent / 100.0, percent);
  return json;
}

void mount_in(Context& ctx, const std::string& pot, const std::string& host_dir,
              const std::string& mount_point, bool read_only) {
  ctx.require_pot(pot);
  if (host_dir.empty() || host_dir.front() != '/')
    throw Error("mount-in source " + quote_name(host_dir) + ": must be an absolute host path");
  if (::access(host_dir.c_str(), F_OK) != 0) throw_sys("mount-in source " + quote_name(host_dir));
  if (mount_point.empty() || mount_point.front() != '/' || mount_point == "/" ||
      mount_point.find_first_of(" \t\n") != std::string::npos ||
      mount_point.find("/../") != std::string::npos ||
      (mount_point.size() >= 3 && mount_point.substr(mount_point.size() - 3) == "/.."))
    throw Error("mount-in mount point " + quote_name(mount_point) +
                ": must be an absolute path in the pot, not /");
  if (host_dir.find_first_of(" \t\n") != std::string::npos)
    throw Error("mount-in source " + quote_name(host_dir) + ": must not contain white space");
  FileLock lock = lock_pot(ctx.settings(), pot);
  auto mounts = load_mounts(ctx.settings(), pot);
  for (const auto& mount : mounts) {
    if (mount.pot_path == mount_point)
      throw Error("mount point " + quote_name(mount_point) + " is already used");
  }
  mounts.push_back({fs::canonical(host_dir).string(), mount_point, read_only});
  save_mounts(ctx.settings(), pot, mounts);
}

void mount_out(Context& ctx, const std::string& pot, const std::string& mount_point) {
  ctx.require_pot(pot);
  FileLock lock = lock_pot(ctx.settings(), pot);
  auto mounts = load_mounts(ctx.settings(), pot);
  auto size = mounts.size();
  std::erase_if(mounts, [&](const BindMount& m) { return m.pot_path == mount_point; });
  if (mounts.size() == size)
    throw Error("nothing is mounted on " + quote_name(mount_point) + " in pot " + quote_name(pot));
  save_mounts(ctx.settings(), pot, mounts);
}

std::string last_run_stats(Context& ctx, const std::string& pot) {
  ctx.require_pot(pot);
  auto text = read_file_if_exists(ctx.settings().jail_dir(pot) / "conf" / ".last_run_stats");
  if (!text) return "{}";
  while (!text->empty() && text->back() == '\n') text->pop_back();
  return *text;
}

}  // namespace pot
