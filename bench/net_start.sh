#!/usr/bin/env bash
# What networking adds to start time (issue 4): `pot start` of two non-persistent pots
# running /bin/true, clones of the same busybox base, differing only in their network:
#   none:    -N none (the default): its own network namespace with only lo
#   bridge:  -N public-bridge -i auto: a veth on the public bridge, an address, a default
#            route (the bridge is up already: it stays up between starts)
#   bridge-cold (informational, COLD=1): the same, with the bridge taken down before each
#            run (`pot vnet-stop`, untimed), so each start also makes the bridge, its
#            addresses and its nftables elements
# Target: bridge median - none median < 10 ms.
#
# usage: sudo bench/net_start.sh [POT_BINARY]      (default: build/release/pot)
# env:   RUNS (50), WARMUP (5), COLD (1: include bridge-cold; 0: skip it),
#        POT_NETWORK (10.231.0.0/16), POT_GATEWAY (10.231.0.1), POT_EXTIF (unset: the
#        default route's interface), OUT_JSON (build/bench/net_start.json: hyperfine's export)
#
# Everything it makes (pot pool + loop device, the bridge, veths and nftables table, cgroups,
# temp dirs) is removed on exit, and the removal is checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-5}
COLD=${COLD:-1}
OUT_JSON=${OUT_JSON:-$REPO_ROOT/build/bench/net_start.json}
export POT_NETWORK=${POT_NETWORK:-10.231.0.0/16}
export POT_GATEWAY=${POT_GATEWAY:-10.231.0.1}
[[ -n ${POT_EXTIF:-} ]] && export POT_EXTIF

NET_POT=bench-bridge

bench_init "${1:-$REPO_ROOT/build/release/pot}" ip nft
(( RUNS >= 10 )) || bench_die "RUNS must be at least 10"

# The EXIT trap: lib.sh's bench_cleanup_root (pot de-init: pots, pool, loop device,
# bridges, table; then the network objects by hand if de-init left any), and the check that
# none is left.
net_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  bench_cleanup_root "$rc" "$NET_POT" || exit "$BENCH_RC"
  rc=$BENCH_RC
  local left=("${BENCH_LEFT[@]}")
  if (( ${#left[@]} )); then
    echo "${0##*/}: cleanup left: ${left[*]}" >&2
    (( rc == 0 )) && rc=1
  else
    echo "cleanup: $BENCH_NET_OBJECTS removed"
  fi
  echo "  (host sysctls now: ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)," \
    "was $IP_FORWARD_BEFORE before the run)"
  exit "$rc"
}
IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
trap net_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# POT_NETWORK must be new to the host: no route into it but the default one.
if ip -4 route show match "$POT_GATEWAY" | grep -qv '^default'; then
  bench_die "POT_NETWORK $POT_NETWORK clashes with a host route: $(ip -4 route show match "$POT_GATEWAY" | grep -v '^default')"
fi

echo "== setup: pot $POT, kernel $(uname -r), $(nproc) CPUs, POT_NETWORK=$POT_NETWORK"
bench_setup_pot   # $BENCH_POT_NAME: -N none, non-persistent, /bin/true
"$POT" create -p "$NET_POT" -b "$BENCH_BASE_NAME" -N public-bridge -i auto
"$POT" set-attr -p "$NET_POT" -A persistent -V NO
"$POT" set-cmd -p "$NET_POT" -c /bin/true
"$POT" info -p "$NET_POT" | grep -qE '^[[:space:]]*ip : [0-9]' ||
  bench_die "\`pot info -p $NET_POT\` shows no address: $("$POT" info -p "$NET_POT")"

CMD_NONE="$POT start $BENCH_POT_NAME"
CMD_BRIDGE="$POT start $NET_POT"
CMD_VNET_STOP="$POT vnet-stop"

echo "== sanity: each start once"
$CMD_NONE || bench_die "\`$CMD_NONE\` fails"
$CMD_BRIDGE || bench_die "\`$CMD_BRIDGE\` fails"
ip link show "potbr$POT_TAG" >/dev/null 2>&1 ||
  bench_die "no bridge potbr$POT_TAG after \`$CMD_BRIDGE\`"
# The kernel removes the veth with the pot's namespace, shortly after the pot exits.
for _ in $(seq 50); do [[ -z $(bench_pot_veths "$POT_TAG" "$NET_POT") ]] && break; sleep 0.1; done
[[ -z $(bench_pot_veths "$POT_TAG" "$NET_POT") ]] ||
  bench_die "the veth $(bench_pot_veths "$POT_TAG" "$NET_POT") outlives \`$CMD_BRIDGE\` (the pot has exited)"
if (( COLD )); then
  $CMD_VNET_STOP || bench_die "\`$CMD_VNET_STOP\` fails"
  ! ip link show "potbr$POT_TAG" >/dev/null 2>&1 ||
    bench_die "the bridge potbr$POT_TAG is still there after \`$CMD_VNET_STOP\`"
  $CMD_BRIDGE || bench_die "\`$CMD_BRIDGE\` fails after \`$CMD_VNET_STOP\`"
fi

mkdir -p "$(dirname "$OUT_JSON")"
ARGS=(--command-name none --command-name bridge "$CMD_NONE" "$CMD_BRIDGE")
PREPS=(--prepare true --prepare true)
if (( COLD )); then
  ARGS=(--command-name none --command-name bridge --command-name bridge-cold
        "$CMD_NONE" "$CMD_BRIDGE" "$CMD_BRIDGE")
  PREPS=(--prepare true --prepare true --prepare "$CMD_VNET_STOP")
fi
echo "== hyperfine: --warmup $WARMUP --runs $RUNS"
# --ignore-failure as in start_time.sh: failed runs are counted from the export below.
hyperfine -N --ignore-failure --warmup "$WARMUP" --runs "$RUNS" "${PREPS[@]}" \
  --export-json "$OUT_JSON" "${ARGS[@]}"

jq -r --argjson runs "$RUNS" '
  def median: sort | if length == 0 then 0 elif length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  def ms: . * 1000 * 100 | round / 100;
  def pad(n): tostring | " " * (n - length) + .;
  (.results | map({key: .command, value: .}) | from_entries) as $r
  | "\n== results (\($runs) runs each)",
    "  command        median     mean      p90   failed runs",
    (.results[] | "  \(.command | . + " " * (11 - length)) \(.median | ms | pad(7)) ms \(.mean | ms | pad(6)) ms \(.times | sort | .[(length * 0.9 | floor)] | ms | pad(6)) ms   \([.exit_codes[] | select(. != 0)] | length)/\($runs)"),
    "",
    (($r.bridge.median - $r.none.median) as $d
     | "  bridge - none = \($d | ms) ms (median)   target < 10 ms   \(if $d < 0.010 then "PASS" else "FAIL" end)"),
    (if $r["bridge-cold"] then
       "  bridge-cold - none = \(($r["bridge-cold"].median - $r.none.median) | ms) ms (informational: the bridge made on each start)"
     else empty end),
    (.results[] | select([.exit_codes[] | select(. != 0)] | length > 0)
     | "  WARNING: \([.exit_codes[] | select(. != 0)] | length) of \($runs) `\(.command)` runs exited non-zero")
' "$OUT_JSON"
echo "  hyperfine export: $OUT_JSON"
