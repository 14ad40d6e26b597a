#!/usr/bin/env bash
# Networking throughput benchmark (issue 4): a persistent public-bridge pot running busybox
# httpd on port 80, that port exported as HOST_PORT, and wrk against
#   exported-lo:  the exported port at 127.0.0.1:HOST_PORT       (nftables DNAT from loopback)
#   exported-gw:  the exported port at POT_GATEWAY:HOST_PORT     (DNAT via a host address: the
#                 bridge's gateway, which is the host's own address on the bridge)
#   direct:       the pot's own address, POT_IP:80              (bridge + veth, no DNAT)
#   host:         the same busybox binary serving the same file on the host's loopback,
#                 127.0.0.1:HOST_HTTPD_PORT                    (no pot, no bridge)
# Each case runs ROUNDS times, the cases interleaved; the figures are the medians of the
# rounds. Target: exported within 10% of direct (requests/s ratio >= 0.90).
#
# busybox httpd serves one request per connection, so wrk opens thousands of connections a
# second and both ends leave TIME_WAIT sockets. Left alone, that measures TCP port reuse, not
# the network path: the host runs out of ephemeral ports towards non-loopback addresses
# (tcp_tw_reuse=2 reuses them for loopback only), and new SYNs that meet a TIME_WAIT socket in
# the pot are rejected by PAWS (TcpExtPAWSTimewait) and retried after 1 s, more or less
# depending on which case ran before. With TCP_TUNING=1 (the default) the script sets the
# host's net.ipv4.tcp_tw_reuse=1 for the run (put back on exit) and
# net.ipv4.tcp_max_tw_buckets=0 in the pot's own network namespace (gone with the pot).
# Each run records the host's SYN retransmits, the listen-queue overflows (host and pot; busybox
# httpd listens with a backlog of 9), the pot's PAWS rejections and the load average.
#
# Only loopback, the bridge's gateway (a host address) and the pot's own address receive
# traffic: the script checks that the gateway is local and the pot's address is routed
# through this root's bridge before it sends anything.
#
# usage: sudo bench/net_throughput.sh [POT_BINARY]     (default: build/release/pot)
# env:   ROUNDS (3), DURATION (10s, per wrk run), THREADS (2), CONNECTIONS (32),
#        PAGE_KB (4, size of /www/index.html), HOST_PORT (18080), HOST_HTTPD_PORT (18081),
#        POT_NETWORK (10.231.0.0/16), POT_GATEWAY (10.231.0.1), POT_EXTIF (unset: the
#        default route's interface), TCP_TUNING (1; 0: leave TCP settings alone),
#        OUT_JSON (build/bench/net_throughput.json)
#
# Everything it makes (pot pool + loop device, the pot's bridge, veth and nftables table,
# the host httpd, temp dirs) is removed on exit, and the removal is checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-32}
PAGE_KB=${PAGE_KB:-4}
HOST_PORT=${HOST_PORT:-18080}
HOST_HTTPD_PORT=${HOST_HTTPD_PORT:-18081}
TCP_TUNING=${TCP_TUNING:-1}
OUT_JSON=${OUT_JSON:-$REPO_ROOT/build/bench/net_throughput.json}
export POT_NETWORK=${POT_NETWORK:-10.231.0.0/16}
export POT_GATEWAY=${POT_GATEWAY:-10.231.0.1}
[[ -n ${POT_EXTIF:-} ]] && export POT_EXTIF

HTTPD_POT=bench-httpd
HOST_HTTPD_PID=""

bench_init "${1:-$REPO_ROOT/build/release/pot}" wrk curl ip nft ss nsenter pgrep
(( ROUNDS >= 1 )) || bench_die "ROUNDS must be at least 1"

# The EXIT trap: the host httpd, then lib.sh's bench_cleanup_root (pot de-init: pots, pool,
# loop device, bridges, table; then the network objects by hand if de-init left any), and
# the check that none is left.
net_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ -n $HOST_HTTPD_PID ]]; then
    kill "$HOST_HTTPD_PID" 2>/dev/null
    wait "$HOST_HTTPD_PID" 2>/dev/null
  fi
  [[ -n $TW_REUSE_BEFORE ]] && echo "$TW_REUSE_BEFORE" >/proc/sys/net/ipv4/tcp_tw_reuse
  bench_cleanup_root "$rc" "$HTTPD_POT" || exit "$BENCH_RC"
  rc=$BENCH_RC
  local left=("${BENCH_LEFT[@]}")
  [[ -n $HOST_HTTPD_PID ]] && kill -0 "$HOST_HTTPD_PID" 2>/dev/null && left+=("httpd $HOST_HTTPD_PID")
  [[ -n $TW_REUSE_BEFORE && $(cat /proc/sys/net/ipv4/tcp_tw_reuse) != "$TW_REUSE_BEFORE" ]] &&
    left+=("net.ipv4.tcp_tw_reuse=$(cat /proc/sys/net/ipv4/tcp_tw_reuse), was $TW_REUSE_BEFORE")
  if (( ${#left[@]} )); then
    echo "${0##*/}: cleanup left: ${left[*]}" >&2
    (( rc == 0 )) && rc=1
  else
    echo "cleanup: $BENCH_NET_OBJECTS, host httpd removed${TW_REUSE_BEFORE:+, tcp_tw_reuse back to $TW_REUSE_BEFORE}"
  fi
  echo "  (host sysctls now: ip_forward=$(cat /proc/sys/net/ipv4/ip_forward)," \
    "was $IP_FORWARD_BEFORE before the run)"
  exit "$rc"
}
IP_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)
TW_REUSE_BEFORE=""
trap net_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
WORK=$(mktemp -d -t pot-bench.XXXXXX)

port_in_use() { [[ -n $(ss -Htln "( sport = :$1 )" 2>/dev/null) ]]; }
port_in_use "$HOST_PORT" && bench_die "host port $HOST_PORT is in use (set HOST_PORT)"
port_in_use "$HOST_HTTPD_PORT" && bench_die "port $HOST_HTTPD_PORT is in use (set HOST_HTTPD_PORT)"
# POT_NETWORK must be new to the host: no route into it but the default one.
if ip -4 route show match "$POT_GATEWAY" | grep -qv '^default'; then
  bench_die "POT_NETWORK $POT_NETWORK clashes with a host route: $(ip -4 route show match "$POT_GATEWAY" | grep -v '^default')"
fi

echo "== setup: pot $POT, kernel $(uname -r), $(nproc) CPUs, POT_NETWORK=$POT_NETWORK"
bench_setup_pot
BRIDGE=potbr$POT_TAG
"$POT" create -p "$HTTPD_POT" -b "$BENCH_BASE_NAME" -N public-bridge -i auto
HTTPD_ROOT=$POT_FS_ROOT/jails/$HTTPD_POT/m
[[ -x $HTTPD_ROOT/bin/busybox ]] || bench_die "the pot's root $HTTPD_ROOT has no /bin/busybox"
# The page: PAGE_KB KiB of text, written into the pot's root from the host.
mkdir -p "$HTTPD_ROOT/www"
python3 -c 'import sys
line = "pot networking benchmark: the same page through every path .........\n"
n = int(sys.argv[1]) * 1024
sys.stdout.write((line * (n // len(line) + 1))[:n])' "$PAGE_KB" >"$HTTPD_ROOT/www/index.html"
"$POT" set-cmd -p "$HTTPD_POT" -c "/bin/busybox httpd -f -p 80 -h /www"
"$POT" export-ports -p "$HTTPD_POT" -e "80:$HOST_PORT"
POT_IP=$("$POT" info -p "$HTTPD_POT" | awk -F' : ' '$1 ~ /^[ \t]*ip$/ { print $2 }' |
  tr ' ' '\n' | grep -m1 -E '^[0-9]+(\.[0-9]+){3}$' || true)
[[ -n $POT_IP ]] || bench_die "no IPv4 address in \`pot info -p $HTTPD_POT\`: $("$POT" info -p "$HTTPD_POT")"
"$POT" start "$HTTPD_POT"

# The only destinations: loopback, the gateway (must be a local address) and the pot's
# address (must be routed through this root's bridge).
ip -4 route get "$POT_GATEWAY" | grep -q '^local ' ||
  bench_die "POT_GATEWAY $POT_GATEWAY is not a host address after start: $(ip -4 route get "$POT_GATEWAY")"
ip -4 route get "$POT_IP" | grep -q " dev $BRIDGE " ||
  bench_die "the pot's address $POT_IP is not routed through $BRIDGE: $(ip -4 route get "$POT_IP")"

# The pot's httpd (in the pot's network namespace, unlike this shell), for its counters.
POT_HTTPD_PID=""
for _ in $(seq 50); do
  POT_HTTPD_PID=$(pgrep -xf "/bin/busybox httpd -f -p 80 -h /www" | head -n1 || true)
  [[ -n $POT_HTTPD_PID ]] && break
  sleep 0.1
done
[[ -n $POT_HTTPD_PID ]] || bench_die "the pot's httpd is not running"
[[ $(readlink "/proc/$POT_HTTPD_PID/ns/net") != "$(readlink /proc/self/ns/net)" ]] ||
  bench_die "the pot's httpd ($POT_HTTPD_PID) is in the host's network namespace"
in_pot_net() { nsenter -t "$POT_HTTPD_PID" -n "$@"; }
# A counter of /proc/net/netstat (TcpExt), on the host or (with `pot`) in the pot's netns.
tcpext() {
  local reader=(cat /proc/net/netstat)
  [[ ${2:-} == pot ]] && reader=(in_pot_net cat /proc/net/netstat)
  "${reader[@]}" | awk -v key="$1" '$1 == "TcpExt:" && !n { for (i = 2; i <= NF; i++) col[$i] = i; n = 1; next }
    $1 == "TcpExt:" { print $col[key] }'
}

if (( TCP_TUNING )); then
  TW_REUSE_BEFORE=$(cat /proc/sys/net/ipv4/tcp_tw_reuse)
  echo 1 >/proc/sys/net/ipv4/tcp_tw_reuse
  in_pot_net sysctl -qw net.ipv4.tcp_max_tw_buckets=0
  echo "== TCP: host net.ipv4.tcp_tw_reuse=1 (was $TW_REUSE_BEFORE), pot netns net.ipv4.tcp_max_tw_buckets=0"
fi

# The host's httpd: the pot's own (static) busybox serving the pot's own file.
"$HTTPD_ROOT/bin/busybox" httpd -f -p "127.0.0.1:$HOST_HTTPD_PORT" -h "$HTTPD_ROOT/www" &
HOST_HTTPD_PID=$!

URLS=(
  "http://127.0.0.1:$HOST_PORT/index.html"
  "http://$POT_GATEWAY:$HOST_PORT/index.html"
  "http://$POT_IP:80/index.html"
  "http://127.0.0.1:$HOST_HTTPD_PORT/index.html"
)
NAMES=(exported-lo exported-gw direct host)

echo "== sanity: each URL serves the page (pot $POT_IP on $BRIDGE, gateway $POT_GATEWAY)"
want=$(stat -c %s "$HTTPD_ROOT/www/index.html")
for i in "${!URLS[@]}"; do
  got=""
  for _ in $(seq 50); do
    got=$(curl -sf --max-time 2 -o /dev/null -w '%{size_download}' "${URLS[i]}" || true)
    [[ $got == "$want" ]] && break
    sleep 0.1
  done
  [[ $got == "$want" ]] ||
    bench_die "${NAMES[i]}: \`curl ${URLS[i]}\` does not serve the $want-byte page (got '${got:-nothing}')"
  echo "  ${NAMES[i]}: ${URLS[i]} ok"
done

# wrk's own summary as one JSON line (latencies in microseconds).
cat >"$WORK/report.lua" <<'EOF'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,"rps":%.2f,"lat_mean_us":%.2f,' ..
    '"lat_stdev_us":%.2f,"lat_p50_us":%d,"lat_p99_us":%d,"lat_max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    summary.requests / (summary.duration / 1e6), latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
EOF

RAW=$WORK/raw.jsonl
: >"$RAW"
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency, $ROUNDS round(s), cases interleaved"
for round in $(seq "$ROUNDS"); do
  for i in "${!URLS[@]}"; do
    # A short untimed warm-up, then the measured run.
    wrk -t"$THREADS" -c"$CONNECTIONS" -d2s "${URLS[i]}" >/dev/null
    syn0=$(tcpext TCPSynRetrans)
    paws0=$(tcpext PAWSTimewait pot)
    lo0=$(( $(tcpext ListenOverflows) + $(tcpext ListenOverflows pot) ))
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$WORK/report.lua" "${URLS[i]}")
    line=$(tail -n1 <<<"$out")
    jq -c --arg case "${NAMES[i]}" --arg url "${URLS[i]}" --argjson round "$round" \
      --argjson syn $(( $(tcpext TCPSynRetrans) - syn0 )) \
      --argjson paws $(( $(tcpext PAWSTimewait pot) - paws0 )) \
      --argjson overflows $(( $(tcpext ListenOverflows) + $(tcpext ListenOverflows pot) - lo0 )) \
      --argjson load "$(cut -d' ' -f1 /proc/loadavg)" \
      '. + {case: $case, url: $url, round: $round, host_syn_retrans: $syn, pot_paws_timewait: $paws,
            listen_overflows: $overflows, loadavg_1min_after: $load}' \
      <<<"$line" >>"$RAW"
    jq -r '"  round \(.round) \(.case | . + " " * (12 - length)) \(.rps | floor) req/s  avg \(.lat_mean_us / 1000 * 100 | round / 100) ms  p99 \(.lat_p99_us / 1000 * 100 | round / 100) ms  errors \(.errors | add)  SYN retransmits \(.host_syn_retrans)  listen overflows \(.listen_overflows)  pot PAWS rejects \(.pot_paws_timewait)  load \(.loadavg_1min_after)"' \
      <<<"$(tail -n1 "$RAW")"
  done
done

mkdir -p "$(dirname "$OUT_JSON")"
jq -s --arg pot "$POT" --arg kernel "$(uname -r)" --argjson cpus "$(nproc)" \
  --arg date "$(date -u +%FT%TZ)" --arg wrk "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --latency" \
  --arg pot_ip "$POT_IP" --arg gateway "$POT_GATEWAY" --argjson page "$(stat -c %s "$HTTPD_ROOT/www/index.html")" \
  --argjson tcp_tuning "$TCP_TUNING" '
  def median: sort | if length % 2 == 1 then .[length / 2 | floor]
                     else (.[length / 2 - 1] + .[length / 2]) / 2 end;
  . as $runs
  # One entry per case, in the order the cases ran.
  | (reduce ($runs[].case) as $n ([]; if index([$n]) then . else . + [$n] end)
     | map(. as $n | [$runs[] | select(.case == $n)])
     | map({key: .[0].case, value: {
         url: .[0].url,
         rps: (map(.rps) | median),
         lat_mean_ms: (map(.lat_mean_us) | median / 1000),
         lat_p99_ms: (map(.lat_p99_us) | median / 1000),
         errors: (map(.errors | add) | add),
         host_syn_retrans: (map(.host_syn_retrans) | add),
         pot_paws_timewait: (map(.pot_paws_timewait) | add),
         listen_overflows: (map(.listen_overflows) | add),
         rounds_rps: map(.rps)}})
     | from_entries) as $c
  | {date: $date, pot: $pot, kernel: $kernel, cpus: $cpus, wrk: $wrk, page_bytes: $page,
     pot_ip: $pot_ip, gateway: $gateway, tcp_tuning: $tcp_tuning, cases: $c,
     ratios: {exported_lo_over_direct: ($c["exported-lo"].rps / $c.direct.rps),
              exported_gw_over_direct: ($c["exported-gw"].rps / $c.direct.rps),
              direct_over_host: ($c.direct.rps / $c.host.rps)},
     runs: .}' "$RAW" >"$OUT_JSON"

jq -r '
  "\n== results (medians of \(.runs | map(.round) | max) round(s); \(.wrk))",
  "  case          req/s     avg ms   p99 ms  errors  SYN retransmits  pot PAWS rejects (all rounds)",
  (.cases | to_entries[] | "  \(.key | . + " " * (12 - length)) \(.value.rps | floor | tostring | " " * (8 - length) + .)   \(.value.lat_mean_ms * 100 | round / 100 | tostring | " " * (6 - length) + .)   \(.value.lat_p99_ms * 100 | round / 100 | tostring | " " * (6 - length) + .)  \(.value.errors | tostring | " " * (6 - length) + .)  \(.value.host_syn_retrans | tostring | " " * (15 - length) + .)  \(.value.pot_paws_timewait | tostring | " " * (16 - length) + .)"),
  "",
  (.ratios | "  exported-lo / direct = \(.exported_lo_over_direct * 1000 | round / 1000)   target >= 0.90   \(if .exported_lo_over_direct >= 0.9 then "PASS" else "FAIL" end)",
             "  exported-gw / direct = \(.exported_gw_over_direct * 1000 | round / 1000)   target >= 0.90   \(if .exported_gw_over_direct >= 0.9 then "PASS" else "FAIL" end)",
             "  direct / host        = \(.direct_over_host * 1000 | round / 1000)   (the bridge + veth + pot against plain loopback)")
' "$OUT_JSON"
echo "  results: $OUT_JSON"
