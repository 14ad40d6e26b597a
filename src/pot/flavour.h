// Flavours: `pot create -f NAME` looks in ./ and POT_FLAVOUR_DIR for a file NAME of pot
// commands (one a line, the original's allowed set) and/or a script NAME.sh, which runs
// inside the pot with the pot's name as $1.
#pragma once

#include <optional>
#include <string>

#include "pot/context.h"
#include "pot/pots.h"

namespace pot {

struct Flavour {
  std::string name;
  std::optional<fs::path> commands;
  std::optional<fs::path> script;
};

Flavour find_flavour(const Settings& settings, const std::string& name);
void apply_flavour(Context& ctx, const std::string& pot, const Flavour& flavour,
                   const FlavourCommandRunner& run_command);
bool is_flavour_command(const std::string& command);

}  // namespace pot
