#!/usr/bin/env bash
# Records one golden case: brings up a lab of its own, captures SIP in the PBX
# namespace while phones register throughout and one attack runs, then writes
# testdata/golden/<case>/capture.pcap and expect.json, and takes the lab down (also on
# failure or interrupt).
#
#   record.sh CASE [OUT_DIR]            record (OUT_DIR defaults to testdata/golden)
#   record.sh --expect-only CASE [OUT_DIR]  rewrite expect.json from the recorded capture
#   record.sh --list
# The lab uses LAB_NET=1 (10.77.1.0/24, fd77:1::/64) so that the addresses in the
# expectations are stable; its id is rec<pid> unless LAB_ID is set.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="sipp-bruteforce-udp sipp-bruteforce-tcp sipp-distributed svmap-scan svwar-enum svcrack misconfigured-phone phones-only ipv6-bruteforce"
expect_only=""
case "${1:-}" in
-h | --help)
  show_help "$0"
  exit 0
  ;;
--list)
  tr ' ' '\n' <<<"$CASES"
  exit 0
  ;;
--expect-only)
  expect_only=1
  shift
  ;;
esac
case_name="${1:-}"
[[ " $CASES " == *" $case_name "* ]] || die "usage: record.sh [--expect-only] CASE [OUT_DIR] (cases: $CASES)"
out_root="${2:-$LAB_DIR/../../testdata/golden}"
dest="$out_root/$case_name"
export LAB_NET=1
id="${LAB_ID:-rec$$}"
lab_init "$id"
export LAB_ID="$id"

# --- what each case is: its attackers ("ip reason accepted-reasons [misconfigured|template]"),
# the addresses that must never be blocked, and a description for expect.json. -------
iface=any
never="$PHONE4"
attackers=()
notes=""
# The registrar's answer to a wrong password: 401 (Kamailio's usual re-challenge) in
# every case but sipp-bruteforce-tcp, which shows the 403 variant.
export LAB_WRONG_PW=401
PHONES_NOTE="5 phones (users 100-104, User-Agent Yealink SIP-T46S) register correctly from $PHONE4 (ports 5100-5104) every 5 s throughout: REGISTER -> 401 -> REGISTER with credentials -> 200, one Call-ID each."
case "$case_name" in
sipp-bruteforce-udp)
  attackers=("$ATK4 auth-failures auth-failures")
  notes="sipp REGISTER brute force of user 100 over UDP from $ATK4 (source port 5060, no User-Agent): 20 guesses at 5/s, a new Call-ID each, REGISTER -> 401 -> REGISTER with a wrong password -> 401 (Kamailio re-challenges a wrong password). $PHONES_NOTE"
  ;;
sipp-bruteforce-tcp)
  iface=eth0
  LAB_WRONG_PW=403
  attackers=("$ATK4 auth-failures auth-failures")
  notes="sipp REGISTER brute force of user 100 over one TCP connection from $ATK4 (no User-Agent): 20 guesses at 5/s, REGISTER -> 401 -> REGISTER with a wrong password -> 403 (this case runs the registrar with LAB_WRONG_PW=403). Captured on eth0 (Ethernet link type). $PHONES_NOTE"
  ;;
sipp-distributed)
  for ((i = 0; i < 10; i++)); do attackers+=("$(atk_extra4 "$i") auth-failures auth-failures,distributed"); done
  notes="Distributed sipp REGISTER brute force of user 100 over UDP from 10 addresses $(atk_extra4 0)-$(atk_extra4 9) at the same time, 8 wrong passwords each at 2/s (answered 401); each address must be blocked at its own 5th failure at the latest (issue 12: distributed guessing may block it earlier, when the 10th address fails on user 100). $PHONES_NOTE"
  ;;
svmap-scan)
  attackers=("$ATK4 scanner scanner" "$(atk_extra4 5) scanner scanner")
  notes="SIPVicious svmap (Debian 0.3.3) against the PBX address only, User-Agent friendly-scanner: OPTIONS from $ATK4 (answered 200), svmap -m REGISTER from $(atk_extra4 5) (svmap puts user 100 in To: answered with a 401 challenge). Both are blocked at their first request. $PHONES_NOTE"
  ;;
svwar-enum)
  attackers=("$ATK4 scanner scanner"
    "$(atk_extra4 1) scanner scanner template"
    "$(atk_extra4 2) scanner scanner template"
    "$(atk_extra4 3) scanner scanner template")
  notes="SIPVicious svwar -e100-199 (Debian 0.3.3), one run after the other. $ATK4: REGISTER with User-Agent friendly-scanner (scanner). $(atk_extra4 1): REGISTER in compact form (-c: v/f/t/i/m headers, no User-Agent): 100-109 answered with 401 challenges, every other extension 404, and a 404 to a REGISTER is a failed attempt, so auth-failures at the 5th 404 is accepted too. $(atk_extra4 2): OPTIONS, compact: 200 for 100-109, 404 for the rest (a 404 to OPTIONS is no failed attempt: only the enumeration rule catches it). $(atk_extra4 3): INVITE, compact: 407 challenges for 100-109 never answered, 404 for the rest (enumeration only). Each run starts with one random extension (svwar's check of the 'no such user' answer). Since issue 12 the three compact runs are scanners at their first request: without a User-Agent svwar still sends SIPVicious's request template (branch z9hG4bK-<digits>, a Call-ID of digits). $PHONES_NOTE"
  ;;
svcrack)
  attackers=("$ATK4 scanner scanner,auth-failures" "$(atk_extra4 4) scanner scanner template")
  notes="SIPVicious svcrack (Debian 0.3.3): $ATK4 cracks user 100 with the passwords 1000-1019 and User-Agent friendly-scanner (a scanner: blocked at its first request); then $(atk_extra4 4) cracks user 101 with 2000-2019 in compact form without User-Agent (blocked at its first request since issue 12: SIPVicious's request template, branch z9hG4bK-<digits> and a Call-ID of digits; at its 5th failure before). svcrack sends REGISTER -> 401, then per guess a REGISTER with credentials -> 401 (wrong password). $PHONES_NOTE"
  ;;
misconfigured-phone)
  never=""
  attackers=("$PHONE4 auth-failures auth-failures misconfigured")
  notes="A misconfigured phone (user 105, User-Agent Grandstream GXP2160, wrong password) behind the same address as the working phones ($PHONE4) on its own source port 5999: one Call-ID, CSeq rising 1,2,3,..., REGISTER -> 401 -> REGISTER with the wrong credentials -> 401, every 3 s, 8 times. The rule still blocks $PHONE4 at the 5th failure, and the decision must say it looks like a misconfigured phone (one user, one Call-ID, rising CSeq, regular interval). $PHONES_NOTE"
  ;;
phones-only)
  never="$PHONE4 $PHONE6"
  export LAB_NONCE_EXPIRE=4
  notes="Only working phones: users 100-102 over UDP and 103 over TCP from $PHONE4 (one address, ports 5100-5103), 104 over UDP from $PHONE6; each REGISTER -> 401 -> REGISTER with credentials -> 200 on one Call-ID with a rising CSeq, every 5 s, 7 times. Phone 106 (UDP, $PHONE4, port 5106) re-registers every 5 s with its cached nonce; the registrar's nonces expire after 4 s (LAB_NONCE_EXPIRE=4), so each re-registration gets 401 with stale=true and is repeated with fresh credentials -> 200: six stale 401s to requests with credentials that must not count. Nothing may be blocked."
  ;;
ipv6-bruteforce)
  iface=eth0
  never="$PHONE6"
  attackers=("$ATK6 auth-failures auth-failures" "$(atk_extra6 0) auth-failures auth-failures")
  notes="IPv6: sipp REGISTER brute force of user 100 from $ATK6 over UDP (20 guesses at 5/s), then from $(atk_extra6 0) over TCP (10 guesses at 5/s), wrong passwords answered 401. Captured on eth0 (Ethernet link type). 5 phones (users 100-104) register correctly from $PHONE6 every 5 s."
  ;;
esac

# --- the traffic of each case ---------------------------------------------------------
# Phones register throughout: 5 phones behind one address, every 5 s, 7 times (~35 s).
phones() { "$LAB_DIR/phones.sh" --loops 7 --interval 5000 --background "$@"; }
traffic() {
  case "$case_name" in
  sipp-bruteforce-udp)
    phones
    sleep 3
    "$LAB_DIR/bruteforce.sh" --transport udp --count 20 --rate 5
    ;;
  sipp-bruteforce-tcp)
    phones
    sleep 3
    "$LAB_DIR/bruteforce.sh" --transport tcp --count 20 --rate 5
    ;;
  sipp-distributed)
    phones
    sleep 3
    "$LAB_DIR/distributed.sh" --addrs 10 --count 8 --rate 2
    ;;
  svmap-scan)
    phones
    sleep 3
    "$LAB_DIR/sipvicious.sh" svmap --timeout 20 >/dev/null
    sleep 1
    "$LAB_DIR/sipvicious.sh" svmap --method REGISTER --src "$(atk_extra4 5)" --timeout 20 >/dev/null
    ;;
  svwar-enum)
    phones
    sleep 3
    "$LAB_DIR/sipvicious.sh" svwar --range 100-199 --timeout 30 >/dev/null
    "$LAB_DIR/sipvicious.sh" svwar --range 100-199 --compact --src "$(atk_extra4 1)" --timeout 30 >/dev/null
    "$LAB_DIR/sipvicious.sh" svwar --range 100-199 --compact --method OPTIONS --src "$(atk_extra4 2)" --timeout 30 >/dev/null
    "$LAB_DIR/sipvicious.sh" svwar --range 100-199 --compact --method INVITE --src "$(atk_extra4 3)" --timeout 30 >/dev/null
    ;;
  svcrack)
    phones
    sleep 3
    "$LAB_DIR/sipvicious.sh" svcrack --user 100 --range 1000-1019 --timeout 30 >/dev/null
    "$LAB_DIR/sipvicious.sh" svcrack --user 101 --range 2000-2019 --compact --src "$(atk_extra4 4)" --timeout 30 >/dev/null
    ;;
  misconfigured-phone)
    phones
    sleep 3
    "$LAB_DIR/misconfigured.sh" --user 105 --loops 8 --interval 3000
    ;;
  phones-only)
    phones --users "100 101 102"
    phones --users 103 --transport tcp --tag phonetcp
    phones --users 104 --family 6 --tag phone6
    phones --users 106 --cached-nonce --tag phonecached
    ;;
  ipv6-bruteforce)
    phones --family 6 --tag phone6
    sleep 3
    "$LAB_DIR/bruteforce.sh" --family 6 --transport udp --count 20 --rate 5
    "$LAB_DIR/bruteforce.sh" --family 6 --transport tcp --count 10 --rate 5 --src "$(atk_extra6 0)"
    ;;
  esac
  local f
  for f in "$PIDS"/phone*.pid; do
    [ -e "$f" ] || continue
    wait_named "$(basename "$f" .pid)" 60
  done
}

write_expect() {
  local size link events
  size="$(stat -c %s "$dest/capture.pcap")"
  ((size < 1048576)) || die "$dest/capture.pcap is $size bytes (limit 1 MiB)"
  link="$(tcpdump -r "$dest/capture.pcap" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([A-Z0-9_]*\).*/\1/p')"
  events="$(mktemp)"
  "$LAB_DIR/sipevents.sh" "$dest/capture.pcap" "$PBX4" "$PBX6" >"$events"
  if ! "$LAB_DIR/expect.sh" "$events" "$link" "$notes" "$never" "${attackers[@]}" >"$dest/expect.json.tmp"; then
    rm -f "$events" "$dest/expect.json.tmp"
    die "$case_name: the capture does not match the scenario"
  fi
  rm -f "$events"
  mv "$dest/expect.json.tmp" "$dest/expect.json"
  echo "$case_name: $(tcpdump -r "$dest/capture.pcap" 2>/dev/null | wc -l) packets, $size bytes, link $link -> $dest"
}

if [ -n "$expect_only" ]; then
  [ -f "$dest/capture.pcap" ] || die "no capture at $dest/capture.pcap"
  write_expect
  exit 0
fi

require_root
cleanup() {
  local rc=$?
  "$LAB_DIR/lab.sh" down "$id" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$LAB_DIR/lab.sh" up "$id" >/dev/null
spawn tcpdump "$NS_PBX" tcpdump -Z root -i "$iface" -U -w "$RUN/capture.pcap" \
  'port 5060 or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)'
for _ in $(seq 50); do
  grep -q 'listening on' "$RUN/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'listening on' "$RUN/tcpdump.log" || die "tcpdump did not start: $(cat "$RUN/tcpdump.log")"
traffic
sleep 0.5
stop_named tcpdump
mkdir -p "$dest"
cp "$RUN/capture.pcap" "$dest/capture.pcap"
write_expect
