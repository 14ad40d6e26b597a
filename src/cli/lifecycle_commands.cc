// start, stop, exec, term, signal: commands on a pot's processes.
#include <unistd.h>

#include <iostream>

#include "cli/command.h"
#include "cli/options.h"
#include "core/error.h"
#include "core/number.h"
#include "core/process.h"
#include "core/size.h"
#include "pot/lifecycle.h"

namespace pot {
namespace {

// -N MAX_FILES and -Z MAX_FILE_SIZE: the task's output in numbered files (either one is
// enough; the other keeps Nomad's default).
std::optional<NumberedLogLimits> numbered_log_limits(const Options& o) {
  if (!o.has('N') && !o.has('Z')) return std::nullopt;
  NumberedLogLimits limits;
  if (auto files = o.get('N')) {
    uint64_t n = parse_unsigned(*files, "-N MAX_FILES");
    if (n < 1 || n > 10000)
      throw Error("pot start: -N MAX_FILES `" + *files + "` is not in 1..10000");
    limits.max_files = static_cast<int>(n);
  }
  if (auto size = o.get('Z')) {
    limits.max_file_bytes =
        with_context("pot start: -Z MAX_FILE_SIZE", [&] { return parse_size(*size); });
    if (limits.max_file_bytes == 0) throw Error("pot start: -Z MAX_FILE_SIZE must be more than 0");
  }
  return limits;
}

int cmd_start(Invocation& inv) {
  Options o = Options::parse(inv.name, "vp:O:E:N:Z:", inv.args);
  std::optional<NumberedLogLimits> numbered = numbered_log_limits(o);
  if (!o.has('O') && !o.has('E')) {
    if (numbered)
      throw Error("pot start: -N and -Z number the files of -O and -E, which are missing");
    return start_pot(inv.ctx, o.pot());
  }
  // A task (the Nomad driver's, potd's): detached, ending with its command, output to two
  // files or FIFOs, or to two sets of numbered files.
  if (!o.has('O') || !o.has('E'))
    throw Error("pot start: -O STDOUT_PATH and -E STDERR_PATH go together");
  start_pot_detached(inv.ctx, o.pot(), TaskOutput{*o.get('O'), *o.get('E'), numbered});
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
          {"start",
           "[-O STDOUT_PATH -E STDERR_PATH [-N MAX_FILES] [-Z MAX_FILE_SIZE]] NAME | -p NAME",
           "start a pot (-O/-E: as a task, in the background, until its command ends; "
           "-N/-Z: into numbered files PATH.0, PATH.1, ...)",
           cmd_start},
          {"stop", "NAME | -p NAME", "stop a pot", cmd_stop},
          {"exec", "-p NAME [-e VAR=value]... CMD [ARG]...", "run a command in a running pot",
           cmd_exec},
          {"term", "NAME | -p NAME", "open a shell in a running pot", cmd_term},
          {"signal", "-p NAME [-s SIGNAL]", "send a signal (default TERM) to a pot's command",
           cmd_signal},
      });
}

}  // namespace pot
