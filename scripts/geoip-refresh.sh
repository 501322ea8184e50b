#!/usr/bin/env bash
# Re-creates the shipped geo-IP table, data/geoip/geoip.bin.gz, from the npm package
# @ip-location-db/geo-whois-asn-country (CSV, CC BY 4.0, NRO data): the package is
# fetched with `npm pack` into a temporary directory, never installed.
#   bash scripts/geoip-refresh.sh            # latest version
#   bash scripts/geoip-refresh.sh 2.3.2026061719
# Afterwards update the version/date in data/geoip/README.md and commit both.
set -euo pipefail
cd "$(dirname "$0")/.."
name=@ip-location-db/geo-whois-asn-country
spec="$name${1:+@$1}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm pack --silent --pack-destination "$tmp" "$spec" >/dev/null
tar xzf "$tmp"/*.tgz -C "$tmp"
version=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).version)' "$tmp/package/package.json")
# Versions are MAJOR.MINOR.YYYYMMDDHH: the build date of the data.
if [[ "$version" =~ \.([0-9]{4})([0-9]{2})([0-9]{2})[0-9]{2}$ ]]; then
  date="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}"
else
  date=$(date -u +%F)
fi
cp "$tmp/package/NRO_LICENSE" data/geoip/NRO_LICENSE
node --import tsx src/geoip/build-shipped.ts \
  "$tmp/package/geo-whois-asn-country-ipv4.csv" \
  "$tmp/package/geo-whois-asn-country-ipv6.csv" \
  "$name@$version" "$date" "$tmp/geoip.bin"
gzip -9n -c "$tmp/geoip.bin" >data/geoip/geoip.bin.gz.tmp
mv data/geoip/geoip.bin.gz.tmp data/geoip/geoip.bin.gz
ls -l data/geoip/
