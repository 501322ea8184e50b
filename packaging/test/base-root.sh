#!/usr/bin/env bash
# The clean Debian 12 the install tests put the .deb into, built once and cached:
# debootstrap minbase bookworm from deb.debian.org (~35 s), systemd (so a container can
# boot it), this host's Node 20 repacked into a .deb by dpkg-repack (NodeSource is not in
# Debian; gzip -1: ~35 s instead of ~3.5 min with xz), and the .debs sipprot depends on
# (libpcap0.8, nftables) downloaded into its apt cache, so installing sipprot later needs
# no network: the tests install inside network namespaces that have none.
#
#   bash packaging/test/base-root.sh CACHE_DIR     prints the root directory
# The root is CACHE_DIR/bookworm-node<VERSION>; it is rebuilt when missing or when the
# host's nodejs version changes. Callers serialise with flock(1) on CACHE_DIR/.lock.
# Tests never write into it: they mount an overlay on top. ~2 min on a fresh machine.
set -euo pipefail
CACHE=${1:?usage: base-root.sh CACHE_DIR}
MIRROR=${SIPPROT_TEST_MIRROR:-http://deb.debian.org/debian}
NODE_VERSION=$(dpkg-query -W -f='${Version}' nodejs)
ROOT=$CACHE/bookworm-node$NODE_VERSION
STAMP=$ROOT/.sipprot-test-root
if [ -f "$STAMP" ]; then
  echo "$ROOT"
  exit 0
fi
mkdir -p "$CACHE"
log() { printf 'base-root: %s (%ss)\n' "$1" "$SECONDS" >&2; }

NODE_DEB=$CACHE/nodejs_${NODE_VERSION}_amd64.deb
if [ ! -f "$NODE_DEB" ]; then
  log "dpkg-repack nodejs $NODE_VERSION"
  tmp=$(mktemp -d "$CACHE/.repack.XXXXXX")
  # Files npm replaced since the package was installed are reported and skipped; the
  # tests use node, not npm, inside the root.
  (cd "$tmp" && DPKG_DEB_COMPRESSOR_TYPE=gzip DPKG_DEB_COMPRESSOR_LEVEL=1 dpkg-repack nodejs 2>/dev/null >&2)
  mv "$tmp"/nodejs_*.deb "$NODE_DEB"
  rm -rf "$tmp"
fi

# Roots of an older Node, and builds a killed run left behind, go.
find "$CACHE" -maxdepth 1 \( -name 'bookworm-node*' -o -name 'nodejs_*.deb' -o -name '.root.*' \
  -o -name '.repack.*' \) ! -path "$ROOT" ! -path "$NODE_DEB" -exec rm -rf {} +
BUILD=$(mktemp -d "$CACHE/.root.XXXXXX")
trap 'rm -rf "$BUILD"' EXIT
log "debootstrap bookworm minbase"
debootstrap --variant=minbase bookworm "$BUILD" "$MIRROR" >/dev/null
in_root() {
  # A private mount namespace: /proc is mounted for apt and vanishes with the command.
  unshare -m --propagation private sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$BUILD" \
    env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"
}
cp "$NODE_DEB" "$BUILD/tmp/nodejs.deb"
log "systemd, nodejs"
in_root apt-get install -y -qq --no-install-recommends systemd systemd-sysv dbus /tmp/nodejs.deb >/dev/null
rm -f "$BUILD/tmp/nodejs.deb"
log "cache libpcap0.8 and nftables"
in_root apt-get clean
in_root apt-get install -y -qq --no-install-recommends --download-only libpcap0.8 nftables >/dev/null
# The container boots without a root password prompt and without a machine id clash.
: >"$BUILD/etc/machine-id"
echo "debootstrap bookworm minbase, nodejs $NODE_VERSION, systemd; $(date -u +%FT%TZ)" >"$BUILD/.sipprot-test-root"
rm -rf "$ROOT"
mv "$BUILD" "$ROOT"
trap - EXIT
log "ready: $ROOT"
echo "$ROOT"
