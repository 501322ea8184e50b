#!/usr/bin/env bash
# Working phones: each registers with digest auth (REGISTER -> 401 -> REGISTER with
# credentials -> 200) on one Call-ID with a rising CSeq, again every INTERVAL ms, LOOPS
# times. All phones share one address (several phones behind one NAT), each on its own
# source port.
#
#   LAB_ID=ID phones.sh [--family 4|6] [--transport udp|tcp|tls] [--users "100 101"]
#                       [--loops N] [--interval MS] [--cached-nonce] [--background]
#                       [--tag NAME]
# Defaults: IPv4, UDP, users 100-104, 6 loops every 5000 ms. --cached-nonce: phones
# re-register with the nonce they have (sipp/register-cached-nonce.xml), so they meet
# 401 stale=true once the registrar's nonce expires (lab.sh LAB_NONCE_EXPIRE). --background returns at
# once (the phones are stopped by `lab.sh down` or end by themselves); otherwise waits.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

family=4 transport=udp users="100 101 102 103 104" loops=6 interval=5000 bg="" tag=phone
scenario=register-loop.xml
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --family) family="$2"; shift 2 ;;
  --transport) transport="$2"; shift 2 ;;
  --users) users="$2"; shift 2 ;;
  --loops) loops="$2"; shift 2 ;;
  --interval) interval="$2"; shift 2 ;;
  --cached-nonce) scenario=register-cached-nonce.xml; shift ;;
  --background) bg=1; shift ;;
  --tag) tag="$2"; shift 2 ;;
  *) die "phones.sh: unknown argument '$1'" ;;
  esac
done
check_family "$family"
check_transport "$transport" tls
check_int loops "$loops"
check_int interval "$interval"
[[ "$tag" =~ ^[a-z0-9-]+$ ]] || die "bad tag '$tag'"
lab_from_env

src="$PHONE4"
[ "$family" = 6 ] && src="$PHONE6"
# Bound: every phone must be done by then, whatever the registrar does.
limit=$(((loops * (interval + 3000)) / 1000 + 10))
target="$(pbx_target "$family")"
if [ "$transport" = tls ]; then
  # TLS phones (lib.sh tls_tunnel; the lab must be up with LAB_TLS=1).
  tls_tunnel "$tag-tls-$family" "$NS_PHONES" "$src" "$family"
  target="$TLS_TARGET"
fi
names=()
for user in $users; do
  pw="$(awk -F';' -v u="$user" '$1 == u {print $2}' "$LAB_DIR/users.csv")"
  [ -n "$pw" ] || die "user $user is not in users.csv"
  port=$((5000 + user))
  name="$tag-$user-$family-$transport"
  spawn "$name" "$NS_PHONES" sipp -sf "$LAB_DIR/sipp/$scenario" \
    -t "$(sipp_transport "$transport")" -i "$src" -p "$port" \
    -au "$user" -ap "$pw" -key user "$user" -key ua "Yealink SIP-T46S 66.86.0.15" \
    -key loops "$loops" -key interval "$interval" -key expires 60 \
    -m 1 -l 1 -timeout "${limit}s" -recv_timeout 4000 -nostdin \
    "$target"
  names+=("$name")
  # Phones do not boot in the same millisecond.
  sleep 0.2
done
if [ -z "$bg" ]; then
  for name in "${names[@]}"; do wait_named "$name" "$limit"; done
  [ "$transport" != tls ] || stop_named "$tag-tls-$family"
fi
