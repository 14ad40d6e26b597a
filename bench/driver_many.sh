#!/usr/bin/env bash
# nomad-pot-driver under load: RUNS tasks (50) started at once on one plugin (one client
# thread each, released together), the wall time until every StartTask has answered (every
# pot runs); then all stopped and destroyed at once (StopTask SIGTERM + DestroyTask), timed
# too. Each client thread keeps a WaitTask open on its task, as Nomad's client does. The
# plugin's memory (VmRSS, VmHWM, threads from /proc/PID/status) at idle, after one task,
# with the tasks running and after they are gone. Target: VmRSS <= 30 MB with 50 tasks.
# The image is a busybox pot running `sleep 3600`, served by `pot registry serve` on
# 127.0.0.1 and imported once before.
#
# usage: sudo bench/driver_many.sh [POT_BINARY]      (default: build/release/pot)
# env:   RUNS (50), NETWORK (inherit, or none), DRIVER, DRIVER_START, POT_NETWORK
#        (10.126.0.0/16), POT_GATEWAY (10.126.0.1), OUT (build/bench/driver_many.txt),
#        as driver_start.sh
#
# Everything it makes is removed on exit, and the removal is checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-50}
NETWORK=${NETWORK:-inherit}
OUT=${OUT:-$REPO_ROOT/build/bench/driver_many.txt}
export POT_NETWORK=${POT_NETWORK:-10.126.0.0/16}
export POT_GATEWAY=${POT_GATEWAY:-10.126.0.1}

bench_driver_setup "${1:-$REPO_ROOT/build/release/pot}"
echo "   driver binary: $(stat -c %s "$DRIVER") bytes; shared libraries:" \
  "$(ldd "$DRIVER" | awk '{print $1}' | grep -cv '^/')"
bench_setup_image
echo "   image $BENCH_IMAGE_POT $BENCH_IMAGE_TAG at $IMAGE_URL (imported once: cached)"

mkdir -p "$(dirname "$OUT")"
KILL_PIDFILES+=("$WORK/plugin.pid")
# In the background, so that an interrupted script stops it too (KILL_PIDS), and the plugin
# it started (KILL_PIDFILES: the plugin ignores SIGINT, as a Nomad plugin must).
"$DRIVER_START" many --driver "$DRIVER" --pot "$POT" --url "$IMAGE_URL" \
  --image "$BENCH_IMAGE_POT" --tag "$BENCH_IMAGE_TAG" --runs "$RUNS" --network "$NETWORK" \
  --work "$WORK" --pidfile "$WORK/plugin.pid" > >(tee "$OUT") &
KILL_PIDS+=("$!")
wait "$!"
echo "  output: $OUT"
