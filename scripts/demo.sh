#!/bin/sh
# The demo: potd runs the talk's job file (examples/seed.nomad) on this machine. It builds
# an nginx image (a Debian base with nginx-light, cached after the first run), serves it
# with `pot registry serve`, starts `potd agent`, runs the job with `potd job run` (which
# follows the deployment until it is healthy), fetches the page through the allocated port,
# waits for the service's tcp check to pass, looks the service up through potd's DNS (SRV for
# the port) and fetches the page there, shows `potd job status` and `potd alloc status`,
# stops the job, and removes everything it made (pots, bridge, nftables table, pool, agent
# state).
set -eu
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset release >/dev/null
cmake --build build/release --target pot potd   # with pot-registry

BIN="$PWD/build/release"
export POT_FS_ROOT="${POT_FS_ROOT:-/tmp/potd-demo}"
export POT_POOL_SIZE="${POT_POOL_SIZE:-3G}"
export POT_NETWORK="${POT_NETWORK:-10.223.0.0/24}" POT_GATEWAY="${POT_GATEWAY:-10.223.0.1}"
# The image is kept here between runs (a Debian base takes a few minutes to make).
CACHE="${POT_DEMO_CACHE:-/var/cache/pot-demo}"
AGENT_PORT="${POTD_DEMO_PORT:-4646}"
CONSUL_PORT="${POTD_DEMO_CONSUL_PORT:-8500}" DNS_PORT="${POTD_DEMO_DNS_PORT:-8600}"
export NOMAD_ADDR="http://127.0.0.1:$AGENT_PORT"
WORK=$(mktemp -d)
REGISTRY_PID="" AGENT_PID=""
cleanup() {
  set +e
  if [ -n "$AGENT_PID" ]; then
    "$BIN/potd" job stop -purge -yes example >/dev/null 2>&1
    kill "$AGENT_PID" 2>/dev/null; wait "$AGENT_PID" 2>/dev/null
  fi
  [ -z "$REGISTRY_PID" ] || { kill "$REGISTRY_PID" 2>/dev/null; wait "$REGISTRY_PID" 2>/dev/null; }
  "$BIN/pot" de-init
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

step() { printf '\n==> %s\n' "$*"; }
# Waits up to $2 tenths of a second for a line matching $3 in file $1, and prints it.
wait_for_line() {
  i=0
  until line=$(grep -m1 -E "$3" "$1" 2>/dev/null); do
    i=$((i + 1)); [ $i -lt "$2" ] || { echo "timed out waiting for '$3' in $1:" >&2; cat "$1" >&2; exit 1; }
    sleep 0.1
  done
  echo "$line"
}

step "pot init (POT_FS_ROOT=$POT_FS_ROOT)"
"$BIN/pot" init

IMAGE=FBSD120-nginx
if [ ! -s "$CACHE/registry/${IMAGE}_1.0.sha256" ]; then
  step "the nginx image: a Debian base with nginx-light (debootstrap, once; cached in $CACHE)"
  "$BIN/pot" create-base -b demo-debian -r debian:bookworm -i nginx-light
  "$BIN/pot" create -p "$IMAGE" -b demo-debian
  # nginx reads /etc/nginx/nginx.conf, which includes the file the job copies in (the
  # path of the original's FreeBSD image).
  mkdir -p "$WORK/image/etc/nginx" "$WORK/image/usr/local/etc/nginx" "$WORK/image/usr/local/www/nginx-dist"
  echo 'include /usr/local/etc/nginx/nginx.conf;' > "$WORK/image/etc/nginx/nginx.conf"
  cp examples/demo/nginx.conf "$WORK/image/usr/local/etc/nginx/nginx.conf"
  echo '<h1>nginx in a pot (the image default page)</h1>' > "$WORK/image/usr/local/www/nginx-dist/index.html"
  "$BIN/pot" copy-in -p "$IMAGE" -s "$WORK/image/etc/nginx/nginx.conf" -d /etc/nginx/nginx.conf
  "$BIN/pot" copy-in -p "$IMAGE" -s "$WORK/image/usr/local" -d /usr/local
  "$BIN/pot" set-cmd -p "$IMAGE" -c "nginx -g 'daemon off;'"
  mkdir -p "$CACHE/registry"
  "$BIN/pot" export -p "$IMAGE" -t 1.0 -D "$CACHE/registry"
  "$BIN/pot" destroy -p "$IMAGE"
  "$BIN/pot" destroy -b demo-debian
fi

step "pot registry serve -D $CACHE/registry (on a free port of 127.0.0.1)"
"$BIN/pot" registry serve -D "$CACHE/registry" -l 127.0.0.1:0 >"$WORK/registry.out" 2>&1 &
REGISTRY_PID=$!
REGISTRY=$(wait_for_line "$WORK/registry.out" 100 'serving .* on http://' | sed 's/.* on //')/
echo "$REGISTRY"

# What the job copies and mounts from the host: only this directory may be read
# (POT_HOST_PATHS), as an operator would allow for their own site.
mkdir -p "$WORK/www/images"
cp examples/demo/nginx.conf "$WORK/www/nginx.conf"
echo '<h1>Hello from nginx in a pot, run by potd from the talk'"'"'s job file</h1>' > "$WORK/www/index.html"

step "potd agent (state in $POT_FS_ROOT/potd, API on $NOMAD_ADDR)"
POT_HOST_PATHS="$WORK/www" "$BIN/potd" agent -http-port "$AGENT_PORT" \
  -consul-port "$CONSUL_PORT" -dns-port "$DNS_PORT" >"$WORK/agent.out" 2>&1 &
AGENT_PID=$!
wait_for_line "$WORK/agent.out" 200 'HTTP address'
wait_for_line "$WORK/agent.out" 200 'Consul API'
wait_for_line "$WORK/agent.out" 200 'DNS'

step "potd job run examples/seed.nomad (follows the deployment until it is healthy)"
"$BIN/potd" job run -var "registry=$REGISTRY" -var "www=$WORK/www" examples/seed.nomad

ALLOC=$(busybox wget -qO- "$NOMAD_ADDR/v1/job/example/allocations" | jq -r '.[0].ID')

step "the service's tcp check passes (Consul's health API on 127.0.0.1:$CONSUL_PORT)"
i=0
until [ "$(busybox wget -qO- "http://127.0.0.1:$CONSUL_PORT/v1/health/service/pot-webserver?passing" | jq length)" = 1 ]; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "the check did not pass" >&2; exit 1; }
  sleep 0.1
done
busybox wget -qO- "http://127.0.0.1:$CONSUL_PORT/v1/health/service/pot-webserver" |
  jq -r '.[] | .Checks[] | select(.ServiceName != "") | "\(.ServiceName): check \(.Name): \(.Status) (\(.Output))"'
step "potd service info pot-webserver"
"$BIN/potd" service info pot-webserver

step "dig @127.0.0.1 -p $DNS_PORT SRV _pot-webserver._tcp.service.consul (potd's DNS)"
dig @127.0.0.1 -p "$DNS_PORT" +noall +answer +additional SRV _pot-webserver._tcp.service.consul
PORT=$(dig @127.0.0.1 -p "$DNS_PORT" +short SRV _pot-webserver._tcp.service.consul | awk 'NR == 1 { print $3 }')
ADDRESS=$(dig @127.0.0.1 -p "$DNS_PORT" +short A pot-webserver.service.consul | head -n1)
step "the page, from $ADDRESS:$PORT (the address and port DNS gave: potd's allocation, forwarded to the pot's 80)"
busybox wget -qO- "http://$ADDRESS:$PORT/"

step "potd job status example"
"$BIN/potd" job status example
step "potd alloc status $(echo "$ALLOC" | cut -c1-8)"
"$BIN/potd" alloc status "$(echo "$ALLOC" | cut -c1-8)"
step "potd alloc logs (nginx's access log)"
"$BIN/potd" alloc logs "$(echo "$ALLOC" | cut -c1-8)" nginx-pot

step "potd job stop -purge example"
"$BIN/potd" job stop -purge -yes example
# The stop is asynchronous, as in Nomad: the allocation ends (its pot is destroyed) next.
i=0
until [ "$(busybox wget -qO- "$NOMAD_ADDR/v1/allocation/$ALLOC" | jq -r .ClientStatus)" = complete ]; do
  i=$((i + 1)); [ $i -lt 300 ] || { echo "the allocation did not stop" >&2; exit 1; }
  sleep 0.1
done
"$BIN/potd" alloc status "$(echo "$ALLOC" | cut -c1-8)" | sed -n '/Recent Events/,$p'
kill "$AGENT_PID"; wait "$AGENT_PID" || true
AGENT_PID=""
step "what is left: pots (pot ls; only the image's), after the agent stopped"
"$BIN/pot" ls
