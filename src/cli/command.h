// The `pot` command table: every subcommand is one row {name, summary, handler}; a group of
// related subcommands lives in one file and adds its rows with a register_* function.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "pot/context.h"

namespace pot {

struct Invocation {
  std::string name;               // the subcommand as typed
  std::vector<std::string> args;  // what follows it
  Context& ctx;
};

struct Command {
  std::string name;
  std::string usage;  // flags, as `pot help` shows them
  std::string summary;
  std::function<int(Invocation&)> run;
};

void register_pot_commands(std::vector<Command>& table);
void register_lifecycle_commands(std::vector<Command>& table);
void register_config_commands(std::vector<Command>& table);
void register_network_commands(std::vector<Command>& table);
void register_image_commands(std::vector<Command>& table);

const std::vector<Command>& command_table();
// Runs `pot <argv...>` as the CLI does (also for flavour lines); returns the exit code.
int dispatch(Context& ctx, const std::vector<std::string>& argv);

}  // namespace pot
