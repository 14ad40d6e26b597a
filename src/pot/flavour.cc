#include "pot/flavour.h"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "core/error.h"
#include "core/file_util.h"
#include "pot/lifecycle.h"
#include "pot/pot_files.h"

namespace pot {

bool is_flavour_command(const std::string& command) {
  for (const char* allowed : {"set-cmd", "set-env", "set-attr", "set-attribute", "set-rss",
                              "copy-in", "mount-in", "export-ports", "add-dep"}) {
    if (command == allowed) return true;
  }
  return false;
}

Flavour find_flavour(const Settings& settings, const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name.front() == '.')
    throw Error("invalid flavour name " + quote_name(name));
  Flavour flavour{name, std::nullopt, std::nullopt};
  for (const fs::path& dir : {fs::current_path(), settings.flavour_dir}) {
    if (!flavour.commands && fs::is_regular_file(dir / name)) flavour.commands = dir / name;
    if (!flavour.script && fs::is_regular_file(dir / (name + ".sh")))
      flavour.script = dir / (name + ".sh");
  }
  if (!flavour.commands && !flavour.script)
    throw Error("flavour " + quote_name(name) + " not found in ./ or " +
                quote_name(settings.flavour_dir.string()));
  return flavour;
}

void apply_flavour(Context& ctx, const std::string& pot, const Flavour& flavour,
                   const FlavourCommandRunner& run_command) {
  if (flavour.commands) {
    std::istringstream lines(read_file(*flavour.commands));
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
      ++number;
      size_t first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;  // blank or comment
      line = line.substr(first);
      std::string where = "flavour " + quote_name(flavour.name) + " line " + std::to_string(number);
      std::vector<std::string> argv;
      if (line.rfind("set-cmd -c ", 0) == 0) {
        argv = {"set-cmd", "-c", line.substr(11)};  // the rest of the line is the command, verbatim
      } else if (auto words = split_quoted_words(line)) {
        argv = *words;
      } else {
        throw Error(where + ": unbalanced quotes");
      }
      if (!is_flavour_command(argv[0]))
        throw Error(where + ": " + quote_name(line) + " is not a command a flavour may run");
      argv.push_back("-p");
      argv.push_back(pot);
      with_context(where, [&] { run_command(argv); });
    }
  }
  if (flavour.script) {
    std::string inside = "/tmp/pot-flavour-" + flavour.name + ".sh";
    copy_into_pot(ctx, pot, flavour.script->string(), inside, /*create_parents=*/true,
                  /*allow_running=*/false);
    int code;
    try {
      code = run_pot_once(ctx, pot, {"/bin/sh", inside, pot});
    } catch (...) {
      remove_from_pot(ctx, pot, inside);
      throw;
    }
    remove_from_pot(ctx, pot, inside);
    if (code != 0)
      throw Error("flavour script " + quote_name(flavour.script->string()) + " failed with code " +
                  std::to_string(code));
  }
}

}  // namespace pot
