// `pot`: the jail manager's command line. Thin over src/pot/: parse, dispatch, turn errors
// into one line on stderr and the original's exit codes.
#include <fcntl.h>

#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "core/error.h"
#include "core/settings.h"

int main(int argc, char** argv) {
  // A closed stdin, stdout or stderr would be reused by the first file pot opens (a lock, a
  // log), and a monitor's redirection of 0-2 would then land on it: /dev/null in their place.
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0 && ::open("/dev/null", O_RDWR) != fd) return 125;
  }
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
