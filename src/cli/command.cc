#include "cli/command.h"

#include <algorithm>
#include <iostream>

#include "core/error.h"

namespace pot {
namespace {

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// Summaries start in one column, two spaces after the longest name, so no name is cut.
void print_help() {
  size_t longest = 0;
  for (const auto& command : command_table()) longest = std::max(longest, command.name.size());
  std::string indent(2 + longest + 2, ' ');
  std::cout << "usage: pot COMMAND [FLAGS]\n\ncommands:\n";
  for (const auto& command : command_table()) {
    std::string line = "  " + command.name;
    line.resize(indent.size(), ' ');
    std::cout << line << command.summary << "\n";
    if (!command.usage.empty()) std::cout << indent << command.usage << "\n";
  }
}

}  // namespace

const std::vector<Command>& command_table() {
  static const std::vector<Command> table = [] {
    std::vector<Command> t;
    register_pot_commands(t);
    register_lifecycle_commands(t);
    register_config_commands(t);
    register_network_commands(t);
    register_image_commands(t);
    return t;
  }();
  return table;
}

int dispatch(Context& ctx, const std::vector<std::string>& argv) {
  if (argv.empty() || argv[0] == "help" || argv[0] == "-h" || argv[0] == "--help") {
    print_help();
    return argv.empty() ? 1 : 0;
  }
  if (argv[0] == "version" || argv[0] == "--version") {
    std::cout << "pot 0.1.0\n";
    return 0;
  }
  const auto& table = command_table();
  auto it =
      std::find_if(table.begin(), table.end(), [&](const Command& c) { return c.name == argv[0]; });
  if (it == table.end()) {
    std::string best;
    size_t best_distance = 3;
    for (const auto& command : table) {
      size_t d = edit_distance(argv[0], command.name);
      if (d < best_distance) {
        best_distance = d;
        best = command.name;
      }
    }
    throw Error("unknown command " + quote_name(argv[0]) +
                (best.empty() ? "" : ", did you mean " + quote_name(best) + "?"));
  }
  Invocation invocation{argv[0], std::vector<std::string>(argv.begin() + 1, argv.end()), ctx};
  for (const auto& arg : invocation.args) {
    if (arg == "-h" && it->name != "exec") {
      std::cout << "usage: pot " << it->name << " " << it->usage << "\n  " << it->summary << "\n";
      return 0;
    }
  }
  return it->run(invocation);
}

}  // namespace pot
