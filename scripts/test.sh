#!/bin/sh
# The whole test suite: dependencies, a debug build with AddressSanitizer and UBSan, the
# format check, then every unit and integration test (the latter need root).
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/lint.sh --format-only
cmake --preset debug >/dev/null
cmake --build build/debug
ctest --preset debug --output-on-failure "$@"
