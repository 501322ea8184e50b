#!/usr/bin/env bash
# Builds sipprot_<version>-<revision>_amd64.deb for Debian 12 from this checkout, with
# dpkg-deb alone (no debhelper). The app is exactly the npm package (`npm pack`: bin/,
# dist/ without test code, web/dist, data/, npm-shrinkwrap.json) unpacked into
# /usr/lib/sipprot, plus its production node_modules installed there by
# `npm ci --omit=dev` from the shrinkwrap: native better-sqlite3 and pcap compiled from
# source on this machine (Debian 12, Node 20: the target), no devDependencies.
#
#   bash packaging/build-deb.sh [OUT_DIR]          (default OUT_DIR: ./build)
# Env: DEB_VERSION (default: package.json version), DEB_REVISION (default 1),
#      DEB_MAINTAINER, SOURCE_DATE_EPOCH (default: the last commit's time).
# Needs (scripts/setup.sh installs them): node 20 + npm, g++/make/python3 (node-gyp),
# libpcap-dev, dpkg-dev (dpkg-deb, dpkg-shlibdeps), gzip, binutils (strip). Takes ~1.5 min, most
# of it compiling better-sqlite3.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
OUT=$(realpath -m "${1:-build}")
VERSION=${DEB_VERSION:-$(node -p 'require("./package.json").version')}
REVISION=${DEB_REVISION:-1}
MAINTAINER=${DEB_MAINTAINER:-sipprot maintainers <sipprot@users.noreply.github.com>}
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}
ARCH=$(dpkg --print-architecture)
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
[[ "$VERSION" =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || { echo "build-deb: bad version '$VERSION'" >&2; exit 2; }
[[ "$REVISION" =~ ^[0-9A-Za-z.+~]+$ ]] || { echo "build-deb: bad revision '$REVISION'" >&2; exit 2; }
[ "$NODE_MAJOR" = 20 ] || { echo "build-deb: native modules must be built with Node 20 (found $NODE_MAJOR)" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/sipprot-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
APP=$ROOT/usr/lib/sipprot
DOC=$ROOT/usr/share/doc/sipprot
step() { printf 'build-deb: %s (%ss)\n' "$1" "$SECONDS"; }

step "build and pack the npm package"
[ -d node_modules ] || npm ci --no-audit --no-fund
npm pack --silent --pack-destination "$WORK" >/dev/null
mkdir -p "$APP"
tar -xzf "$WORK"/sipprot-*.tgz -C "$APP" --strip-components=1 --no-same-owner

step "production node_modules (npm ci --omit=dev, native modules from source)"
# build_from_source: prebuild-install would otherwise download a binary from GitHub.
# Debian's hardening flags (node-gyp's Makefiles append them): the pcap addon sits on
# the packet path of a root daemon.
(cd "$APP" && npm_config_build_from_source=true CPPFLAGS="-D_FORTIFY_SOURCE=2" \
  CFLAGS="-fstack-protector-strong" CXXFLAGS="-fstack-protector-strong" \
  LDFLAGS="-Wl,-z,relro -Wl,-z,now" \
  npm ci --omit=dev --engine-strict --no-audit --no-fund --loglevel=error >/dev/null)
for m in node_modules/better-sqlite3/build/Release/better_sqlite3.node \
  node_modules/pcap/build/Release/pcap_binding.node native/build/Release/sipprot_native.node; do
  [ -f "$APP/$m" ] || { echo "build-deb: $m was not built" >&2; exit 1; }
done
# Keep what runs: the compiled addons, not their sources and objects (sqlite3.c alone is
# 9 MB); strip them. `bindings` finds build/Release/*.node.
# sipprot's own addon (native/, linked as node_modules/sipprot-native) likewise: node-gyp
# leaves a second, hard-linked copy of it under obj.target.
for d in "$APP"/node_modules/better-sqlite3 "$APP"/node_modules/pcap "$APP"/native; do
  find "$d/build" -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} +
  find "$d/build/Release" -mindepth 1 ! -name '*.node' -exec rm -rf {} +
  rm -f "$d/build/Release/test_extension.node"
  rm -rf "$d/deps" "$d/src" "$d/binding.gyp"
done
find "$APP/node_modules" "$APP/native" -name '*.node' -type f -exec strip --strip-unneeded {} +
# Nor the dependencies' own tests, examples, TypeScript sources and source maps (Node
# loads none of them): ~40% of the files.
find "$APP/node_modules" -mindepth 2 \( -type d \( -name test -o -name tests -o -name __tests__ \
  -o -name example -o -name examples -o -name benchmark -o -name benchmarks -o -name .github \
  -o -name integration -o -name @types -o -name doc -o -name docs -o -name .husky \) \
  -o -type f \( -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.map' -o -name '*.html' \
  -o -name '.npmignore' -o -name '.gitattributes' -o -name '.travis.yml' -o -name '.eslintrc*' \
  -o -name '.editorconfig' -o -name '.prettierrc*' -o -iname 'readme*' -o -iname 'changelog*' \
  -o -iname 'history.md' -o -iname 'contributing.md' -o -iname 'security.md' -o -iname 'governance.md' \) \) \
  -prune -exec rm -rf {} +
find "$APP/node_modules" -type d -empty -delete
# Node runs every file here through `node` or dlopen(): none needs an executable bit.
find "$APP" -type d -exec chmod 0755 {} +
find "$APP" -type f -exec chmod 0644 {} +
chmod 0755 "$APP"/bin/*.js

step "generated files: config template, man pages, completion"
GEN=$WORK/gen
mkdir -p "$GEN"
node --import tsx packaging/gen-conf.ts >"$GEN/sipprot.conf"
node --import tsx packaging/gen-docs.ts "$GEN" "$APP/bin" "$VERSION"
node "$APP/bin/sipprot.js" completion bash >"$GEN/sipprot.bash-completion"

step "file tree"
install -d -m 0755 "$ROOT/usr/bin" "$ROOT/etc/init.d" "$ROOT/lib/systemd/system" \
  "$ROOT/usr/share/bash-completion/completions" "$ROOT/usr/share/man/man8" "$DOC/examples" \
  "$ROOT/usr/share/lintian/overrides"
install -d -m 0755 "$ROOT/etc/sipprot"
install -d -m 0700 "$ROOT/var/lib/sipprot"
for cmd in sipprot sipprotd; do
  # /usr/bin/node, not `env node`: the addons are built for this Node's ABI, and a root
  # daemon must not pick whatever `node` comes first in PATH.
  printf '#!/bin/sh\nexec /usr/bin/node /usr/lib/sipprot/bin/%s.js "$@"\n' "$cmd" >"$ROOT/usr/bin/$cmd"
  chmod 0755 "$ROOT/usr/bin/$cmd"
  install -m 0644 "$GEN/$cmd.bash-completion" "$ROOT/usr/share/bash-completion/completions/$cmd"
  gzip -9n <"$GEN/$cmd.8" >"$ROOT/usr/share/man/man8/$cmd.8.gz"
done
install -m 0600 "$GEN/sipprot.conf" "$ROOT/etc/sipprot/sipprot.conf"
install -m 0644 "$GEN/sipprot.conf" "$DOC/examples/sipprot.conf"
install -m 0755 packaging/sipprotd.init "$ROOT/etc/init.d/sipprotd"
install -m 0644 packaging/sipprotd.service "$ROOT/lib/systemd/system/sipprotd.service"
install -m 0644 packaging/debian/copyright "$DOC/copyright"
install -m 0644 README.md docs/INSTALL.md packaging/grafana-dashboard.json "$DOC/"
install -m 0644 packaging/debian/lintian-overrides "$ROOT/usr/share/lintian/overrides/sipprot"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
{
  printf 'sipprot (%s-%s) bookworm; urgency=medium\n\n' "$VERSION" "$REVISION"
  printf '  * Built by packaging/build-deb.sh from commit %s.\n\n' "$COMMIT"
  printf ' -- %s  %s\n' "$MAINTAINER" "$(date -R -u -d "@$SOURCE_DATE_EPOCH")"
} | gzip -9n >"$DOC/changelog.Debian.gz"
# README and the unit/init files are installed where Debian wants them, not twice.
rm -rf "$APP/README.md" "$APP/packaging"

step "control files"
mkdir -p "$ROOT/DEBIAN"
install -m 0755 packaging/debian/postinst packaging/debian/prerm packaging/debian/postrm "$ROOT/DEBIAN/"
printf '/etc/init.d/sipprotd\n/etc/sipprot/sipprot.conf\n' >"$ROOT/DEBIAN/conffiles"
SIZE=$(du -sk --exclude=DEBIAN "$ROOT" | cut -f1)
# Shared-library dependencies of the two addons, as dpkg-shlibdeps computes them
# (libc6, libpcap0.8, libstdc++6 with minimum versions); it wants a debian/control.
mkdir -p "$WORK/shlibs/debian"
printf 'Source: sipprot\n\nPackage: sipprot\nArchitecture: any\n' >"$WORK/shlibs/debian/control"
SHLIBS=$(cd "$WORK/shlibs" && dpkg-shlibdeps -O "$APP"/node_modules/*/build/Release/*.node "$APP"/native/build/Release/*.node 2>/dev/null \
  | sed -n 's/^shlibs:Depends=//p')
case "$SHLIBS" in *libpcap0.8*) ;; *) echo "build-deb: dpkg-shlibdeps found no libpcap ($SHLIBS)" >&2; exit 1 ;; esac
cat >"$ROOT/DEBIAN/control" <<EOF
Package: sipprot
Version: $VERSION-$REVISION
Architecture: $ARCH
Maintainer: $MAINTAINER
Installed-Size: $SIZE
Depends: nodejs (>= 20), nodejs (<< 21), nftables, $SHLIBS
Section: net
Priority: optional
Description: SIP brute-force and scanner guard for VoIP servers
 sipprot watches live SIP traffic with libpcap, recognises password cracking,
 extension enumeration, scanners and toll-fraud probing, and blocks attackers
 in nftables (table inet sipprot, before conntrack) within milliseconds.
 .
 It keeps allow and deny lists, blocks countries, mails attack reports, and
 has a CLI (sipprot), a daemon (sipprotd, a systemd unit) and a web admin UI.
 The native modules are built for Node.js 20 (NodeSource).
EOF
(cd "$ROOT" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z \
  | xargs -0 md5sum >DEBIAN/md5sums)
chmod 0644 "$ROOT/DEBIAN/control" "$ROOT/DEBIAN/conffiles" "$ROOT/DEBIAN/md5sums"

step "dpkg-deb"
mkdir -p "$OUT"
DEB="$OUT/sipprot_${VERSION}-${REVISION}_${ARCH}.deb"
find "$ROOT" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$ROOT" "$DEB" >/dev/null
step "built $DEB ($(du -h "$DEB" | cut -f1), installed $((SIZE / 1024)) MB)"
