// nomad-pot-driver: Nomad's task driver for pots. Nomad's client runs it from its
// plugin_dir (go_plugin.h says how); run by hand it says so and exits 1.
#include <cstdio>

#include "nomad/go_plugin.h"

int main() {
  std::string problem = pot::nomad::check_plugin_environment();
  if (!problem.empty()) {
    std::fprintf(stderr, "%s\n", problem.c_str());
    return 1;
  }
  return pot::nomad::serve_plugin();
}
