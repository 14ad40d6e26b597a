// start, stop, exec, term, signal: commands on a pot's processes.
#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/process.h"
#include "pot/lifecycle.h"

namespace pot {
namespace {

int cmd_start(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:O:E:", inv.args);
  if (!o.has('O') && !o.has('E')) return start_pot(inv.ctx, o.pot());
  // A task (the Nomad driver's): detached, ending with its command, output to two files.
  if (!o.has('O') || !o.has('E'))
    throw Error("pot start: -O STDOUT_PATH and -E STDERR_PATH go together");
  start_pot_detached(inv.ctx, o.pot(), TaskOutput{*o.get('O'), *o.get('E')});
  return 0;
}

int cmd_stop(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:", inv.args);
  stop_pot(inv.ctx, o.pot());
  return 0;
}

int cmd_exec(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:e:", inv.args);
  std::string name = o.require('p', "NAME");
  if (o.positional().empty())
    throw Error("pot exec: no command given (pot exec -p NAME CMD [ARG]...)");
  return exec_in_pot(inv.ctx, name, o.positional(), o.all('e'));
}

int cmd_term(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:", inv.args);
  std::string name = o.pot();
  if (::isatty(0) == 0) throw Error("pot term: standard input is not a terminal");
  return open_shell_in_pot(inv.ctx, name);
}

int cmd_signal(Invocation& inv) {
  Options o = Options::parse(inv.name, "vfp:s:", inv.args);
  std::string name = o.pot();
  int signal = parse_signal(o.get('s').value_or("TERM"));
  signal_pot(inv.ctx, name, signal);
  return 0;
}

}  // namespace

void register_lifecycle_commands(std::vector<Command>& table) {
  table.insert(
      table.end(),
      {
          {"start", "[-O STDOUT_PATH -E STDERR_PATH] NAME | -p NAME",
           "start a pot (-O/-E: as a task, in the background, until its command ends)", cmd_start},
          {"stop", "NAME | -p NAME", "stop a pot", cmd_stop},
          {"exec", "-p NAME [-e VAR=value]... CMD [ARG]...", "run a command in a running pot",
           cmd_exec},
          {"term", "NAME | -p NAME", "open a shell in a running pot", cmd_term},
          {"signal", "-p NAME [-s SIGNAL]", "send a signal (default TERM) to a pot's command",
           cmd_signal},
      });
}

}  // namespace pot
