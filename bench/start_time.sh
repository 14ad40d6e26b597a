#!/usr/bin/env bash
# Start-time benchmark: `pot start` of a non-persistent pot running /bin/true (a fresh
# btrfs clone of a busybox base), against
#   floor: unshare of the same namespaces + chroot + /bin/true on the same root, and
#   runc:  `runc run` of /bin/true on a copy of the same root filesystem.
# Targets: pot median <= 2x the floor median, and pot median < runc median.
#
# usage: sudo bench/start_time.sh [POT_BINARY]      (default: build/release/pot)
# env:   RUNS (100), WARMUP (5), OUT_JSON (build/bench/start_time.json: hyperfine's export)
#
# Everything it makes (pot pool + loop device, runc bundle and state, cgroups) is removed
# on exit, and the removal is checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-100}
WARMUP=${WARMUP:-5}
OUT_JSON=${OUT_JSON:-$REPO_ROOT/build/bench/start_time.json}

bench_init "${1:-$REPO_ROOT/build/release/pot}" runc
(( RUNS >= 10 )) || bench_die "RUNS must be at least 10"
bench_install_traps
WORK=$(mktemp -d -t pot-bench.XXXXXX)

echo "== setup: pot $POT, kernel $(uname -r), $(nproc) CPUs"
bench_setup_pot
bench_setup_runc_bundle

CMD_POT="$POT start $BENCH_POT_NAME"
CMD_FLOOR="unshare --mount --pid --fork --uts --ipc --net --cgroup chroot $ROOTFS /bin/true"
# `runc run` (foreground) deletes its container when /bin/true exits, so one id, unique to
# this invocation, is reused run after run; the untimed --prepare `runc delete -f` makes sure
# a failed run cannot leave it behind. (A wrapper script making a new id per run would add a
# shell's exec to runc's time only.)
CMD_RUNC="runc --root $RUNC_ROOT run --bundle $BUNDLE $RUNC_ID"
PREP_RUNC="runc --root $RUNC_ROOT delete -f $RUNC_ID"

echo "== sanity: each command once"
ok=0
for _ in 1 2 3; do $CMD_POT && { ok=1; break; }; done
(( ok )) || bench_die "\`$CMD_POT\` fails"
$CMD_FLOOR || bench_die "\`$CMD_FLOOR\` fails"
$CMD_RUNC || bench_die "\`$CMD_RUNC\` fails"

mkdir -p "$(dirname "$OUT_JSON")"
echo "== hyperfine: --warmup $WARMUP --runs $RUNS"
# --ignore-failure: `pot start` of a command that exits at once can report a failure (see
# docs/benchmarks.md); failed runs are counted from the export and reported below.
hyperfine -N --ignore-failure --warmup "$WARMUP" --runs "$RUNS" \
  --prepare true --prepare true --prepare "$PREP_RUNC" \
  --export-json "$OUT_JSON" \
  --command-name pot --command-name floor --command-name runc \
  "$CMD_POT" "$CMD_FLOOR" "$CMD_RUNC"

# Medians in ms, and failed runs, from the export.
read -r MED_POT MED_FLOOR MED_RUNC < <(jq -r '[.results[] | .median * 1000] | @tsv' "$OUT_JSON")
read -r FAIL_POT FAIL_FLOOR FAIL_RUNC < <(
  jq -r '[.results[] | [.exit_codes[] | select(. != 0)] | length] | @tsv' "$OUT_JSON")
# pot's median over its successful runs only, in case some failed.
MED_POT_OK=$(jq -r '.results[0] | [.times, .exit_codes] | transpose | map(select(.[1] == 0) | .[0])
                    | sort | if length == 0 then 0 else
                      (if length % 2 == 1 then .[length / 2 | floor]
                       else (.[length / 2 - 1] + .[length / 2]) / 2 end) end * 1000' "$OUT_JSON")

awk -v p="$MED_POT" -v f="$MED_FLOOR" -v r="$MED_RUNC" -v pok="$MED_POT_OK" \
    -v fp="$FAIL_POT" -v ff="$FAIL_FLOOR" -v fr="$FAIL_RUNC" -v n="$RUNS" 'BEGIN {
  printf "\n== results (%d runs each, medians)\n", n
  printf "  %-6s %10s   %s\n", "", "median", "failed runs"
  printf "  %-6s %8.2f ms   %d/%d\n", "pot", p, fp, n
  printf "  %-6s %8.2f ms   %d/%d\n", "floor", f, ff, n
  printf "  %-6s %8.2f ms   %d/%d\n", "runc", r, fr, n
  if (fp > 0) printf "  (pot, successful runs only: %.2f ms)\n", pok
  printf "\n  pot/floor = %.2fx   target <= 2.00x   %s\n", p / f, (p <= 2 * f) ? "PASS" : "FAIL"
  printf "  pot/runc  = %.2fx   target <  1.00x   %s\n", p / r, (p < r) ? "PASS" : "FAIL"
  if (fp > 0) printf "  WARNING: %d of %d `pot start` runs exited non-zero\n", fp, n
}'
echo "  hyperfine export: $OUT_JSON"
