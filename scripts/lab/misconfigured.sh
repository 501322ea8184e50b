#!/usr/bin/env bash
# The manual's misconfigured phone: one user, one Call-ID, rising CSeq, a wrong
# password, re-registering every few seconds (REGISTER -> 401 -> REGISTER with the
# wrong credentials -> 401 or 403), from the phones' shared address (the same NAT as the
# working phones) on a port of its own.
#
#   LAB_ID=ID misconfigured.sh [--user 105] [--loops 8] [--interval MS] [--family 4|6]
#                              [--transport udp|tcp] [--background]
# Defaults: user 105 (exists, never registers correctly), 8 attempts every 3000 ms.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

user=105 loops=8 interval=3000 family=4 transport=udp bg=""
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --user) user="$2"; shift 2 ;;
  --loops) loops="$2"; shift 2 ;;
  --interval) interval="$2"; shift 2 ;;
  --family) family="$2"; shift 2 ;;
  --transport) transport="$2"; shift 2 ;;
  --background) bg=1; shift ;;
  *) die "misconfigured.sh: unknown argument '$1'" ;;
  esac
done
check_family "$family"
check_transport "$transport"
check_int loops "$loops"
check_int interval "$interval"
[[ "$user" =~ ^[0-9]+$ ]] || die "bad user '$user'"
lab_from_env
src="$PHONE4"
[ "$family" = 6 ] && src="$PHONE6"
limit=$(((loops * (interval + 3000)) / 1000 + 10))
name="misconfigured-$user-$family-$transport"
spawn "$name" "$NS_PHONES" sipp -sf "$LAB_DIR/sipp/register-loop.xml" \
  -t "$(sipp_transport "$transport")" -i "$src" -p 5999 \
  -au "$user" -ap "old-password-$user" -key user "$user" \
  -key ua "Grandstream GXP2160 1.0.11.23" \
  -key loops "$loops" -key interval "$interval" -key expires 60 \
  -m 1 -l 1 -timeout "${limit}s" -recv_timeout 4000 -nostdin \
  "$(pbx_target "$family")"
[ -n "$bg" ] || wait_named "$name" "$limit"
