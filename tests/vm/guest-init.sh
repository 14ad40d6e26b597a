#!/bin/sh
# PID 1 of the VM tier's guest, in two stages.
#
# stage 1 (no argument; /init of the initramfs, busybox only): load the modules that reach
#   the host, mount the host's root read-only over virtio 9p, put an overlay with a tmpfs
#   upper over it, and switch_root into that, running stage 2 from the host's checkout.
# stage 2 ("stage2"; the host's own programs from here on): the mounts a booted system has,
#   the Debian kernel's modules at /lib/modules (for the kernel's module autoload), ONLY a
#   cgroup2 hierarchy at /sys/fs/cgroup arranged as systemd would, then tests/vm/tests.sh,
#   a final "POT-VM-RESULT: ..." line on the serial console, and power off.
#
# run.sh passes these through the kernel command line (the kernel hands NAME=value words
# it does not know to init's environment): POT_VM_REPO (the checkout), POT_VM_BUILD (the
# build tree whose tests run), POT_VM_MODULES (build/vm/kernel/lib/modules).
set -eu
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

# Whatever goes wrong, end with a marker and power off; PID 1 exiting would panic the kernel
# and leave run.sh with nothing but "no marker".
finish() {
  echo "POT-VM-RESULT: $*"
  sync
  # The host's /sbin/poweroff is systemd's; busybox's -f powers off right away.
  busybox poweroff -f 2>/dev/null || echo o >/proc/sysrq-trigger
  sleep 60
}

stage1() {
  /bin/busybox --install -s /bin
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev
  exec </dev/console >/dev/console 2>&1
  echo "guest: stage 1 on $(uname -r)"
  while read -r module; do
    insmod "/modules/$module"
  done </modules/load-order

  # The virtio device may show up a moment after its driver loads.
  tries=0
  until mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose \
    hostroot /lower 2>/dev/null; do
    tries=$((tries + 1))
    [ "$tries" -lt 50 ] || finish "FAIL cannot mount the host root over 9p"
    sleep 0.1
  done
  mount -t tmpfs -o mode=755 rw /rw
  mkdir /rw/upper /rw/work
  mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot
  for dir in dev proc sys; do mount --move "/$dir" "/newroot/$dir"; done
  # Stage 2 is read from the checkout, so editing it needs no new initramfs.
  exec switch_root /newroot /bin/sh "$POT_VM_REPO/tests/vm/guest-init.sh" stage2
}

stage2() {
  trap 'finish "FAIL guest-init stage 2 stopped early (see above)"' EXIT
  echo "guest: stage 2"
  mkdir -p /dev/pts /dev/shm
  mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
  mount -t tmpfs -o mode=1777 shm /dev/shm
  # The checkout and the build may live under /tmp (a CI clone often does): keep them
  # reachable through binds made before the tmpfs mounts hide them, and put them back.
  mkdir -p /mnt/pot-vm/repo /mnt/pot-vm/build
  mount --bind "$POT_VM_REPO" /mnt/pot-vm/repo
  mount --bind "$POT_VM_BUILD" /mnt/pot-vm/build
  for dir in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 tmp "$dir"; done
  mount -t tmpfs -o mode=755 run /run
  for kept in repo:"$POT_VM_REPO" build:"$POT_VM_BUILD"; do
    path=${kept#*:}
    [ -d "$path" ] && continue
    mkdir -p "$path"
    mount --bind "/mnt/pot-vm/${kept%%:*}" "$path"
  done
  mkdir -p /run/lock

  # Module autoload: the kernel runs /proc/sys/kernel/modprobe, and the host has no kmod,
  # so point it at busybox's modprobe (busybox picks the applet from the link's name),
  # which reads the modules.dep/alias that build-guest.sh made.
  mkdir -p /lib/modules /run/pot-vm
  mount --bind "$POT_VM_MODULES" /lib/modules
  ln -s /bin/busybox /run/pot-vm/modprobe
  echo /run/pot-vm/modprobe >/proc/sys/kernel/modprobe
  # /dev/loop-control only appears once loop is loaded: nothing would trigger its autoload.
  busybox modprobe loop

  # Only the unified hierarchy (cgroup_no_v1=all keeps v1 controllers away). As systemd does:
  # init in a leaf group of its own, every controller enabled in the root's subtree_control,
  # and the tests in a service's group under system.slice.
  mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup
  cg=/sys/fs/cgroup
  mkdir "$cg/init.scope" "$cg/system.slice"
  echo $$ >"$cg/init.scope/cgroup.procs"
  for controller in cpu memory pids cpuset io; do
    echo "+$controller" >"$cg/cgroup.subtree_control"
  done
  echo "+cpu +memory +pids +cpuset +io" >"$cg/system.slice/cgroup.subtree_control"
  mkdir "$cg/system.slice/pot-vm-tests.service"

  ip link set lo up
  hostname pot-vm
  echo "guest: cgroup2 controllers: $(cat "$cg/cgroup.subtree_control")"
  echo "guest: mounts of type cgroup: $(grep -c ' cgroup ' /proc/mounts || true)"

  # The tests, in their service group, with what a CI job would set.
  set +e
  (
    # A builtin echo writing 0 moves the writer: this subshell, and so all it runs.
    echo 0 >"$cg/system.slice/pot-vm-tests.service/cgroup.procs"
    cd /tmp
    export HOME=/root POT_CI=1 POT_VM_BUILD POT_VM_REPO
    exec /bin/bash "$POT_VM_REPO/tests/vm/tests.sh"
  )
  status=$?
  set -e
  # What the kernel loaded on demand (btrfs, overlay, veth, nf_tables, ...): a record of
  # what the tier covered, and a hint when autoload is what broke.
  echo "guest: modules loaded: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
  trap - EXIT
  # tests.sh exits with the number of failed tests (or 1 when it could not count them).
  if [ "$status" -eq 0 ]; then finish "PASS"; else finish "FAIL $status"; fi
}

case "${1:-stage1}" in
  stage1) stage1 ;;
  stage2) stage2 ;;
  *) finish "FAIL guest-init: unknown stage $1" ;;
esac
