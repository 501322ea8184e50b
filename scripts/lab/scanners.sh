#!/usr/bin/env bash
# Other scanners from Debian, run from the attacker namespace against the lab PBX's
# address only, bounded in count and time:
#
#   LAB_ID=ID scanners.sh sipsak-options  [--src ADDR] [--user 100]
#       sipsak 0.9.8.1: one OPTIONS ping (sipsak -s sip:USER@PBX), as scanners use it.
#   LAB_ID=ID scanners.sh sipsak-register [--src ADDR] [--range 100-109]
#       sipsak usrloc mode: REGISTER every user of the range with a guessed password
#       (the user name itself, sipsak's default), one after the other.
#   LAB_ID=ID scanners.sh nmap [--src ADDR] [--range 100-130]
#       nmap 7.93: a UDP and TCP scan of port 5060 with version detection (-sV: the TCP
#       SIPOptions probe) and the NSE scripts sip-methods and sip-enum-users (REGISTER
#       for each extension of the range).
# Common: [--timeout S] (default 60) [--tag NAME].
# nmap and sipsak bind no chosen source address for every packet, so --src is made the
# preferred source of the attacker namespace's on-link route for the run (as
# sipvicious.sh does), under the same lock.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tool="${1:-}"
shift || true
case "$tool" in
sipsak-options | sipsak-register | nmap) ;;
-h | --help) show_help "$0"; exit 0 ;;
*) die "usage: scanners.sh sipsak-options|sipsak-register|nmap [options]" ;;
esac
src="" user=100 range="" timeout=60 tag=""
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --src) src="$2"; shift 2 ;;
  --user) user="$2"; shift 2 ;;
  --range) range="$2"; shift 2 ;;
  --timeout) timeout="$2"; shift 2 ;;
  --tag) tag="$2"; shift 2 ;;
  *) die "scanners.sh: unknown argument '$1'" ;;
  esac
done
check_int timeout "$timeout"
((timeout >= 1 && timeout <= 300)) || die "timeout must be 1-300 s"
[[ "$user" =~ ^[0-9]+$ ]] || die "bad user '$user'"
[ -n "$range" ] || { if [ "$tool" = nmap ]; then range=100-130; else range=100-109; fi; }
[[ "$range" =~ ^([0-9]+)-([0-9]+)$ ]] || die "range must be N-M"
lo="${BASH_REMATCH[1]}" hi="${BASH_REMATCH[2]}"
((hi >= lo && hi - lo < 200)) || die "range $range: at most 200 values, low first"
lab_from_env
[ -n "$src" ] || src="$ATK4"
check_atk_addr "$src"
[ -n "$tag" ] || tag="$tool-$(echo "$src" | tr -c '0-9a-f\n' '-')"
[[ "$tag" =~ ^[a-z0-9-]+$ ]] || die "bad tag '$tag'"

case "$tool" in
sipsak-options)
  cmd=(sipsak -s "sip:$user@$PBX4" --local-ip "$src" -v)
  ;;
sipsak-register)
  # -U usrloc: REGISTER user<appendix> for every appendix of the range; with -a unset
  # the password is the user name (sipsak's own default), so every one fails.
  cmd=(sipsak -U -s "sip:@$PBX4" -b "$lo" -e "$hi" -x 1 --local-ip "$src" -v)
  ;;
nmap)
  cmd=(nmap -n -Pn -sU -sT -sV --version-light -p "U:$SIP_PORT,T:$SIP_PORT" --max-retries 1 --host-timeout "${timeout}s"
    --script sip-methods,sip-enum-users
    --script-args "sip-enum-users.minext=$lo,sip-enum-users.maxext=$hi" "$PBX4")
  ;;
esac
net="$PREFIX4.0/24"
set_src() { ip -4 -n "$NS_ATK" route replace "$net" dev eth0 proto kernel scope link src "$1"; }
exec 9>"$RUN/sipvicious.lock"
flock 9
trap 'set_src "$ATK4"' EXIT
set_src "$src"
spawn "$tag" "$NS_ATK" timeout --kill-after=2 "$timeout" "${cmd[@]}"
wait_named "$tag" "$((timeout + 5))"
cat "$RUN/$tag.log"
