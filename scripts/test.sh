#!/bin/sh
# The whole test suite, tier by tier; CI (.ci/run) runs exactly this. docs/ci.md says what each
# tier proves and how long it takes here.
#
#   lint       clang-format and clang-tidy over the sources: any finding fails
#   debug      the AddressSanitizer and UBSan build, warnings as errors: every unit and
#              integration test (the latter need root), the fault-injection sweep sampled
#   tsan       the ThreadSanitizer build: the tests of the parts that run threads
#   fuzz       the libFuzzer build (clang-14): each fuzzer over its corpus and its past
#              crashes, then a short run of each
#   cgroup-v2  Debian's kernel booted under qemu with only cgroup2: the cgroup, limits and
#              start tests inside
#
# Usage: scripts/test.sh [--full] [TIER...]   (no tier: all of them, in the order above)
#   --full  the whole fault-injection sweep, and 5 minutes per fuzzer and share (about an
#           hour more, not for CI)
# With POT_CI=1 (.ci/run sets it) a test that lacks root, a kernel feature or a tool fails
# instead of skipping.
set -eu
cd "$(dirname "$0")/.."

all_tiers="lint debug tsan fuzz cgroup-v2"
tiers=""
for arg in "$@"; do
  case "$arg" in
    --full) export POT_FAULT_FULL=1 POT_FUZZ_SECONDS=300 ;;
    lint | debug | tsan | fuzz | cgroup-v2) tiers="$tiers $arg" ;;
    *)
      echo "test.sh: unknown argument '$arg' (tiers: $all_tiers; option: --full)" >&2
      exit 2
      ;;
  esac
done
[ -n "$tiers" ] || tiers=$all_tiers

jobs=$(nproc)

# Each tier is one && chain: a tier runs under `if`, where set -e does not stop at a failure.
tier_lint() {
  ./scripts/lint.sh
}

tier_debug() {
  cmake --preset debug >/dev/null &&
    cmake --build build/debug &&
    ctest --preset debug
}

tier_tsan() {
  cmake --preset tsan >/dev/null &&
    cmake --build build/tsan --target pot_unit_tests &&
    ctest --preset tsan -j "$jobs"
}

tier_fuzz() {
  cmake --preset fuzz -DPOT_FUZZ_SECONDS="${POT_FUZZ_SECONDS:-20}" >/dev/null &&
    cmake --build build/fuzz --target fuzzers &&
    ctest --preset fuzz -j "$jobs"
}

tier_cgroup_v2() {
  # The guest runs the debug build's test binaries.
  { [ -x build/debug/tests/integration/pot_integration_tests ] || tier_debug; } &&
    ./tests/vm/run.sh build/debug
}

./scripts/install-deps.sh
summary=""
failed=0
for tier in $tiers; do
  echo "=== test.sh: tier $tier"
  start=$(date +%s)
  status=0
  # Under `if`, a failed tier is reported and counted, and the next tier still runs.
  if ! "tier_$(echo "$tier" | tr - _)"; then status=1; fi
  seconds=$(($(date +%s) - start))
  result=passed
  if [ "$status" -ne 0 ]; then
    result=FAILED
    failed=$((failed + 1))
  fi
  summary="$summary$(printf '  %-10s %-7s %5d s' "$tier" "$result" "$seconds")
"
done

echo "=== test.sh: summary"
printf '%s' "$summary"
if [ "$failed" -ne 0 ]; then
  echo "test.sh: $failed tier(s) failed" >&2
  exit 1
fi
