// Commands that set and read a pot's configuration, limits and files.
#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "pot/network.h"
#include "pot/pot_files.h"
#include "pot/settings_ops.h"

namespace pot {
namespace {

int cmd_set_cmd(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:c:", inv.args);
  set_cmd(inv.ctx, o.require('p', "NAME"), o.require('c', "CMD"));
  return 0;
}

int cmd_set_user(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:u:", inv.args);
  auto user = o.get('u');  // "" is allowed: back to root
  if (!user) throw Error("pot set-user: -u USER is required");
  set_user(inv.ctx, o.require('p', "NAME"), *user);
  return 0;
}

int cmd_set_env(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:E:", inv.args);
  if (o.all('E').empty()) throw Error("pot set-env: -E VAR=value is required");
  set_env(inv.ctx, o.require('p', "NAME"), o.all('E'));
  return 0;
}

int cmd_set_hosts(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:H:", inv.args);
  if (o.all('H').empty()) throw Error("pot set-hosts: -H HOST:IP is required");
  set_hosts(inv.ctx, o.require('p', "NAME"), o.all('H'));
  return 0;
}

int cmd_set_attr(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:A:V:", inv.args);
  set_attr(inv.ctx, o.require('p', "NAME"), o.require('A', "ATTRIBUTE"), o.require('V', "VALUE"));
  return 0;
}

int cmd_get_attr(Invocation& inv) {
  Options o = Options::parse(inv.name, "vqp:A:", inv.args);
  std::string attr = o.require('A', "ATTRIBUTE");
  std::string value = get_attr(inv.ctx, o.require('p', "NAME"), attr);
  std::cout << (o.has('q') ? "" : attr + ": ") << value << '\n';
  return 0;
}

int cmd_add_dep(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:P:", inv.args);
  add_dep(inv.ctx, o.require('p', "NAME"), o.require('P', "DEPENDENCY"));
  return 0;
}

int cmd_export_ports(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:e:", inv.args);
  if (o.all('e').empty()) throw Error("pot export-ports: -e PORT is required");
  export_ports(inv.ctx, o.require('p', "NAME"), o.all('e'));
  return 0;
}

int cmd_set_rss(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:M:C:P:S:R:", inv.args);
  set_rss(inv.ctx, o.require('p', "NAME"),
          RssOptions{o.get('M'), o.get('C'), o.get('P'), o.get('S'), o.get('R')});
  return 0;
}

int cmd_get_rss(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:J", inv.args);
  std::cout << get_rss_json(inv.ctx, o.require('p', "NAME")) << '\n';
  return 0;
}

int cmd_copy_in(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:s:d:Fc", inv.args);
  copy_into_pot(inv.ctx, o.require('p', "NAME"), o.require('s', "SOURCE"),
                o.require('d', "DESTINATION"), o.has('c'), o.has('F'));
  return 0;
}

int cmd_mount_in(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:d:m:rw", inv.args);
  mount_in(inv.ctx, o.require('p', "NAME"), o.require('d', "DIR"), o.require('m', "MOUNTPOINT"),
           o.has('r'));
  return 0;
}

int cmd_mount_out(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:m:", inv.args);
  mount_out(inv.ctx, o.require('p', "NAME"), o.require('m', "MOUNTPOINT"));
  return 0;
}

int cmd_last_run_stats(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:", inv.args);
  std::cout << last_run_stats(inv.ctx, o.require('p', "NAME")) << '\n';
  return 0;
}

}  // namespace

void register_config_commands(std::vector<Command>& table) {
  table.insert(
      table.end(),
      {
          {"set-cmd", "-p NAME -c CMD", "set the pot's command", cmd_set_cmd},
          {"set-user", "-p NAME -u USER|UID[:GID]|\"\"",
           "run the pot's command as a user of the pot (\"\": as root)", cmd_set_user},
          {"set-env", "-p NAME -E VAR=value...", "set the pot's environment (replaces it)",
           cmd_set_env},
          {"set-hosts", "-p NAME -H HOST:IP...", "set extra /etc/hosts entries", cmd_set_hosts},
          {"set-attr", "-p NAME -A ATTR -V YES|NO", "set an attribute", cmd_set_attr},
          {"set-attribute", "-p NAME -A ATTR -V YES|NO", "set an attribute", cmd_set_attr},
          {"get-attr", "-p NAME -A ATTR [-q]", "show an attribute", cmd_get_attr},
          {"get-attribute", "-p NAME -A ATTR [-q]", "show an attribute", cmd_get_attr},
          {"add-dep", "-p NAME -P DEPENDENCY", "start DEPENDENCY before NAME", cmd_add_dep},
          {"export-ports", "-p NAME -e [tcp:|udp:]PORT[:HOSTPORT]...", "record ports to export",
           cmd_export_ports},
          {"set-rss", "-p NAME [-M MEMORY] [-C CPUS] [-P PIDS] [-S CPU_SHARES] [-R MEMORY]",
           "set resource limits (-S: relative CPU weight 2..262144, -R: memory reserved)",
           cmd_set_rss},
          {"get-rss", "-p NAME [-J]", "show resource usage of a running pot", cmd_get_rss},
          {"copy-in", "-p NAME -s SOURCE -d DESTINATION [-c] [-F]", "copy host files into a pot",
           cmd_copy_in},
          {"mount-in", "-p NAME -d DIR -m MOUNTPOINT [-r]", "bind-mount a host directory at start",
           cmd_mount_in},
          {"mount-out", "-p NAME -m MOUNTPOINT", "remove a mount-in", cmd_mount_out},
          {"last-run-stats", "-p NAME", "show the exit code of the last run", cmd_last_run_stats},
      });
}

}  // namespace pot
