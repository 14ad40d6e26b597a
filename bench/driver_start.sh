#!/usr/bin/env bash
# nomad-pot-driver's start time (image already cached): StartTask of a fresh task on one
# plugin, from the request to its response (the pot runs: the driver's `pot start -O -E`
# has returned), against the same start by hand, `pot prepare -U URL -p IMG -t TAG -a ALLOC
# -n NAME -N NET` + `pot start -O OUT -E ERR NAME_ALLOC`, timed together. The two alternate,
# RUNS of each; stopping and destroying are not timed. The image is a busybox pot running
# `sleep 3600`, served by `pot registry serve` on 127.0.0.1 and imported once before.
# Target: driver median - baseline median <= 10 ms.
#
# usage: sudo bench/driver_start.sh [POT_BINARY]      (default: build/release/pot)
# env:   RUNS (50), NETWORK (inherit: the driver's default for a task without ports; or
#        none), DRIVER (nomad-pot-driver beside POT), DRIVER_START (bench/driver_start of
#        the same build), POT_NETWORK (10.126.0.0/16), POT_GATEWAY (10.126.0.1),
#        OUT (build/bench/driver_start.txt: the output)
#
# Everything it makes (the plugin, the registry server, pots, pool + loop device, cgroups,
# temp dirs) is removed on exit, and the removal is checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-50}
NETWORK=${NETWORK:-inherit}
OUT=${OUT:-$REPO_ROOT/build/bench/driver_start.txt}
export POT_NETWORK=${POT_NETWORK:-10.126.0.0/16}
export POT_GATEWAY=${POT_GATEWAY:-10.126.0.1}

bench_driver_setup "${1:-$REPO_ROOT/build/release/pot}"
bench_setup_image
echo "   image $BENCH_IMAGE_POT $BENCH_IMAGE_TAG at $IMAGE_URL (imported once: cached)"

mkdir -p "$(dirname "$OUT")"
KILL_PIDFILES+=("$WORK/plugin.pid")
# In the background, so that an interrupted script stops it too (KILL_PIDS), and the plugin
# it started (KILL_PIDFILES: the plugin ignores SIGINT, as a Nomad plugin must).
"$DRIVER_START" start --driver "$DRIVER" --pot "$POT" --url "$IMAGE_URL" \
  --image "$BENCH_IMAGE_POT" --tag "$BENCH_IMAGE_TAG" --runs "$RUNS" --network "$NETWORK" \
  --work "$WORK" --pidfile "$WORK/plugin.pid" > >(tee "$OUT") &
KILL_PIDS+=("$!")
wait "$!"
echo "  output: $OUT"
