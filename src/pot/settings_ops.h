// The pot commands that change or read a pot's configuration (pot.conf, fscomp.conf) and
// its resource usage. Each validates its input before writing anything.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pot/context.h"
#include "runtime/cgroup_stats.h"

namespace pot {

void set_cmd(Context& ctx, const std::string& pot, const std::string& command);
// The command line set-cmd stores (one pair of surrounding quotes stripped), or an Error.
std::string checked_command(const std::string& command);
// pot.user: the user the pot's command (and `pot exec`) runs as, looked up in the pot's own
// /etc/passwd at start; "" removes it (root).
void set_user(Context& ctx, const std::string& pot, const std::string& user);
void set_env(Context& ctx, const std::string& pot, const std::vector<std::string>& vars);
void set_hosts(Context& ctx, const std::string& pot, const std::vector<std::string>& entries);
void set_attr(Context& ctx, const std::string& pot, const std::string& attr,
              const std::string& value);
std::string get_attr(Context& ctx, const std::string& pot, const std::string& attr);
void add_dep(Context& ctx, const std::string& pot, const std::string& dependency);

struct RssOptions {
  std::optional<std::string> memory;
  std::optional<std::string> cpus;
  std::optional<std::string> pids;
  std::optional<std::string> cpu_shares;          // pot.rss.cpu_shares, 2..262144
  std::optional<std::string> memory_reservation;  // pot.rss.memory_reservation, a size
};
void set_rss(Context& ctx, const std::string& pot, const RssOptions& options);
// The original's JSON: {"ResourceUsage":{"MemoryStats":{...},"CpuStats":{...}}}
std::string get_rss_json(Context& ctx, const std::string& pot);
// A running pot's usage in detail, from its cgroup (the driver's TaskStats); throws Error
// when the pot does not run.
CgroupStats pot_resource_stats(Context& ctx, const std::string& pot);

void mount_in(Context& ctx, const std::string& pot, const std::string& host_dir,
              const std::string& mount_point, bool read_only);
void mount_out(Context& ctx, const std::string& pot, const std::string& mount_point);

std::string last_run_stats(Context& ctx, const std::string& pot);

}  // namespace pot
