#!/bin/sh
# The demo: build pot, make a busybox base and a pot serving a web page with busybox httpd,
# and show it answering. Runs in its own POT_FS_ROOT and removes everything it made.
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target pot

POT="$PWD/build/release/pot"
export POT_FS_ROOT="${POT_FS_ROOT:-/tmp/pot-demo}"
export POT_POOL_SIZE="${POT_POOL_SIZE:-2G}"
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
step "pot create -p web -b demo-base -N inherit   (a btrfs snapshot of the base)"
"$POT" create -p web -b demo-base -N inherit
echo '<h1>Hello from a pot</h1>' > "$WORK/index.html"
"$POT" copy-in -p web -s "$WORK/index.html" -d /var/www/index.html
"$POT" set-cmd -p web -c "httpd -f -p 127.0.0.1:$PORT -h /var/www"
step "pot start web"
"$POT" start web
"$POT" info -p web
step "the page, fetched from the host"
i=0
until page=$(busybox wget -qO- "http://127.0.0.1:$PORT/" 2>/dev/null); do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "the pot did not answer" >&2; exit 1; }
  sleep 0.1
done
echo "$page"
step "inside the pot: its own processes, hostname and capabilities"
"$POT" exec -p web sh -c 'hostname; ps; grep -E "CapEff|NoNewPrivs|Seccomp:" /proc/self/status'
step "pot stop web"
"$POT" stop web
"$POT" ls
