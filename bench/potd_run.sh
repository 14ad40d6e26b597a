#!/usr/bin/env bash
# potd end to end: the seed's job shape (a busybox httpd pot per allocation, cpu = 20,
# memory = 32, a dynamic port mapped to the pot's 80) with count 1, 10 and 100, timed from
# `potd job run -detach` until every allocation runs (as the agent's API reports it, polled
# every 20 ms), and its stop until every pot is gone; the single allocation again with the
# image cached (median of RUNS); potd's memory (VmRSS) idle and with 100 allocations; a potd
# restart (SIGKILL, then start) with 100 running allocations: the time until all are
# reconciled, and how many tasks restarted (must be 0); a batch job of BATCH allocations
# running /bin/true: total time and placements per second. Then, in the same run, the peer
# a single-machine user would pick: `podman kube play` of a Deployment with the same
# replicas of busybox httpd, its image made with `podman import` of the same busybox root.
#
# usage: sudo bench/potd_run.sh [POT_BINARY]     (default: build/release/pot; potd beside it)
# env:   RUNS (5), BATCH (1000), COUNTS ("1 10 100"), PODMAN (1: compare; 0: skip),
#        OUT (build/bench/potd_run.txt), POT_NETWORK (10.127.0.0/16), POT_GATEWAY
#
# Everything it makes is removed on exit, and the removal is checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-5}
BATCH=${BATCH:-1000}
COUNTS=${COUNTS:-"1 10 100"}
PODMAN=${PODMAN:-1}
OUT=${OUT:-$REPO_ROOT/build/bench/potd_run.txt}
export POT_NETWORK=${POT_NETWORK:-10.127.0.0/16}
export POT_GATEWAY=${POT_GATEWAY:-10.127.0.1}
BENCH_IMAGE_POT=potdbench
BENCH_IMAGE_TAG=1.0
PODMAN_POD=potd-bench-$$
# No systemd is needed: podman manages its cgroups itself.
PODMAN_CMD=(podman --cgroup-manager=cgroupfs)

bench_init "${1:-$REPO_ROOT/build/release/pot}" ip nft curl
POTD=$(dirname "$POT")/potd
[[ -x $POTD ]] || bench_die "no potd at $POTD (cmake --build build/release --target potd)"
if [[ $PODMAN == 1 ]] && ! command -v podman >/dev/null; then
  bench_die "podman is not installed (apt-get install -y podman), or run with PODMAN=0"
fi

potd_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  if [[ $PODMAN == 1 ]]; then
    [[ -f $WORK/deployment.yaml ]] && "${PODMAN_CMD[@]}" kube down "$WORK/deployment.yaml" >/dev/null 2>&1
    "${PODMAN_CMD[@]}" rmi -f "localhost/$PODMAN_POD:latest" >/dev/null 2>&1
  fi
  # The jobs go first, through the agent, so their pots are destroyed; then the agent.
  if [[ -n ${AGENT_ADDR:-} ]]; then
    for job in web batch; do
      curl -s -X DELETE -H "X-Nomad-Token: $TOKEN" "$AGENT_ADDR/v1/job/$job?purge=true" >/dev/null
    done
    for _ in $(seq 600); do
      [[ $(pots_of_jobs) == 0 ]] && break
      sleep 0.1
    done
  fi
  bench_cleanup_root "$rc" "-" || exit "$BENCH_RC"
  rc=$BENCH_RC
  if (( ${#BENCH_LEFT[@]} )); then
    echo "${0##*/}: cleanup left: ${BENCH_LEFT[*]}" >&2
    (( rc == 0 )) && rc=1
  else
    echo "cleanup: the agent, its pots, the registry server, the pool and the network removed"
  fi
  exit "$rc"
}
trap potd_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

WORK=$(mktemp -d -t potd-bench-work.XXXXXX)
bench_setup_image
mkdir -p "$(dirname "$OUT")"
exec > >(tee "$OUT") 2>&1
echo "== potd_run: $(uname -r), $(nproc) CPUs, $(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo) MB"

now_ms() { date +%s%3N; }
pots_of_jobs() {
  find "$POT_FS_ROOT/jails" -mindepth 1 -maxdepth 1 -name '*_*' ! -name '.*' ! -name "${BENCH_IMAGE_POT}_*" 2>/dev/null | wc -l
}
api() { curl -sf -H "X-Nomad-Token: $TOKEN" "$@"; }
count_status() { api "$AGENT_ADDR/v1/job/$1/allocations" | jq "[.[] | select(.ClientStatus == \"$2\")] | length"; }
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status"; }

start_agent() {
  "$POTD" agent -http-port 0 -data-dir "$WORK/potd" -node bench >"$WORK/agent.out" 2>&1 &
  AGENT_PID=$!
  KILL_PIDS+=("$AGENT_PID")
  local port=""
  for _ in $(seq 200); do
    port=$(sed -n 's/.*HTTP address: 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$WORK/agent.out")
    [[ -n $port ]] && break
    sleep 0.05
  done
  [[ -n $port ]] || bench_die "potd agent did not start: $(cat "$WORK/agent.out")"
  AGENT_ADDR=http://127.0.0.1:$port
  TOKEN=$(<"$WORK/potd/agent.token")
}

web_job() {
  cat <<EOF
job "web" {
  datacenters = ["dc1"]
  group "web" {
    count = $1
    network {
      port "http" {}
    }
    task "nginx" {
      driver = "pot"
      config {
        image    = "$IMAGE_URL/"
        pot      = "$BENCH_IMAGE_POT"
        tag      = "$BENCH_IMAGE_TAG"
        command  = "httpd -f -p 80 -h /tmp"
        port_map = { http = "80" }
      }
      resources {
        cpu    = 20
        memory = 32
      }
    }
  }
}
EOF
}

batch_job() {
  cat <<EOF
job "batch" {
  datacenters = ["dc1"]
  type        = "batch"
  group "once" {
    count = $1
    restart {
      attempts = 0
    }
    task "true" {
      driver = "pot"
      config {
        image   = "$IMAGE_URL/"
        pot     = "$BENCH_IMAGE_POT"
        tag     = "$BENCH_IMAGE_TAG"
        command = "/bin/true"
      }
      resources {
        cpu    = 1
        memory = 10
      }
    }
  }
}
EOF
}

# Runs job $1 (its file $2) detached and waits until $3 allocations have status $4;
# prints the milliseconds.
run_until() {
  local job=$1 file=$2 want=$3 status=$4 t0
  t0=$(now_ms)
  NOMAD_ADDR=$AGENT_ADDR NOMAD_TOKEN=$TOKEN "$POTD" job run -detach "$file" >/dev/null
  until [[ $(count_status "$job" "$status") -ge $want ]]; do
    if [[ $(count_status "$job" failed) -gt 0 ]]; then
      bench_die "$job: an allocation failed: $(api "$AGENT_ADDR/v1/job/$job/allocations" |
        jq -c '[.[] | select(.ClientStatus == "failed")][0].TaskStates[].Events[-3:][] | .DisplayMessage')"
    fi
    (( $(now_ms) - t0 < 600000 )) || bench_die "$job: $want $status not reached in 600 s"
    sleep 0.02
  done
  echo $(( $(now_ms) - t0 ))
}

stop_until_gone() {
  local t0
  t0=$(now_ms)
  NOMAD_ADDR=$AGENT_ADDR NOMAD_TOKEN=$TOKEN "$POTD" job stop -purge -detach -yes "$1" >/dev/null
  until [[ $(pots_of_jobs) == 0 ]]; do sleep 0.02; done
  echo $(( $(now_ms) - t0 ))
}

start_agent
echo "potd idle: VmRSS $(rss_kb) kB"

for count in $COUNTS; do
  web_job "$count" >"$WORK/web.nomad"
  ms=$(run_until web "$WORK/web.nomad" "$count" running)
  echo "count $count: potd job run -> all running: $ms ms"
  if [[ $count == 100 ]]; then
    rss=$(rss_kb)
    echo "potd with 100 running allocations: VmRSS $rss kB"
    # A restart after SIGKILL: reconciled when the agent reports all 100 running again.
    kill -KILL "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true
    t0=$(now_ms)
    start_agent
    until [[ $(count_status web running) -ge 100 ]]; do sleep 0.02; done
    restarts=$(api "$AGENT_ADDR/v1/job/web/allocations" | jq '[.[].TaskStates[].Restarts] | add')
    echo "potd SIGKILL + restart with 100 running: reconciled in $(( $(now_ms) - t0 )) ms, task restarts $restarts"
  fi
  echo "count $count: potd job stop -purge -> all pots gone: $(stop_until_gone web) ms"
done

times=()
web_job 1 >"$WORK/web.nomad"
for _ in $(seq "$RUNS"); do
  times+=("$(run_until web "$WORK/web.nomad" 1 running)")
  stop_until_gone web >/dev/null
done
echo "count 1, image cached: median $(printf '%s\n' "${times[@]}" | median) ms of ${times[*]}"

batch_job "$BATCH" >"$WORK/batch.nomad"
ms=$(run_until batch "$WORK/batch.nomad" "$BATCH" complete)
echo "batch of $BATCH x /bin/true: all complete in $ms ms ($(awk -v n="$BATCH" -v ms="$ms" 'BEGIN {printf "%.1f", n / (ms / 1000)}') placements/s)"
echo "potd after the batch: VmRSS $(rss_kb) kB"
stop_until_gone batch >/dev/null

if [[ $PODMAN == 1 ]]; then
  # podman raises RLIMIT_NOFILE and RLIMIT_NPROC in its containers beyond what this host
  # allows, and the start fails: the host's limits instead.
  printf '[containers]\ndefault_ulimits = ["nofile=%s:%s", "nproc=%s:%s"]\n' "$(ulimit -Sn)" "$(ulimit -Hn)" "$(ulimit -Su)" "$(ulimit -Hu)" \
    >"$WORK/containers.conf"
  export CONTAINERS_CONF=$WORK/containers.conf
  # The same busybox root as the pots', imported as an image: nothing is pulled.
  tar -C "$POT_FS_ROOT/bases/$BENCH_BASE_NAME" -cf "$WORK/busybox.tar" .
  "${PODMAN_CMD[@]}" import -q "$WORK/busybox.tar" "localhost/$PODMAN_POD:latest" >/dev/null
  for count in $COUNTS; do
    # One Deployment of one replica per allocation: podman's kube play runs one pod per
    # Deployment. No network (podman's bridge would leave firewall rules behind), so
    # podman does less than potd here, which gives it the benefit of the doubt.
    : >"$WORK/deployment.yaml"
    for i in $(seq "$count"); do
      cat >>"$WORK/deployment.yaml" <<EOF
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $PODMAN_POD-$i
spec:
  replicas: 1
  selector:
    matchLabels:
      app: $PODMAN_POD-$i
  template:
    metadata:
      labels:
        app: $PODMAN_POD-$i
    spec:
      containers:
        - name: httpd
          image: localhost/$PODMAN_POD:latest
          command: ["httpd", "-f", "-p", "80", "-h", "/tmp"]
          resources:
            limits:
              memory: 32Mi
              cpu: 20m
EOF
    done
    t0=$(now_ms)
    "${PODMAN_CMD[@]}" kube play --quiet --network none "$WORK/deployment.yaml" >/dev/null
    echo "podman kube play, $count replicas -> all running: $(( $(now_ms) - t0 )) ms"
    t0=$(now_ms)
    "${PODMAN_CMD[@]}" kube down "$WORK/deployment.yaml" >/dev/null
    echo "podman kube down, $count replicas: $(( $(now_ms) - t0 )) ms"
  done
fi
