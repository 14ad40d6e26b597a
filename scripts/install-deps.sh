#!/bin/sh
# Installs everything pot needs to build, test and benchmark, from Debian's archive only.
# Idempotent: packages already present are skipped, so running it twice costs one dpkg query.
set -eu

# The Nomad driver: gRPC, protobuf, msgpack (the line from libgrpc++-dev); then Go and
# HashiCorp's Go libraries for the test tool tests/nomad_client (a comment inside the list
# would be read as package names).
PACKAGES="
  build-essential cmake ninja-build pkg-config git
  libgtest-dev libgmock-dev libbenchmark-dev clang-format clang-tidy
  libbtrfsutil-dev btrfs-progs
  libnl-route-3-dev libnftables-dev nftables
  libseccomp-dev libarchive-dev liblzma-dev libzstd-dev zlib1g-dev libbz2-dev
  nettle-dev libacl1-dev liblz4-dev libxml2-dev
  nlohmann-json3-dev libfmt-dev
  libsodium-dev libcurl4-openssl-dev libcpp-httplib-dev nginx-light zstd xz-utils
  busybox-static debootstrap
  iproute2 util-linux
  runc hyperfine wrk jq strace
  clang-14 libfuzzer-14-dev libclang-rt-14-dev
  qemu-system-x86
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libmsgpack-cxx-dev
  libsqlite3-dev sqlite3
  libasio-dev libldns-dev python3-consul dnsutils dnsperf python3-grpcio
  golang-go golang-github-hashicorp-go-plugin-dev golang-github-hashicorp-hcl-v2-dev
  golang-github-zclconf-go-cty-dev golang-google-grpc-dev
"

missing=""
for pkg in $PACKAGES; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing="$missing $pkg"
  fi
done

if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: must run as root to install packages" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # Packages with a daemon (nginx, a test peer) must not start it: a policy-rc.d that says
  # no, for the time of this install only.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=1
  fi
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing || status=$?
  [ "$own_policy" -eq 1 ] && rm -f "$policy"
  exit "${status:-0}"
fi
