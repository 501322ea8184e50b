#!/usr/bin/env bash
# Re-creates the shipped geo-IP table, data/geoip/geoip.bin.gz, from the IPFire Location
# Database as Debian ships it in tor-geoipdb (/usr/share/tor/geoip and geoip6; CC BY-SA 4.0).
# The package is fetched with `apt-get download` into a temporary directory and unpacked
# there with dpkg-deb, never installed (apt may warn that, as root, it downloads unsandboxed).
# data/geoip/README.md says why this source.
#   bash scripts/geoip-refresh.sh            # the version apt offers (run apt-get update first)
#   bash scripts/geoip-refresh.sh 0.4.9.11-0+deb12u1
# Afterwards update the version, date and counts in data/geoip/README.md and commit.
set -euo pipefail
cd "$(dirname "$0")/.."
spec="tor-geoipdb${1:+=$1}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q "$spec" >/dev/null)
deb=$(ls "$tmp"/tor-geoipdb_*.deb)
dpkg-deb -x "$deb" "$tmp/root"
version=$(dpkg-deb -f "$deb" Version)
# The export's own date: "# Generated: Thu, 25 Jun 2026 04:33:59 GMT".
generated=$(grep -m1 '^# Generated:' "$tmp/root/usr/share/tor/geoip" | sed 's/^# Generated:[[:space:]]*//')
date=$(date -u -d "$generated" +%F)
node --import tsx src/geoip/build-shipped.ts --tor \
  "$tmp/root/usr/share/tor/geoip" "$tmp/root/usr/share/tor/geoip6" \
  "IPFire Location Database ($generated) via Debian tor-geoipdb $version" "$date" "$tmp/geoip.bin"
gzip -9n -c "$tmp/geoip.bin" >data/geoip/geoip.bin.gz.tmp
mv data/geoip/geoip.bin.gz.tmp data/geoip/geoip.bin.gz
rm -f data/geoip/NRO_LICENSE
ls -l data/geoip/
