#!/usr/bin/env bash
# The traffic of each case of record-next.sh (sourced by it, never run). Three steps:
#   case_setup CASE    before the lab is up: the registrar's variant (LAB_* variables),
#                      the capture's link (iface), filter, and the time stretch factor
#   case_network CASE  after the lab is up: extra addresses, routes, MTU, MSS
#   case_traffic CASE  the tools, each bounded in count and time
# What each case must show (attackers, expected decisions) is in test/lab/next-cases.testkit.ts;
# its notes repeat the numbers used here.
# shellcheck disable=SC2034

case_setup() {
  case "$1" in
  office-nat | office-nat-100 | office-nat-fast-blf) export LAB_QUALIFY=30 ;;
  server-requests) export LAB_QUALIFY=5 ;;
  slow-attack) stretch=30 ;;
  toll-fraud)
    # Each probing address meets another PBX's answer to an unauthenticated call.
    export LAB_GUEST_MAP="$(atk_extra4 10)=403 $(atk_extra4 11)=484 $(atk_extra4 12)=503 $(atk_extra4 13)=401"
    ;;
  sip-sweep) filter='portrange 5060-5062' ;;
  tcp-segments | ip-fragments) iface=eth0 ;;
  pjsip-rechallenge) export LAB_STYLE=pjsip LAB_NONCE_EXPIRE=4 ;;
  distributed-guessing | breach | renamed-scanners | flood | ipv6-rotation) ;;
  *) die "record-next: no set-up for case '$1'" ;;
  esac
}

case_network() {
  local i
  case "$1" in
  sip-sweep)
    # The PBX host has more addresses (10.77.1.2-9) where nothing listens.
    for i in 2 3 4 5 6 7 8 9; do ip -n "$NS_PBX" addr add "$PREFIX4.$i/24" dev eth0; done
    ;;
  ipv6-rotation)
    # The attacker's own /64 (fd77:1:0:66::/64), 40 addresses of it, on-link both ways.
    for i in $(seq 1 40); do
      ip -n "$NS_ATK" addr add "fd77:$LAB_NET:0:66::$(printf '%x' "$i")/64" dev eth0 nodad
    done
    ip -n "$NS_PBX" -6 route add "fd77:$LAB_NET:0:66::/64" dev eth0
    ;;
  tcp-segments)
    # The PBX advertises a small MSS to the /24 (not to .101): clients split every
    # message over several segments; gso_max_segs 1 makes the attacker's kernel cut the
    # segments itself (the veth would carry them whole). The attacker's link is slow
    # (tbf 100 kbit/s): messages written while earlier ones wait are sent together, so
    # .101 puts several messages into one segment.
    ip -n "$NS_PBX" route change "$PREFIX4.0/24" dev eth0 proto kernel scope link src "$PBX4" advmss 200
    ip -n "$NS_PBX" route add "$(atk_extra4 1)/32" dev eth0 src "$PBX4"
    ip -n "$NS_ATK" link set eth0 gso_max_segs 1
    ip netns exec "$NS_ATK" tc qdisc add dev eth0 root tbf rate 100kbit burst 1600 latency 500ms
    ;;
  ip-fragments)
    # The attacker's link has the IPv6 minimum MTU: a large INVITE leaves in fragments.
    ip -n "$NS_ATK" link set eth0 mtu 1280
    ;;
  esac
}

# phones_bg ARGS: the 5 lab phones (users 100-104) registering in the background.
phones_bg() { "$LAB_DIR/phones.sh" --background "$@"; }

case_traffic() {
  local o="$LAB_DIR/office.sh" b="$LAB_DIR/bruteforce.sh" sv="$LAB_DIR/sipvicious.sh" i
  case "$1" in
  office-nat) "$o" --phones 30 --duration 300 --register-every 120 --blf-phones 1 ;;
  office-nat-100) "$o" --phones 100 --duration 150 --register-every 60 --blf-phones 1 ;;
  office-nat-fast-blf) "$o" --phones 30 --duration 100 --register-every 60 --blf-phones 2 --blf-every 5 ;;
  server-requests) "$o" --phones 40 --duration 60 --register-every 30 --mwi-every 20 --blf-phones 0 --fixed-ports ;;
  slow-attack) slow_attack ;;
  distributed-guessing)
    phones_bg --loops 26 --interval 5000
    sleep 2
    for ((i = 0; i < 60; i++)); do
      "$b" --src "$(atk_extra4 "$i")" --count 3 --rate 1 --period 2000 --background --tag "dist-$i" --timeout 30
      sleep 2
    done
    ;;
  toll-fraud) toll_fraud ;;
  breach) breach ;;
  renamed-scanners) renamed_scanners ;;
  sip-sweep)
    phones_bg --loops 4 --interval 5000
    sleep 2
    "$sv" svmap --sweep --ua "Z 5.6.1 v2.10.20.2" --src "$(atk_extra4 28)" --timeout 20 >/dev/null
    "$sv" svmap --sweep --method REGISTER --ua "Z 5.6.1 v2.10.20.2" --fromname 200 --src "$(atk_extra4 29)" \
      --timeout 20 >/dev/null
    ;;
  flood) flood ;;
  ipv6-rotation)
    phones_bg --family 6 --loops 8 --interval 5000
    sleep 2
    for i in $(seq 1 40); do
      "$b" --family 6 --src "fd77:$LAB_NET:0:66::$(printf '%x' "$i")" --count 2 --rate 4 --tag "rot-$i" --timeout 20
    done
    ;;
  tcp-segments)
    phones_bg --transport tcp --loops 6 --interval 5000
    sleep 2
    "$b" --transport tcp --count 20 --rate 10 --timeout 40
    "$b" --transport tcp --src "$(atk_extra4 1)" --count 20 --rate 40 --timeout 40
    ;;
  ip-fragments)
    phones_bg --loops 5 --interval 5000
    sleep 2
    # 8 guesses each (a scenario of larger INVITEs must stay under sipp's ~64 KB).
    head -n 11 "$LAB_DIR/sipp/passwords.txt" | grep -v '^#' >"$RUN/pw8.txt"
    # Calls to a colleague (101), not to an outside number: the case is about fragments,
    # and INVITE guessing towards an outside number is toll fraud first.
    "$b" --method INVITE --target 101 --sdp 1400 --passwords "$RUN/pw8.txt" --count 8 --rate 4 --timeout 30
    "$b" --method INVITE --target 101 --sdp 1400 --passwords "$RUN/pw8.txt" --family 6 --count 8 --rate 4 \
      --timeout 30
    ;;
  pjsip-rechallenge)
    phones_bg --loops 6 --interval 5000
    phones_bg --users 106 --cached-nonce --loops 6 --interval 5000 --tag phonecached
    sleep 2
    "$b" --count 12 --rate 4 --timeout 30
    "$b" --method INVITE --target 101 --challenge 401 --src "$(atk_extra4 1)" --count 12 --rate 4 --timeout 30
    "$b" --user 150 --src "$(atk_extra4 2)" --count 12 --rate 4 --timeout 30
    ;;
  esac
}

# A slow attacker, recorded 30 times faster than it ran (record-next.sh stretches the
# capture): 150 REGISTER guesses for user 100 at 1.25/s (2.5 a minute stretched), then
# 28 toll-fraud INVITEs at 1/s (2 a minute), while the office's phones register every
# 5 s (150 s stretched) and a deleted extension's phone fails every second (30 s).
slow_attack() {
  local i k f
  phones_bg --loops 30 --interval 5000
  "$LAB_DIR/misconfigured.sh" --user 105 --loops 148 --interval 1000 --background
  sleep 1
  for ((k = 0; k < 5; k++)); do
    f="$RUN/slow-$k.txt"
    for ((i = 0; i < 30; i++)); do echo "guess$((k * 30 + i))x"; done >"$f"
    "$LAB_DIR/bruteforce.sh" --passwords "$f" --count 30 --rate 5 --period 4000 --tag "slow-$k" --timeout 60
  done
  tollfraud "$ATK4" 1000 28 1000 "User-Agent: Cisco-SIPGateway/IOS-12.x"
}

# tollfraud SRC FROM COUNT PERIOD_MS HEADER: INVITEs to outside numbers (sipp/tollfraud.xml).
tollfraud() {
  local src="$1" from="$2" count="$3" period="$4" hdr="$5" f="$RUN/numbers.csv"
  check_atk_addr "$src"
  [ -f "$f" ] || printf '%s\n' SEQUENTIAL 00972592345678 011972592345678 +972592345678 9011972592345678 \
    900972592345678 972592345678 >"$f"
  run_bounded "tf-$(echo "$src" | tr -c '0-9a-f\n' '-')" "$NS_ATK" 60 sipp -sf "$LAB_DIR/sipp/tollfraud.xml" \
    -inf "$f" -t u1 -i "$src" -key from "$from" -key hdr "$hdr" -r 1 -rp "$period" -m "$count" \
    -timeout 50s -recv_timeout 3000 -max_retrans 2 -nostdin "$PBX4:$SIP_PORT"
}

# Six probing addresses, six INVITEs each to an outside number within 3 s, each meeting
# another answer: 404 (unknown From user), 403, 484, 503, 401 and 407 challenges; and
# phone 200 calling outside numbers with its credentials (407, then 183, 200, BYE).
toll_fraud() {
  local f="$RUN/phone-calls.csv"
  phones_bg --loops 7 --interval 5000
  printf '%s\n' SEQUENTIAL 00442079460000 0097225660000 +4930901820 >"$f"
  spawn phonecall "$NS_PHONES" sipp -sf "$LAB_DIR/sipp/office-call.xml" -inf "$f" -t u1 -p 24000 -i "$PHONE4" \
    -au 200 -ap Office-200-pw -key user 200 -key ua "Yealink SIP-T46S 66.86.0.15" -key interval 4000 \
    -users 1 -m 3 -timeout 30s -nostdin "$PBX4:$SIP_PORT"
  sleep 1
  tollfraud "$ATK4" 1000 6 500 "Allow: INVITE, ACK, CANCEL, BYE"
  tollfraud "$(atk_extra4 10)" 100 6 500 "User-Agent: Cisco-SIPGateway/IOS-12.x"
  tollfraud "$(atk_extra4 11)" 100 6 500 "Allow: INVITE, ACK, CANCEL, BYE"
  tollfraud "$(atk_extra4 12)" 1001 6 500 "User-Agent: Asterisk PBX 16.2.1"
  tollfraud "$(atk_extra4 13)" 100 6 500 "Allow: INVITE, ACK, CANCEL, BYE"
  tollfraud "$(atk_extra4 14)" 101 6 500 "User-Agent: Cisco-SIPGateway/IOS-12.x"
}

# Cracked passwords: REGISTER guesses for 101 from the attacker (7 wrong, then right: 200),
# REGISTER guesses for 102 from .120 (4 wrong), then its call to an outside number (183, 200).
breach() {
  local f
  phones_bg --loops 6 --interval 5000
  sleep 2
  f="$RUN/breach-101.txt"
  { head -n 9 "$LAB_DIR/sipp/passwords.txt" | grep -v '^#'; echo Lab-101-secret; } >"$f"
  "$LAB_DIR/bruteforce.sh" --user 101 --passwords "$f" --count 8 --rate 2 --timeout 30
  # .120 cracks 102 with REGISTER guesses (4 wrong), then calls an outside number with
  # the cracked password: the call goes through (407, then 183, 200). (Guessing with the
  # INVITEs themselves, the 3rd refused call would be toll fraud, TOLL_COUNT 3, before
  # the right password: blocked, not breached.)
  f="$RUN/breach-102.txt"
  head -n 6 "$LAB_DIR/sipp/passwords.txt" | grep -v '^#' >"$f"
  "$LAB_DIR/bruteforce.sh" --user 102 --passwords "$f" --count 4 --rate 2 --src "$(atk_extra4 20)" --timeout 30
  echo Lab-102-secret >"$RUN/right-102.txt"
  "$LAB_DIR/bruteforce.sh" --method INVITE --user 102 --target 00972592345678 --passwords "$RUN/right-102.txt" \
    --count 1 --src "$(atk_extra4 20)" --timeout 30 --tag call-120
  # (svcrack 0.3.3 cannot succeed here: it answers a qop="auth" challenge without nc and
  # cnonce, so even the right password is refused: see testdata/golden-next/FINGERPRINTS.md.)
}

# SIPVicious with its User-Agent renamed to real phones' strings, sipsak and nmap.
renamed_scanners() {
  local sv="$LAB_DIR/sipvicious.sh" sc="$LAB_DIR/scanners.sh"
  phones_bg --loops 12 --interval 5000
  sleep 2
  "$sv" svmap --ua "Z 5.6.1 v2.10.20.2" --src "$(atk_extra4 21)" --timeout 10 >/dev/null
  "$sv" svmap --method REGISTER --ua "Z 5.6.1 v2.10.20.2" --fromname 100 --src "$(atk_extra4 22)" --timeout 10 >/dev/null
  "$sv" svwar --ua "Yealink SIP-T46S 66.86.0.15" --range 100-130 --src "$(atk_extra4 23)" --timeout 20 >/dev/null
  "$sv" svwar --ua "Yealink SIP-T46S 66.86.0.15" --method INVITE --range 100-130 --src "$(atk_extra4 24)" \
    --timeout 20 >/dev/null
  "$sv" svcrack --ua "Grandstream GXP2170 1.0.11.79" --user 100 --range 1000-1014 --src "$(atk_extra4 25)" \
    --timeout 20 >/dev/null
  "$sc" sipsak-options --src "$(atk_extra4 26)" --timeout 10 >/dev/null
  "$sc" sipsak-register --src "$(atk_extra4 27)" --timeout 10 >/dev/null
  "$sc" nmap --src "$(atk_extra4 30)" --range 100-130 --timeout 40 >/dev/null
}

# A flood of OPTIONS (answered 200) from the attacker at 500/s for 3 s, next to an office
# of 30 phones (LAB_QUALIFY off: only the phones' own requests).
flood() {
  "$LAB_DIR/office.sh" --phones 30 --duration 20 --register-every 10 --mwi-every 10 --call-every 10 --blf-phones 1 \
    --background
  sleep 8
  run_bounded flood-options "$NS_ATK" 30 sipp -sf "$LAB_DIR/sipp/flood-options.xml" -t u1 -i "$ATK4" \
    -key user 100 -key ua "Yealink SIP-T46S 66.86.0.15" -r 500 -m 1500 \
    -timeout 20s -recv_timeout 2000 -nostdin "$PBX4:$SIP_PORT"
}
