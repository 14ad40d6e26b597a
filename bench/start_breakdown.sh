#!/usr/bin/env bash
# Where the time of `pot start` (non-persistent pot, /bin/true) goes. Three views:
#
#  1. component micro-benchmarks (hyperfine, untraced), each a difference of two commands:
#       new namespaces + chroot     unshare ... chroot ROOT true   - chroot ROOT true
#       of which the netns          unshare with --net              - without --net
#       joining 4 v1 cgroups        sh: echo $$ > 4 cgroup.procs     - sh: echo $$ > /dev/null
#         back to back, and "cold": after 50 ms without any cgroup migration on the host
#       a state-file write on the    sh: dd conv=fsync to a new file, - the same without fsync
#         pool (as pot writes them)      mv over the old one
#       pot without a jail          pot get-attr (exec, libraries, config read)
#  2. the blocking syscalls of `pot start` itself, timed by strace -T over TRACE_RUNS starts,
#     back to back (as hyperfine runs them) and isolated (0.5 s apart). strace slows the run
#     down, but not the time a syscall spends blocked in the kernel, which dominates here.
#  3. what-if, untraced (hyperfine): `pot start` back to back and "cold" (50 ms idle before
#     each run), each as is and with fsync/fdatasync made no-ops by an LD_PRELOAD shim
#     (compiled here with cc; skipped without a C compiler), next to the floor; and an empty
#     program linked against pot's libraries next to one linked against libc only.
#
# usage: sudo bench/start_breakdown.sh [POT_BINARY]   (default: build/release/pot)
# env:   RUNS (30, per micro-benchmark), TRACE_RUNS (15, per pass)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-30}
TRACE_RUNS=${TRACE_RUNS:-15}

bench_init "${1:-$REPO_ROOT/build/release/pot}" strace dd
bench_install_traps
WORK=$(mktemp -d -t pot-bench.XXXXXX)

echo "== setup: pot $POT, kernel $(uname -r), $(nproc) CPUs"
bench_setup_pot

# Four v1 cgroups, as pot makes (memory, cpu, cpuacct, pids), for the join micro-benchmark.
JOIN=""
NOJOIN=""
for controller in memory cpu cpuacct pids; do
  dir=$(findmnt -rn -t cgroup -o TARGET,OPTIONS | awk -v c="$controller" \
    '{ n = split($2, o, ","); for (i = 1; i <= n; i++) if (o[i] == c) { print $1; exit } }')
  [[ -n $dir ]] || bench_die "no cgroup v1 hierarchy with the $controller controller (cgroup v2 host?)"
  dir=$dir/potbench-$$-join
  mkdir "$dir"
  EXTRA_CGROUPS+=("$dir")
  JOIN+="echo \$\$ > $dir/cgroup.procs; "
  NOJOIN+="echo \$\$ > /dev/null; "
done

JSON=$WORK/components.json
RUN=$POT_FS_ROOT/run
ATOMIC="dd if=/dev/zero of=$RUN/potbench.tmp.\$\$ bs=143 count=1 status=none"
ATOMIC_MV="mv $RUN/potbench.tmp.\$\$ $RUN/potbench"
echo "== component micro-benchmarks (--runs $RUNS)"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$JSON" --style basic \
  -n chroot -n unshare-nonet -n unshare-floor -n sh-nojoin -n sh-join \
  -n sh-nojoin-cold -n sh-join-cold -n write-nofsync -n write-fsync -n pot-noop \
  -p true -p true -p true -p true -p true -p "sleep 0.05" -p "sleep 0.05" -p true -p true -p true \
  "chroot $ROOTFS /bin/true" \
  "unshare --mount --pid --fork --uts --ipc --cgroup chroot $ROOTFS /bin/true" \
  "unshare --mount --pid --fork --uts --ipc --net --cgroup chroot $ROOTFS /bin/true" \
  "sh -c '$NOJOIN'" \
  "sh -c '$JOIN'" \
  "sh -c '$NOJOIN '" \
  "sh -c '$JOIN '" \
  "sh -c '$ATOMIC; $ATOMIC_MV'" \
  "sh -c '$ATOMIC conv=fsync; $ATOMIC_MV'" \
  "$POT get-attr -p $BENCH_POT_NAME -A persistent -q" >/dev/null

med() { jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$JSON"; }
echo
echo "== components (medians, ms)"
awk -v chroot="$(med chroot)" -v nonet="$(med unshare-nonet)" -v floor="$(med unshare-floor)" \
    -v nojoin="$(med sh-nojoin)" -v join="$(med sh-join)" \
    -v nojoinc="$(med sh-nojoin-cold)" -v joinc="$(med sh-join-cold)" \
    -v nofsync="$(med write-nofsync)" -v fsync="$(med write-fsync)" -v noop="$(med pot-noop)" 'BEGIN {
  printf "  %-50s %7.2f\n", "floor (unshare all + chroot + true)", floor
  printf "  %-50s %7.2f\n", "  spawn: chroot + true", chroot
  printf "  %-50s %7.2f\n", "  namespaces incl. netns (floor - spawn)", floor - chroot
  printf "  %-50s %7.2f\n", "    netns alone (floor - floor w/o --net)", floor - nonet
  printf "  %-50s %7.2f\n", "join 4 v1 cgroups, back to back", join - nojoin
  printf "  %-50s %7.2f\n", "join 4 v1 cgroups, cold (50 ms idle before)", joinc - nojoinc
  printf "  %-50s %7.2f\n", "fsync of a new state file on the pool", fsync - nofsync
  printf "  %-50s %7.2f\n", "pot binary, no jail (pot get-attr)", noop
}'
echo
echo "== blocking syscalls of \`pot start\` (strace -T, median over $TRACE_RUNS starts, ms)"
failed=0
trace_start() {  # $1: file name suffix
  local t0
  t0=$(date +%s%N)
  strace -f -T -y -qq --seccomp-bpf -o "$WORK/trace.$1" \
    -e trace=fsync,write,mkdir,rmdir,clone3,clone,umount2,execve \
    "$POT" start "$BENCH_POT_NAME" >/dev/null 2>&1 || failed=$((failed + 1))
  echo $(( ($(date +%s%N) - t0) / 1000 )) >"$WORK/wall.$1"
}
for i in $(seq "$TRACE_RUNS"); do trace_start "b2b.$i"; done
for i in $(seq "$TRACE_RUNS"); do sleep 0.5; trace_start "iso.$i"; done
# Per start: the seconds spent in each kind of syscall.
categorise() {
  awk '
    { d = $0; if (!match(d, /<[0-9.]+>$/)) next
      t = substr(d, RSTART + 1, RLENGTH - 2) * 1000; c = "" }
    /fsync\(/                                 { c = "fsync of state files (4 per start)" }
    /write\([0-9]+<[^>]*cgroup\.procs>/       { c = "write cgroup.procs (join 4 v1 cgroups)" }
    /mkdir\("\/sys\/fs\/cgroup/              { c = "mkdir cgroups" }
    /rmdir\("\/sys\/fs\/cgroup/              { c = "rmdir cgroups" }
    /clone3\(/                                { c = "clone3 into new namespaces (incl. netns)" }
    /umount2\(/                               { c = "umount2 of the host root (MNT_DETACH)" }
    /write\([0-9]+<\/etc\/hosts>/             { c = "write /etc/hosts (first CoW write)" }
    /execve\("\/bin\/true"/                   { c = "execve /bin/true" }
    / clone\(/                                { c = "fork of the command by the pot init" }
    c != "" { sum[c] += t }
    END { for (c in sum) printf "%s\t%.3f\n", c, sum[c] }' "$1"
}
for pass in b2b iso; do
  for i in $(seq "$TRACE_RUNS"); do categorise "$WORK/trace.$pass.$i"; done >"$WORK/categories.$pass"
  cat "$WORK"/wall."$pass".* | awk '{ printf "wall time of a traced start (strace incl.)\t%.3f\n", $1 / 1000 }' \
    >>"$WORK/categories.$pass"
done
printf "  %-50s %10s %10s\n" "" "b2b" "isolated"
cut -f1 "$WORK"/categories.* | sort -u | while IFS= read -r c; do
  b=$(awk -F'\t' -v c="$c" '$1 == c { print $2 }' "$WORK/categories.b2b" | median)
  s=$(awk -F'\t' -v c="$c" '$1 == c { print $2 }' "$WORK/categories.iso" | median)
  printf "  %-50s %10.2f %10.2f\n" "$c" "$b" "$s"
done
(( failed == 0 )) || echo "  ($failed of $((2 * TRACE_RUNS)) traced starts exited non-zero)"

echo
echo "== what-if (untraced, --runs $RUNS, medians in ms)"
CC=$(command -v cc || command -v gcc || true)
if [[ -z $CC ]] || ! command -v readelf >/dev/null; then
  echo "  skipped: needs a C compiler (cc) and readelf"
  exit 0
fi
cat >"$WORK/nofsync.c" <<'C'
int fsync(int fd) { (void)fd; return 0; }
int fdatasync(int fd) { (void)fd; return 0; }
C
"$CC" -shared -fPIC -O2 -o "$WORK/nofsync.so" "$WORK/nofsync.c"
# An empty program linked against libc only, and one linked against every library pot
# needs: the difference is what loading pot's libraries costs each pot command.
echo 'int main(void) { return 0; }' >"$WORK/empty.c"
"$CC" -O2 -o "$WORK/empty-libc" "$WORK/empty.c"
mapfile -t POT_LIBS < <(readelf -d "$POT" | sed -n 's/.*Shared library: \[\(.*\)\]/-l:\1/p')
"$CC" -O2 -o "$WORK/empty-potlibs" "$WORK/empty.c" -Wl,--no-as-needed "${POT_LIBS[@]}"
WHATIF=$WORK/whatif.json
hyperfine -N --ignore-failure --warmup 3 --runs "$RUNS" --export-json "$WHATIF" --style basic \
  -n "pot, back to back" -n "pot, cold" -n "pot without fsync, back to back" \
  -n "pot without fsync, cold" -n "floor" -n "empty program, libc only" \
  -n "empty program linked with pot's libraries" \
  -p true -p "sleep 0.05" -p true -p "sleep 0.05" -p true -p true -p true \
  "$POT start $BENCH_POT_NAME" \
  "$POT start $BENCH_POT_NAME " \
  "env LD_PRELOAD=$WORK/nofsync.so $POT start $BENCH_POT_NAME" \
  "env LD_PRELOAD=$WORK/nofsync.so $POT start $BENCH_POT_NAME " \
  "unshare --mount --pid --fork --uts --ipc --net --cgroup chroot $ROOTFS /bin/true" \
  "$WORK/empty-libc" "$WORK/empty-potlibs" >/dev/null
floor=$(jq -r '.results[] | select(.command == "floor") | .median' "$WHATIF")
jq -r --argjson floor "$floor" '.results[] | [.command, .median * 1000, .median / $floor,
      ([.exit_codes[] | select(. != 0)] | length)] | @tsv' "$WHATIF" |
  awk -F'\t' -v n="$RUNS" '{ printf "  %-50s %7.2f   %5.2fx floor   failed %d/%d\n", $1, $2, $3, $4, n }'
