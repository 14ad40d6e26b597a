#!/bin/bash
# What the VM tier runs inside the guest (pure cgroup v2, Debian's stock kernel). This is
# the one place that selects tests: add a suite to a filter below, or another `run_gtest`.
#
# Runs as root in the guest with POT_CI=1, in /sys/fs/cgroup/system.slice/pot-vm-tests.service;
# POT_VM_BUILD is the build tree on the host (read through 9p). Exits with the number of
# failed tests; a skipped test counts as failed here, since this tier exists to run them.
set -eu

# Unit tests about cgroups: the v1/v2 knob tables and group names.
UNIT_FILTER='Cgroup*'
# Integration tests: cgroup placement and cleanup, limits, and the start/stop life cycle.
# Lifecycle on btrfs only (the dir backend does not change what cgroups see), and without
# its storage-only tests (snapshots, clones) and its many-round stress tests (de-init x5,
# destroy x15), which alone took over 4 minutes under TCG.
INTEGRATION_FILTER='CgroupTest.*:CgroupV2Test.*:LimitsTest.*:Storage/LifecycleTest.*/btrfs'
INTEGRATION_FILTER+='-*Snapshot*:*Clone*:*DeInit*:*DestroyOfARunningPot*:*DependencyCycle*'

failed=0
passed=0
run_gtest() {
  local name=$1 binary=$2 filter=$3 out rc=0 ok bad skipped start
  out=/tmp/vm-$name.log
  start=$(date +%s)
  echo "=== $name: $binary --gtest_filter=$filter"
  "$binary" --gtest_filter="$filter" --gtest_color=no 2>&1 | tee "$out" || rc=$?
  # gtest's summary lines: "[  PASSED  ] 5 tests.", "[  FAILED  ] 1 test, listed below:".
  ok=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) tests\{0,1\}\..*/\1/p' "$out" | tail -n 1)
  bad=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) tests\{0,1\}, listed below.*/\1/p' "$out" | tail -n 1)
  skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) tests\{0,1\}, listed below.*/\1/p' "$out" | tail -n 1)
  ok=${ok:-0} bad=${bad:-0} skipped=${skipped:-0}
  if ! grep -q '^\[==========\] [0-9]* tests\{0,1\} from .* ran\.' "$out"; then
    echo "=== $name: no gtest summary (exit $rc): crashed or killed"
    bad=$((bad + 1))
  elif [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
    echo "=== $name: exit $rc with no failed test (sanitizer report or teardown failure?)"
    bad=1
  fi
  echo "=== $name: $ok passed, $bad failed, $skipped skipped in $(($(date +%s) - start))s"
  passed=$((passed + ok))
  failed=$((failed + bad + skipped))
}

echo "=== in cgroup $(cat /proc/self/cgroup), kernel $(uname -r)"
run_gtest unit "$POT_VM_BUILD/tests/pot_unit_tests" "$UNIT_FILTER"
run_gtest integration "$POT_VM_BUILD/tests/integration/pot_integration_tests" "$INTEGRATION_FILTER"

echo "POT-VM-TESTS: $passed passed, $failed failed or skipped"
[ "$failed" -le 100 ] || failed=100
exit "$failed"
