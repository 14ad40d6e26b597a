#!/bin/bash
# The VM tier: boots Debian's stock kernel under qemu (TCG) with only cgroup v2, the host's
# root read-only over 9p, and runs tests/vm/tests.sh against BUILD_DIR's test binaries.
#
#   tests/vm/run.sh [BUILD_DIR]     (default build/debug; run as root)
#
# Exits 0 only when the guest's last word is "POT-VM-RESULT: PASS"; otherwise prints one
# line saying why (timeout, no marker, failures) and exits nonzero. The serial console is
# shown as it comes and kept in build/vm/serial.log. POT_VM_TIMEOUT (seconds, default 900)
# bounds the whole boot.
set -eu
cd "$(dirname "$0")/../.."
repo=$(pwd)
vm=$repo/build/vm
build=$(realpath "${1:-build/debug}")
timeout_s=${POT_VM_TIMEOUT:-900}
log=$vm/serial.log

fail() { echo "vm tier: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "needs root (the guest sees the host's files as root over 9p)"
for binary in tests/pot_unit_tests tests/integration/pot_integration_tests pot; do
  [ -x "$build/$binary" ] || fail "$build/$binary is missing: build $build first"
done
# The guest reaches everything by the host's own paths; spaces would break the command line.
case "$repo$build" in *[[:space:]]*) fail "paths with spaces are not supported" ;; esac

tests/vm/build-guest.sh

# Guest kernel command line. The NAME=value words the kernel does not know reach init's
# environment (see guest-init.sh). panic=-1 plus -no-reboot: any panic ends qemu at once.
# mitigations=off: a throwaway test guest, and every cycle counts under TCG.
cmdline="console=ttyS0 quiet mitigations=off panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
cmdline="$cmdline POT_VM_REPO=$repo POT_VM_BUILD=$build POT_VM_MODULES=$vm/kernel/lib/modules"

qemu_pid=""
cleanup() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    wait "$qemu_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$(date +%s)
: >"$log"
# TCG only: this host may itself be a VM without usable nested KVM. No network device; the
# host's root goes in read-only (the guest writes to a tmpfs overlay). `timeout` is the
# hard bound on everything; qemu's stdin is /dev/null so it never touches the terminal.
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg,thread=multi -cpu max -smp 2 -m 4G -nographic -no-reboot \
  -nic none \
  -kernel "$vm/vmlinuz" -initrd "$vm/initrd.gz" -append "$cmdline" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  </dev/null >"$log" 2>&1 &
qemu_pid=$!
# Stream the console while qemu runs; tail stops when qemu (or timeout) exits.
tail -n +1 -f --pid="$qemu_pid" "$log" &
tail_pid=$!
rc=0
wait "$qemu_pid" || rc=$?
qemu_pid=""
wait "$tail_pid" 2>/dev/null || true
elapsed=$(($(date +%s) - start))

# The guest writes CRLF on its serial line.
result=$(tr -d '\r' <"$log" | sed -n 's/^POT-VM-RESULT: //p' | tail -n 1)
summary=$(tr -d '\r' <"$log" | sed -n 's/^POT-VM-TESTS: //p' | tail -n 1)
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  fail "timed out after ${timeout_s}s (serial log: $log)"
elif [ -z "$result" ]; then
  fail "the guest ended without a POT-VM-RESULT line (qemu exit $rc, serial log: $log)"
elif [ "$result" != "PASS" ]; then
  fail "$result${summary:+ ($summary)} in ${elapsed}s (serial log: $log)"
fi
echo "vm tier: PASS: ${summary:-no test summary} in ${elapsed}s"
