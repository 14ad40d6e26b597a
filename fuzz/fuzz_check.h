// The fuzz targets' invariant check: on violation, says which one on stderr and aborts, which
// libFuzzer reports as a crash and saves the input of (a plain assert would vanish in a
// release build; __builtin_trap would say nothing).
#pragma once

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(condition)                                                                  \
  do {                                                                                         \
    if (!(condition)) {                                                                        \
      std::fprintf(stderr, "%s:%d: invariant violated: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                            \
    }                                                                                          \
  } while (0)
