#!/usr/bin/env bash
# Installs everything sipprot needs to build, run its demo and run its tests on Debian 12:
# system packages (libpcap, nftables, the SIP peers and redis-server used by tests, the compilers the native
# modules need, and what the .deb install test uses: debootstrap, dpkg-repack,
# systemd-nspawn, lintian), npm deps, the build.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
APT_PACKAGES=(
  libpcap-dev libnftnl-dev libmnl-dev nftables iproute2 tcpdump tcpreplay
  sip-tester sipvicious kamailio
  kamailio-tls-modules socat openssl  # SIP over TLS e2e: Kamailio's tls.so; socat carries sipp (no TLS in Debian's build) over TLS
  kamailio-websocket-modules  # SIP over WebSocket e2e: Kamailio's websocket.so (xhttp.so comes with kamailio)
  sipsak nmap
  fail2ban chromium fonts-dejavu-core
  build-essential python3 dpkg-dev
  debootstrap dpkg-repack systemd-container lintian
  zsh  # the completion test runs the generated zsh script
  redis-server  # the cluster tests start their own servers
  ipset  # the blocklist export test loads its ipset output
)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing Debian packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# fail2ban is used by the latency benchmark, which starts its own server; stop any service
# the package may have started so it never bans or binds outside our namespaces.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet fail2ban 2>/dev/null; then
  systemctl stop fail2ban || true
elif command -v service >/dev/null 2>&1 && service fail2ban status >/dev/null 2>&1; then
  service fail2ban stop || true
fi
# redis-server is for the cluster tests, which start their own servers on loopback or inside
# their namespaces; stop the packaged service if the package started one.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet redis-server 2>/dev/null; then
  systemctl stop redis-server || true
elif command -v service >/dev/null 2>&1 && service redis-server status >/dev/null 2>&1; then
  service redis-server stop || true
fi
npm ci --no-audit --no-fund
npm run build
