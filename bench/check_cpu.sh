#!/bin/sh
# CPU of the check scheduler: 100 tcp checks at 1 s for 30 s (bench/check_cpu.cc). No root.
#   bench/check_cpu.sh [BUILD_DIR=build/release] [SECONDS=30] [CHECKS=100]
set -eu
build=${1:-build/release}
exec "$build/bench/check_cpu" "${2:-30}" "${3:-100}"
