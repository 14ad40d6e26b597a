#!/usr/bin/env bash
# Image benchmark: `pot export` and `pot import` of a Debian minbase + nginx pot, against
#   floor: tar | zstd -3 -T0 (export) and zstd -dc | tar -x (import), the same format
#          made by the standard tools, and
#   xz:    tar | xz -6 and xz -dc | tar -x, the original pot's compression.
# Reports time (median), image size and import throughput (unpacked bytes / second).
# Targets: export and import within 1.5x of the floor, and at least 10x faster than xz.
#
# usage: sudo bench/image_transfer.sh [POT_BINARY]     (default: build/release/pot)
# env:   RUNS (5), XZ_RUNS (1), SUITE (bookworm),
#        BASE_TAR (build/bench/debian-nginx.tar: the debootstrapped tree, made on the first
#        run with `pot create-base -r debian:SUITE -i nginx-light` and reused afterwards)
#
# Everything it makes (pot pool + loop device, temp dirs) is removed on exit, and checked.
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$REPO_ROOT/bench/lib.sh"
RUNS=${RUNS:-5}
XZ_RUNS=${XZ_RUNS:-1}
SUITE=${SUITE:-bookworm}
BASE_TAR=${BASE_TAR:-$REPO_ROOT/build/bench/debian-nginx.tar}
OUT_DIR=$REPO_ROOT/build/bench

bench_init "${1:-$REPO_ROOT/build/release/pot}" zstd xz tar
bench_install_traps
WORK=$(mktemp -d -t pot-bench-image.XXXXXX)
mkdir -p "$OUT_DIR"

POT_FS_ROOT=$(mktemp -d -t pot-bench-root.XXXXXX)
POT_TAG=$(pot_root_tag "$POT_FS_ROOT")
export POT_FS_ROOT POT_POOL_SIZE=6G
echo "== setup: pot $POT, kernel $(uname -r), $(nproc) CPUs"
"$POT" init
if [[ ! -s $BASE_TAR ]]; then
  echo "== building the Debian $SUITE minbase + nginx-light base (debootstrap, once)"
  "$POT" create-base -b debian -r "debian:$SUITE" -i nginx-light
  # Without /dev: bases may not hold device nodes (a pot gets its own /dev at start).
  tar -C "$POT_FS_ROOT/bases/debian" --numeric-owner --exclude="./dev/*" -cf "$BASE_TAR.tmp" .
  mv "$BASE_TAR.tmp" "$BASE_TAR"
else
  "$POT" create-base -b debian -r "tar:$BASE_TAR"
fi
"$POT" create -p web -b debian
"$POT" set-cmd -p web -c "nginx -g 'daemon off;'"
"$POT" snapshot -p web
SNAP=$(ls -d "$POT_FS_ROOT"/jails/web/snap/* | tail -1)
UNPACKED=$(du -sb --apparent-size "$SNAP" | cut -f1)
FILES=$(find "$SNAP" | wc -l)
echo "== the pot: $((UNPACKED / 1000000)) MB in $FILES entries"

IMAGES=$WORK/images
mkdir -p "$IMAGES"
DEST=$POT_FS_ROOT/jails/.floor-dest   # the floor unpacks on the same btrfs pool as pot
CACHE=$POT_FS_ROOT/cache

hf() { # name runs prepare command...
  local name=$1 runs=$2 prepare=$3
  shift 3
  hyperfine --runs "$runs" --prepare "$prepare" --export-json "$WORK/$name.json" "$@" >&2
  jq -r '.results[0].median' "$WORK/$name.json"
}

echo "== export"
T_EXPORT=$(hf export "$RUNS" "sync" "$POT export -p web -t 1 -D $IMAGES")
T_FLOOR_EXPORT=$(hf floor_export "$RUNS" "sync" \
  "tar -C $SNAP --numeric-owner -cf - . | zstd -q -3 -T0 > $WORK/floor.tar.zst")
T_XZ_EXPORT=$(hf xz_export "$XZ_RUNS" "sync" "tar -C $SNAP --numeric-owner -cf - . | xz -6 > $WORK/x.tar.xz")
S_POT=$(stat -c %s "$IMAGES/web_1.tar.zst")
S_FLOOR=$(stat -c %s "$WORK/floor.tar.zst")
S_XZ=$(stat -c %s "$WORK/x.tar.xz")

echo "== import"
T_IMPORT=$(hf import "$RUNS" "$POT destroy -p web_1 >/dev/null 2>&1; rm -rf $CACHE/*; sync" \
  "$POT import -p web -t 1 -U file://$IMAGES")
T_FLOOR_IMPORT=$(hf floor_import "$RUNS" "rm -rf $DEST; mkdir $DEST; sync" \
  "zstd -dc $WORK/floor.tar.zst | tar -C $DEST --numeric-owner -xf -")
T_XZ_IMPORT=$(hf xz_import "$XZ_RUNS" "rm -rf $DEST; mkdir $DEST; sync" \
  "xz -dc $WORK/x.tar.xz | tar -C $DEST --numeric-owner -xf -")
rm -rf "$DEST"

python3 - "$UNPACKED" "$T_EXPORT" "$T_FLOOR_EXPORT" "$T_XZ_EXPORT" "$S_POT" "$S_FLOOR" "$S_XZ" \
  "$T_IMPORT" "$T_FLOOR_IMPORT" "$T_XZ_IMPORT" <<'EOF' | tee "$OUT_DIR/image_transfer.txt"
import sys
u, te, tfe, txe, sp, sf, sx, ti, tfi, txi = map(float, sys.argv[1:])
mb = lambda b: b / 1e6
print(f"unpacked: {mb(u):.1f} MB")
print(f"{'':14}{'export s':>10}{'size MB':>10}{'import s':>10}{'import MB/s':>13}")
for name, e, s, i in (("pot", te, sp, ti), ("tar|zstd", tfe, sf, tfi), ("tar|xz -6", txe, sx, txi)):
    print(f"{name:14}{e:10.2f}{mb(s):10.1f}{i:10.2f}{mb(u) / i:13.1f}")
print(f"export: pot/floor {te / tfe:.2f}x (target <= 1.5), xz/pot {txe / te:.1f}x (target >= 10)")
print(f"import: pot/floor {ti / tfi:.2f}x (target <= 1.5), xz/pot {txi / ti:.1f}x (target >= 10)")
EOF
