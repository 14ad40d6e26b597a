# shellcheck shell=bash
# Shared by the bench/*.sh scripts (sourced, not run): a throw-away POT_FS_ROOT with a
# busybox base and a non-persistent pot running /bin/true, and the removal of everything a
# script made, checked afterwards.
#
# A script sets these before calling bench_cleanup (from its EXIT trap):
#   POT          absolute path of the pot binary
#   POT_FS_ROOT  the temporary pot root (made by bench_setup_pot)
#   WORK         a temporary directory for the script's own files (optional)
#   RUNC_ROOT    runc's --root state directory (optional)
#   EXTRA_CGROUPS  cgroup directories the script made itself (optional, array)
#   KILL_PIDS      processes the script started that outlive a command (optional, array)
#   KILL_PIDFILES  files holding the pid of such a process (optional, array): a pid is
#                  only written there while its process runs

BENCH_POT_NAME=bench-true
BENCH_BASE_NAME=bench
POT_FS_ROOT=""
POT_TAG=""
WORK=""
RUNC_ROOT=""
RUNC_ID="potbench-$$"
EXTRA_CGROUPS=()
KILL_PIDS=()
KILL_PIDFILES=()

bench_die() { echo "${0##*/}: $*" >&2; exit 1; }

# Checks root and tools, and sets POT from $1 (default build/release/pot).
bench_init() {
  local pot_arg=$1
  shift
  [[ $EUID -eq 0 ]] || bench_die "run as root (pot, unshare and runc need it)"
  [[ -x $pot_arg ]] ||
    bench_die "no pot binary at $pot_arg (build: cmake --preset release && cmake --build build/release --target pot)"
  POT=$(realpath "$pot_arg")
  local tool
  for tool in hyperfine jq unshare chroot python3 findmnt losetup "$@"; do
    command -v "$tool" >/dev/null || bench_die "$tool is not installed (apt-get install -y hyperfine runc jq)"
  done
}

# The cgroup group pot uses is pot-<FNV-1a of POT_FS_ROOT>/<pot> (src/core/settings.cc).
pot_root_tag() {
  python3 -c 'import sys
h = 2166136261
for c in sys.argv[1].encode():
    h = ((h ^ c) * 16777619) & 0xffffffff
print("%08x" % h)' "$1"
}

# The host ends of pot POT's veths in root TAG that exist now, one per line: potv + 7 hex
# digits of the 64-bit FNV-1a of "<tag>/<pot>", then 4 of the run (src/net/interface_names.cc).
bench_pot_veths() {
  local prefix
  prefix=$(python3 -c 'import sys
h = 14695981039346656037
for c in sys.argv[1].encode():
    h = ((h ^ c) * 1099511628211) & 0xffffffffffffffff
print("potv" + ("%016x" % h)[-7:])' "$1/$2")
  ip -o link show | sed -n 's/^[0-9]*: \([^:@]*\).*/\1/p' | grep "^$prefix" || true
}

# After bench_cleanup (pot de-init): the network objects of root TAG and pot POT that de-init
# should have removed (the bridge potbr<tag>, the table inet pot_<tag>, the pot's veths) are
# removed by hand if there, and reported. Sets BENCH_NET_LEFT to what is still there and
# BENCH_NET_OBJECTS to their names, for the scripts' own summary.
bench_net_cleanup() {
  local tag=$1 pot=$2 bridge=potbr$1 table=pot_$1 veth by_hand=()
  for veth in $(bench_pot_veths "$tag" "$pot"); do
    by_hand+=("veth $veth") && ip link del "$veth" 2>/dev/null
  done
  ip link show "$bridge" >/dev/null 2>&1 && by_hand+=("bridge $bridge") &&
    ip link del "$bridge" 2>/dev/null
  nft list table inet "$table" >/dev/null 2>&1 && by_hand+=("nft table inet $table") &&
    nft delete table inet "$table" 2>/dev/null
  (( ${#by_hand[@]} )) && echo "${0##*/}: pot de-init left (removed by hand): ${by_hand[*]}" >&2
  BENCH_NET_LEFT=()
  for veth in $(bench_pot_veths "$tag" "$pot"); do BENCH_NET_LEFT+=("veth $veth"); done
  ip link show "$bridge" >/dev/null 2>&1 && BENCH_NET_LEFT+=("bridge $bridge")
  nft list tables 2>/dev/null | grep -qw "$table" && BENCH_NET_LEFT+=("nft table inet $table")
  # shellcheck disable=SC2034  # for the sourcing script's summary
  BENCH_NET_OBJECTS="bridge $bridge, veths of $pot, nft table $table"
}

# A fresh POT_FS_ROOT (1G btrfs pool), a busybox base and a clone of it (type single: a
# btrfs snapshot), non-persistent, running /bin/true. Sets ROOTFS to the pot's root.
bench_setup_pot() {
  POT_FS_ROOT=$(mktemp -d -t pot-bench-root.XXXXXX)
  POT_TAG=$(pot_root_tag "$POT_FS_ROOT")
  export POT_FS_ROOT POT_POOL_SIZE=1G
  "$POT" init
  "$POT" create-base -b "$BENCH_BASE_NAME" -r busybox
  "$POT" create -p "$BENCH_POT_NAME" -b "$BENCH_BASE_NAME"
  "$POT" set-attr -p "$BENCH_POT_NAME" -A persistent -V NO
  "$POT" set-cmd -p "$BENCH_POT_NAME" -c /bin/true
  ROOTFS=$POT_FS_ROOT/jails/$BENCH_POT_NAME/m
  [[ -x $ROOTFS/bin/true ]] || bench_die "the pot's root $ROOTFS has no /bin/true"
}

# An OCI bundle in $WORK/bundle whose rootfs is a copy of ROOTFS, running /bin/true with
# the floor's namespaces (runc spec has no cgroup namespace by default: add it).
bench_setup_runc_bundle() {
  BUNDLE=$WORK/bundle
  RUNC_ROOT=$WORK/runc-state
  mkdir -p "$BUNDLE" "$RUNC_ROOT"
  cp -a "$ROOTFS" "$BUNDLE/rootfs"
  (cd "$BUNDLE" && runc spec)
  jq '.process.args = ["/bin/true"] | .process.terminal = false | .root.readonly = false
      | .linux.namespaces |= (if any(.[]; .type == "cgroup") then . else . + [{"type": "cgroup"}] end)' \
    "$BUNDLE/config.json" >"$BUNDLE/config.json.new"
  mv "$BUNDLE/config.json.new" "$BUNDLE/config.json"
}

# For the driver benchmarks: a fresh POT_FS_ROOT with a busybox base and a pot running
# `sleep 3600`, exported as the image $BENCH_IMAGE_POT $BENCH_IMAGE_TAG into $WORK/registry,
# served by `pot registry serve` on 127.0.0.1 (IMAGE_URL; its pid in KILL_PIDS) and
# imported once, so that the image pot is there (the cache is warm). Needs WORK.
BENCH_IMAGE_POT=benchsleep
BENCH_IMAGE_TAG=1.0
bench_setup_image() {
  POT_FS_ROOT=$(mktemp -d -t pot-bench-root.XXXXXX)
  POT_TAG=$(pot_root_tag "$POT_FS_ROOT")
  export POT_FS_ROOT POT_POOL_SIZE=1G
  "$POT" init
  "$POT" create-base -b "$BENCH_BASE_NAME" -r busybox
  "$POT" create -p "$BENCH_IMAGE_POT" -b "$BENCH_BASE_NAME"
  "$POT" set-cmd -p "$BENCH_IMAGE_POT" -c "sleep 3600"
  mkdir -p "$WORK/registry"
  "$POT" export -p "$BENCH_IMAGE_POT" -t "$BENCH_IMAGE_TAG" -D "$WORK/registry" >/dev/null
  "$POT" destroy -p "$BENCH_IMAGE_POT" -F
  "$POT" registry serve -D "$WORK/registry" -l 127.0.0.1:0 >"$WORK/registry.out" 2>&1 &
  KILL_PIDS+=("$!")
  IMAGE_URL=""
  for _ in $(seq 100); do
    IMAGE_URL=$(sed -n 's|^.*serving .* on \(http://127\.0\.0\.1:[1-9][0-9]*\)$|\1|p' "$WORK/registry.out" 2>/dev/null || true)
    [[ -n $IMAGE_URL ]] && break
    sleep 0.1
  done
  [[ -n $IMAGE_URL ]] || bench_die "the registry server did not start: $(cat "$WORK/registry.out")"
  "$POT" import -p "$BENCH_IMAGE_POT" -t "$BENCH_IMAGE_TAG" -U "$IMAGE_URL" >/dev/null
}

bench_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  local id dir loop pid file pids=()
  # Our own background processes (a registry server, a plugin), before the pots go.
  for pid in "${KILL_PIDS[@]}"; do pids+=("$pid"); done
  for file in "${KILL_PIDFILES[@]}"; do [[ -s $file ]] && pids+=("$(<"$file")"); done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  # runc: a container left by an interrupted run, then its cgroups (runc names them by id).
  if [[ -n $RUNC_ROOT && -d $RUNC_ROOT ]]; then
    for id in $(runc --root "$RUNC_ROOT" list -q 2>/dev/null); do
      runc --root "$RUNC_ROOT" delete -f "$id" >/dev/null 2>&1
    done
  fi
  for dir in /sys/fs/cgroup/*/"$RUNC_ID"; do [[ -d $dir ]] && rmdir "$dir" 2>/dev/null; done
  for dir in "${EXTRA_CGROUPS[@]}"; do [[ -d $dir ]] && rmdir "$dir" 2>/dev/null; done
  # pot: de-init destroys the pot and the base, unmounts the pool (releasing the
  # auto-clearing loop device), removes the image and POT_FS_ROOT itself.
  if [[ -n $POT_FS_ROOT && -d $POT_FS_ROOT ]]; then
    POT_FS_ROOT=$POT_FS_ROOT "$POT" de-init >/dev/null 2>&1 ||
      echo "${0##*/}: pot de-init failed, cleaning up by hand" >&2
    if findmnt -rn --mountpoint "$POT_FS_ROOT" >/dev/null 2>&1; then
      umount "$POT_FS_ROOT" 2>/dev/null || umount -l "$POT_FS_ROOT" 2>/dev/null
    fi
    if [[ -e $POT_FS_ROOT/.pot-pool.img ]]; then
      for loop in $(losetup -j "$POT_FS_ROOT/.pot-pool.img" 2>/dev/null | cut -d: -f1); do
        losetup -d "$loop" 2>/dev/null
      done
    fi
    # Only ever remove the directory when nothing is mounted on it any more.
    if ! findmnt -rn --mountpoint "$POT_FS_ROOT" >/dev/null 2>&1; then
      rm -rf --one-file-system "$POT_FS_ROOT"
    fi
  fi
  if [[ -n $POT_TAG ]]; then
    for dir in /sys/fs/cgroup/*/pot-"$POT_TAG"/*/ /sys/fs/cgroup/*/pot-"$POT_TAG"/; do
      [[ -d $dir ]] && rmdir "$dir" 2>/dev/null
    done
  fi
  [[ -n $WORK && -d $WORK ]] && rm -rf --one-file-system "$WORK"

  # Check that nothing of ours is left.
  local left=()
  [[ -n $POT_FS_ROOT && -e $POT_FS_ROOT ]] && left+=("$POT_FS_ROOT")
  [[ -n $POT_FS_ROOT ]] && findmnt -rn --mountpoint "$POT_FS_ROOT" >/dev/null 2>&1 &&
    left+=("mount on $POT_FS_ROOT")
  [[ -n $POT_FS_ROOT ]] && losetup -a 2>/dev/null | grep -qF "$POT_FS_ROOT/" &&
    left+=("loop device on $POT_FS_ROOT/.pot-pool.img")
  [[ -n $POT_TAG ]] && compgen -G "/sys/fs/cgroup/*/pot-$POT_TAG" >/dev/null &&
    left+=(/sys/fs/cgroup/*/pot-"$POT_TAG")
  compgen -G "/sys/fs/cgroup/*/$RUNC_ID" >/dev/null && left+=(/sys/fs/cgroup/*/"$RUNC_ID")
  for dir in "${EXTRA_CGROUPS[@]}"; do [[ -e $dir ]] && left+=("$dir"); done
  [[ -n $WORK && -e $WORK ]] && left+=("$WORK")
  if (( ${#left[@]} )); then
    echo "${0##*/}: cleanup left: ${left[*]}" >&2
    (( rc == 0 )) && rc=1
  else
    echo "cleanup: pool, loop device, mounts, cgroups, runc state and temp dirs removed"
  fi
  exit "$rc"
}

bench_install_traps() {
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# Median of the numbers on stdin (one a line).
median() {
  sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) { print "nan"; exit }
    print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The part every network benchmark's EXIT trap shares: bench_cleanup (our processes, pot
# de-init, the pool...) in a subshell, given the script's status RC; then the network
# objects of the root and of pot POT by hand if de-init left any (bench_net_cleanup), and
# the mounts under the root. Sets BENCH_RC to the cleanup's status and BENCH_LEFT to what is
# still there; returns 1 when the script made no root (nothing more to check).
bench_cleanup_root() {
  local rc=$1 pot=$2 tag=$POT_TAG root=$POT_FS_ROOT
  BENCH_LEFT=()
  (exit "$rc")
  (bench_cleanup)
  BENCH_RC=$?
  [[ -n $tag ]] || return 1
  bench_net_cleanup "$tag" "$pot"
  BENCH_LEFT=("${BENCH_NET_LEFT[@]}")
  [[ -n $root ]] && grep -qF " $root" /proc/self/mountinfo && BENCH_LEFT+=("mounts under $root")
  return 0
}

# The EXIT trap of the driver benchmarks: bench_cleanup_root (with NETWORK=inherit or none
# there should be no network objects), then the check.
bench_driver_cleanup() {
  local rc=$?
  set +e
  trap - EXIT INT TERM
  bench_cleanup_root "$rc" "-" || exit "$BENCH_RC"
  rc=$BENCH_RC
  local left=("${BENCH_LEFT[@]}")
  if (( ${#left[@]} )); then
    echo "${0##*/}: cleanup left: ${left[*]}" >&2
    (( rc == 0 )) && rc=1
  else
    echo "cleanup: the plugin, the registry server, bridge potbr$POT_TAG and nft table pot_$POT_TAG removed"
  fi
  exit "$rc"
}

bench_driver_traps() {
  trap bench_driver_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

# The setup both driver benchmarks share: POT from $1, the plugin and the gRPC client of the
# same build (DRIVER, DRIVER_START), the traps, a work directory (WORK). RUNS, NETWORK and
# the POT_* network settings are the caller's.
bench_driver_setup() {
  bench_init "$1" ip nft
  BUILD=$(dirname "$POT")
  DRIVER=${DRIVER:-$BUILD/nomad-pot-driver}
  DRIVER_START=${DRIVER_START:-$BUILD/bench/driver_start}
  [[ -x $DRIVER ]] || bench_die "no nomad-pot-driver at $DRIVER (set DRIVER)"
  [[ -x $DRIVER_START ]] ||
    bench_die "no driver_start at $DRIVER_START (cmake --build $BUILD --target driver_start)"
  [[ $NETWORK == inherit || $NETWORK == none ]] || bench_die "NETWORK is inherit or none"
  bench_driver_traps
  WORK=$(mktemp -d -t pot-bench-work.XXXXXX)
  echo "== setup: pot $POT, driver $DRIVER, kernel $(uname -r), $(nproc) CPUs, network $NETWORK"
}
