#!/bin/sh
# Builds the guest of the VM tier into build/vm/: Debian's stock kernel (extracted from its
# package, never installed on this host) and a small initramfs holding busybox-static, the
# modules needed to reach the host's root over virtio 9p, and tests/vm/guest-init.sh as
# /init. Does nothing when build/vm/ already matches the kernel apt resolves and the inputs
# of the initramfs.
#
# Output: build/vm/kernel/ (the package's tree, with modules.dep made by busybox depmod),
# build/vm/vmlinuz and build/vm/initrd.gz (links/files run.sh boots).
set -eu
cd "$(dirname "$0")/../.."
repo=$(pwd)
vm=$repo/build/vm
mkdir -p "$vm"

# The kernel: the image package the linux-image-amd64 metapackage points at. Package lists
# may be missing on a fresh host; fetch them once in that case.
resolve_kernel() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n 's/^ *Depends: <\{0,1\}\(linux-image-[^ >]*\)>\{0,1\}$/\1/p' | head -n 1
}
pkg=$(resolve_kernel)
if [ -z "$pkg" ]; then
  echo "build-guest: no package lists for linux-image-amd64, running apt-get update" >&2
  apt-get update -qq >&2 || true
  pkg=$(resolve_kernel)
fi
if [ -n "$pkg" ]; then
  version=$(apt-cache show --no-all-versions "$pkg" | sed -n 's/^Version: //p' | head -n 1)
  kernel_id="$pkg $version"
elif [ -s "$vm/kernel.stamp" ]; then
  # No archive to ask (offline): the kernel already here will do.
  kernel_id=$(cat "$vm/kernel.stamp")
  echo "build-guest: cannot resolve linux-image-amd64; using the cached $kernel_id" >&2
else
  echo "build-guest: cannot resolve linux-image-amd64 (apt-get update failed?)" >&2
  exit 1
fi
pkg=${kernel_id% *} version=${kernel_id#* }

# 1. Download and extract the kernel package, unless build/vm/kernel holds this very one.
if [ "$(cat "$vm/kernel.stamp" 2>/dev/null)" != "$kernel_id" ]; then
  echo "build-guest: fetching $kernel_id" >&2
  rm -rf "$vm/dl" "$vm/kernel" "$vm/kernel.stamp"
  mkdir -p "$vm/dl"
  # Its stderr is shown only on failure: on success it is just apt's warning that its
  # sandbox user cannot write into a root-owned build tree.
  if ! (cd "$vm/dl" && apt-get download -qq "$pkg=$version" 2>"$vm/dl/apt.err"); then
    cat "$vm/dl/apt.err" >&2
    echo "build-guest: apt-get download $pkg=$version failed" >&2
    exit 1
  fi
  set -- "$vm"/dl/"$pkg"_*.deb
  deb=$1
  [ -f "$deb" ] || { echo "build-guest: apt-get download left no $pkg .deb" >&2; exit 1; }
  dpkg-deb -x "$deb" "$vm/kernel"
  kver=$(ls "$vm/kernel/lib/modules")
  # The package ships no modules.dep (its postinst runs depmod); busybox's depmod writes
  # modules.dep, modules.alias and modules.symbols, which busybox modprobe reads in the guest.
  busybox depmod -b "$vm/kernel" "$kver"
  rm -rf "$vm/dl"  # 70 MB we no longer need: the stamp says what the tree is
  echo "$kernel_id" >"$vm/kernel.stamp"
fi
kver=$(ls "$vm/kernel/lib/modules")
moddir=$vm/kernel/lib/modules/$kver
config=$vm/kernel/boot/config-$kver

# 2. The initramfs. Modules it must load before it can mount the host's root: the virtio PCI
# transport, 9p over virtio, and overlayfs for the writable layer; each only when the
# kernel's config makes it a module (=m), with its dependencies from modules.dep, in load
# order (dependencies first).
wanted=""
for pair in VIRTIO_PCI:virtio_pci NET_9P_VIRTIO:9pnet_virtio 9P_FS:9p OVERLAY_FS:overlay; do
  opt=${pair%%:*} mod=${pair#*:}
  case $(sed -n "s/^CONFIG_$opt=//p" "$config") in
    m) wanted="$wanted $mod" ;;
    y) ;;
    *) echo "build-guest: the kernel lacks CONFIG_$opt" >&2; exit 1 ;;
  esac
done
# modules.dep lines read "kernel/path/a.ko: kernel/path/b.ko ..." with every dependency,
# direct or not, listed; load each module's dependencies in reverse order, then the module.
load_order=$(awk -v wanted="$wanted" '
  { path = $1; sub(/:$/, "", path); name = path; sub(/.*\//, "", name); sub(/\.ko.*$/, "", name)
    gsub(/-/, "_", name); deps[name] = ""; for (i = NF; i >= 2; i--) deps[name] = deps[name] " " $i
    file[name] = path; byfile[path] = name }
  function load(n,   list, k, i) {
    if (done[n]++) return
    k = split(deps[n], list, " ")
    for (i = 1; i <= k; i++) load(byfile[list[i]])
    print file[n]
  }
  END { k = split(wanted, w, " "); for (i = 1; i <= k; i++) {
          if (!(w[i] in file)) { print "missing module " w[i] > "/dev/stderr"; exit 1 }
          load(w[i]) } }' "$moddir/modules.dep")

busybox_bin=$(command -v busybox)
stamp=$( {
  echo "$kernel_id"
  echo "$load_order"
  sha256sum "$busybox_bin" tests/vm/guest-init.sh tests/vm/build-guest.sh | cut -d' ' -f1
} | sha256sum | cut -d' ' -f1)
if [ "$(cat "$vm/initrd.stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$vm/initrd.gz" ]; then
  exit 0
fi

echo "build-guest: making the initramfs" >&2
staging=$vm/initrd.d
rm -rf "$staging"
mkdir -p "$staging/bin" "$staging/dev" "$staging/proc" "$staging/sys" "$staging/lower" \
  "$staging/rw" "$staging/newroot" "$staging/modules"
cp "$busybox_bin" "$staging/bin/busybox"
ln -s busybox "$staging/bin/sh"
cp tests/vm/guest-init.sh "$staging/init"
chmod 755 "$staging/init"
# The kernel opens /dev/console for init's stdio before init can mount devtmpfs.
mknod -m 600 "$staging/dev/console" c 5 1
: >"$staging/modules/load-order"
for path in $load_order; do
  cp "$moddir/$path" "$staging/modules/"
  echo "${path##*/}" >>"$staging/modules/load-order"
done
(cd "$staging" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null) | gzip -6 >"$vm/initrd.gz.new"
mv "$vm/initrd.gz.new" "$vm/initrd.gz"
rm -rf "$staging"  # holds a device node; nothing else needs it
cp "$vm/kernel/boot/vmlinuz-$kver" "$vm/vmlinuz"
echo "$stamp" >"$vm/initrd.stamp"
