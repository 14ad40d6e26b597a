#!/usr/bin/env bash
# The DNS server's throughput: dns_bench_server (a catalog of a few services, the server on
# 127.0.0.1 port 0) queried by dnsperf for SECONDS with a mix of service lookups (A, SRV,
# tags, RFC 2782 names, the node, NXDOMAIN), CLIENTS sockets and up to OUTSTANDING queries
# in flight. Prints dnsperf's summary and the queries per second. Needs no root.
#
# usage: bench/dns_qps.sh [DNS_BENCH_SERVER]   (default: build/release/bench/dns_bench_server)
# env:   SECONDS_RUN (10), CLIENTS (4), OUTSTANDING (200), TARGET_QPS (20000)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SERVER_BIN=${1:-$REPO_ROOT/build/release/bench/dns_bench_server}
SECONDS_RUN=${SECONDS_RUN:-10}
CLIENTS=${CLIENTS:-4}
OUTSTANDING=${OUTSTANDING:-200}
TARGET_QPS=${TARGET_QPS:-20000}

die() { echo "${0##*/}: $*" >&2; exit 1; }
[[ -x $SERVER_BIN ]] ||
  die "no server at $SERVER_BIN (build: cmake --preset release && cmake --build build/release --target dns_bench_server)"
command -v dnsperf >/dev/null || die "dnsperf is not installed (apt-get install -y dnsperf)"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/pot-dns-qps.XXXXXX")
SERVER_PID=""
cleanup() {
  exec {to_server}>&- 2>/dev/null || true
  if [[ -n $SERVER_PID ]]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat >"$WORK/queries" <<'QUERIES'
web.service.consul A
web.service.consul SRV
_web._tcp.service.consul SRV
v1.web.service.consul A
api.service.consul A
api.service.consul SRV
cache.service.consul A
_cache._tcp.service.consul SRV
db.service.consul AAAA
potd.node.consul A
nope.service.consul A
web.service.dc1.consul A
QUERIES

# The server serves until its stdin closes: a FIFO held open by this script.
mkfifo "$WORK/stdin"
"$SERVER_BIN" <"$WORK/stdin" >"$WORK/port" &
SERVER_PID=$!
exec {to_server}>"$WORK/stdin"
for _ in $(seq 100); do
  [[ -s $WORK/port ]] && break
  sleep 0.05
done
PORT=$(head -n1 "$WORK/port")
[[ $PORT =~ ^[0-9]+$ ]] || die "the server did not print its port"

dnsperf -s 127.0.0.1 -p "$PORT" -d "$WORK/queries" -l "$SECONDS_RUN" -c "$CLIENTS" \
  -q "$OUTSTANDING" -t 2 | tee "$WORK/result"

QPS=$(awk '/Queries per second:/ {print $4}' "$WORK/result")
LOST=$(awk '/Queries lost:/ {print $3}' "$WORK/result")
echo
echo "dns qps: $QPS (lost: $LOST; target >= $TARGET_QPS)"
awk -v qps="$QPS" -v target="$TARGET_QPS" 'BEGIN { exit !(qps >= target) }' &&
  echo "PASS" || echo "FAIL: below the target"
