// `pot`: the jail manager's command line. Thin over src/pot/: parse, dispatch, turn errors
// into one line on stderr and the original's exit codes.
#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "core/error.h"
#include "core/settings.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    pot::Context ctx(pot::Settings::load());
    return pot::dispatch(ctx, args);
  } catch (const pot::Error& e) {
    std::cout.flush();
    std::fprintf(stderr, "pot: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::cout.flush();
    std::fprintf(stderr, "pot: %s\n", e.what());
    return 1;
  }
}
