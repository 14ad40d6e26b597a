#!/bin/sh
# The demo: build pot, make a busybox base and a pot on the public bridge serving a web page
# with busybox httpd on an exported port, and show it answering on the host's 127.0.0.1.
# Runs in its own POT_FS_ROOT and network, and removes everything it made (pots, bridge,
# nftables table, pool).
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target pot   # with the programs pot runs (pot-registry)

POT="$PWD/build/release/pot"
export POT_FS_ROOT="${POT_FS_ROOT:-/tmp/pot-demo}"
export POT_POOL_SIZE="${POT_POOL_SIZE:-2G}"
export POT_NETWORK="${POT_NETWORK:-10.222.0.0/24}" POT_GATEWAY="${POT_GATEWAY:-10.222.0.1}"
PORT="${DEMO_PORT:-18080}"
WORK=$(mktemp -d)
cleanup() {
  "$POT" de-init || true
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n==> %s\n' "$*"; }

step "pot init (POT_FS_ROOT=$POT_FS_ROOT: a btrfs pool, loop-mounted)"
"$POT" init
step "pot create-base -b demo-base -r busybox"
"$POT" create-base -b demo-base -r busybox
step "pot create -p web -b demo-base -N public-bridge   (a btrfs snapshot of the base, an address on the bridge)"
"$POT" create -p web -b demo-base -N public-bridge
step "pot export-ports -p web -e 80:$PORT   (host port $PORT -> the pot's port 80, nftables DNAT)"
"$POT" export-ports -p web -e "80:$PORT"
echo '<h1>Hello from a pot</h1>' > "$WORK/index.html"
"$POT" copy-in -p web -s "$WORK/index.html" -d /var/www/index.html
"$POT" set-cmd -p web -c "httpd -f -p 80 -h /var/www"
step "pot start web"
"$POT" start web
"$POT" info -p web
step "the page, fetched from the host through the exported port"
i=0
until page=$(busybox wget -qO- "http://127.0.0.1:$PORT/" 2>/dev/null); do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "the pot did not answer" >&2; exit 1; }
  sleep 0.1
done
echo "$page"
step "inside the pot: its own processes, hostname, network and capabilities"
"$POT" exec -p web sh -c 'hostname; ps; ip -4 addr show eth0; ip route; grep -E "CapEff|NoNewPrivs|Seccomp:" /proc/self/status'
step "pot stop web"
"$POT" stop web
"$POT" ls
