#!/usr/bin/env bash
# An office behind one NAT: PHONES phones on the phones' one address (10.77.N.20), with
# the traffic a real office sends a PBX all day (issue 12, item 1):
#   - every phone re-registers every REGISTER_EVERY s, each time from a new source port
#     on a fresh Call-ID (the NAT dropped its mapping): REGISTER -> 401 -> REGISTER with
#     credentials -> 200 (accounts 200-299 of users.csv, office-register.xml);
#   - every 2nd phone subscribes to its mailbox (MWI, Event message-summary) every
#     MWI_EVERY s: SUBSCRIBE -> 407 -> SUBSCRIBE with credentials -> 200, then the PBX's
#     NOTIFY -> 200 (office-subscribe.xml);
#   - BLF_PHONES phones have BLF keys for BLF_MISSING extensions that no longer exist and
#     retry each of them every BLF_EVERY s: SUBSCRIBE -> 407 -> SUBSCRIBE with
#     credentials -> 404; the first of them sends from port 5060; they also watch the
#     presence of 3 colleagues who exist (Event presence -> 200 and NOTIFY) every 60 s;
#   - every 3rd phone sends OPTIONS keep-alives every 30 s -> 200 (office-options.xml);
#   - PUBLISH_PHONES phones publish presence every 60 s: -> 407 -> with credentials -> 489;
#   - CALL_PHONES phones call every CALL_EVERY s: wrong internal numbers (-> 404),
#     colleagues who are not there (lab users 101-109 -> 480) and outside numbers
#     (-> 183, 200 through the lab's trunk, then BYE).
# Phones and kinds start at staggered, deterministic offsets; everything is stopped
# DURATION s after the start (sipp -m and -timeout bound it too, in --background).
# Ports: the phones' address, 5060 (the first BLF phone), 21000-26099 (one per kind
# and phone), media 30000-31000 (4 per sipp process; sipp's default 6000 up is raced for).
#
#   LAB_ID=ID office.sh [--phones 30] [--duration 300] [--register-every 120]
#        [--mwi-every 150] [--blf-phones 2] [--blf-missing 10] [--blf-every 10]
#        [--publish-phones 2] [--call-phones 3] [--call-every 40] [--fixed-ports]
#        [--background]
# --fixed-ports: phones register from one port each (the first from 5060) instead of a
# new port per registration, and answer the PBX's OPTIONS qualify there (sipp -aa):
# the server's own requests then meet live phones, one of them on port 5060.
# Phones' User-Agents rotate through a few real models' strings (see
# testdata/golden-next/FINGERPRINTS.md for where they come from).
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

phones=30 duration=300 reg_every=120 mwi_every=150 blf_phones=2 blf_missing=10 blf_every=10
publish_phones=2 call_phones=3 call_every=40 bg="" fixed=""
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --phones) phones="$2"; shift 2 ;;
  --duration) duration="$2"; shift 2 ;;
  --register-every) reg_every="$2"; shift 2 ;;
  --mwi-every) mwi_every="$2"; shift 2 ;;
  --blf-phones) blf_phones="$2"; shift 2 ;;
  --blf-missing) blf_missing="$2"; shift 2 ;;
  --blf-every) blf_every="$2"; shift 2 ;;
  --publish-phones) publish_phones="$2"; shift 2 ;;
  --call-phones) call_phones="$2"; shift 2 ;;
  --call-every) call_every="$2"; shift 2 ;;
  --fixed-ports) fixed=1; shift ;;
  --background) bg=1; shift ;;
  *) die "office.sh: unknown argument '$1'" ;;
  esac
done
for v in phones duration reg_every mwi_every blf_phones blf_missing blf_every publish_phones call_phones call_every; do
  check_int "$v" "${!v}"
done
((phones >= 1 && phones <= 100)) || die "--phones must be 1-100 (accounts 200-299)"
((duration >= 10 && duration <= 1800)) || die "--duration must be 10-1800 s"
((reg_every >= 5 && mwi_every >= 5 && blf_every >= 1 && call_every >= 5)) || die "intervals too short"
((blf_phones <= phones && publish_phones <= phones && call_phones <= phones)) || die "more special phones than phones"
((blf_missing >= 1 && blf_missing <= 40)) || die "--blf-missing must be 1-40"
lab_from_env

UAS=("Yealink SIP-T46S 66.86.0.15" "Grandstream GXP2170 1.0.11.79" "PolycomVVX-VVX_411-UA/6.4.3.5018"
  "snom D735/10.1.101.11" "Yealink SIP-T54W 96.86.0.100" "Fanvil X4U 2.12.1")
mkdir -p "$RUN/office"
limit=$((duration + 15))
names=()

# start NAME DELAY_S SIPP_ARGS...: a phone process in the phones' namespace that waits
# DELAY_S, then runs sipp against the PBX, bounded by the office's duration. Each sipp
# runs K "users" (-users K): a call starts when one ends, and every scenario ends with a
# pause of [interval] ms, so the first request goes at DELAY_S and the next ones every
# interval (sipp's -r/-rp would hold the first one back a whole period). -aa answers
# the PBX's OPTIONS qualify and NOTIFYs that arrive outside a call with 200.
start() {
  local name="$1" delay="$2"
  shift 2
  # Each sipp gets media ports of its own (-mp, 4 a process from 30000): sipp binds them
  # even for calls without media, and ~200 of them starting together race for 6000 up.
  spawn "$name" "$NS_PHONES" bash -c 'sleep "$1"; shift; exec "$@"' _ "$delay" \
    sipp "$@" -i "$PHONE4" -mp "$((30000 + 4 * ${#names[@]}))" -timeout "$((limit - delay))s" \
    -recv_timeout 4000 -nostdin "$PBX4:$SIP_PORT"
  names+=("$name")
}
# calls EVERY DELAY: how many calls fit in the office's duration.
calls() { echo $(((duration - $2) / $1 + 1)); }
pw() { awk -F';' -v u="$1" '$1 == u {print $2}' "$LAB_DIR/users.csv"; }

for ((i = 0; i < phones; i++)); do
  user=$((200 + i)) ua="${UAS[$((i % ${#UAS[@]}))]}"
  cred=(-au "$user" -ap "$(pw "$user")" -key user "$user" -key ua "$ua")
  off=$(((i * 37) % reg_every))
  if [ -n "$fixed" ]; then
    port=$((26000 + i))
    ((i == 0)) && port=5060
    transport=(-t u1 -p "$port")
  else
    transport=(-t un -max_socket 64 -p "$((26000 + i))")
  fi
  start "office-reg-$user" "$off" -sf "$LAB_DIR/sipp/office-register.xml" "${transport[@]}" \
    "${cred[@]}" -key expires "$((reg_every * 2))" -aa -users 1 -m "$(calls "$reg_every" "$off")" \
    -key interval "$((reg_every * 1000))"
  if ((i % 2 == 0)); then
    printf 'SEQUENTIAL\n%s\n' "$user" >"$RUN/office/mwi-$user.csv"
    off=$(((i * 53 + 3) % mwi_every))
    start "office-mwi-$user" "$off" -sf "$LAB_DIR/sipp/office-subscribe.xml" -t u1 -p "$((21000 + i))" \
      -inf "$RUN/office/mwi-$user.csv" "${cred[@]}" -key event message-summary \
      -key accept application/simple-message-summary -key expires "$((mwi_every * 2))" \
      -aa -users 1 -m "$(calls "$mwi_every" "$off")" -key interval "$((mwi_every * 1000))"
  fi
  if ((i % 3 == 0)); then
    off=$(((i * 7 + 1) % 30))
    start "office-opt-$user" "$off" -sf "$LAB_DIR/sipp/office-options.xml" -t u1 -p "$((22000 + i))" \
      "${cred[@]}" -aa -users 1 -m "$(calls 30 "$off")" -key interval 30000
  fi
  if ((i < blf_phones)); then
    # Extensions 150+: none exists (the lab's accounts are 100-109 and 200-299).
    f="$RUN/office/blf-$user.csv"
    echo SEQUENTIAL >"$f"
    for ((k = 0; k < blf_missing; k++)); do echo "$((150 + (i * 5 + k) % 50))" >>"$f"; done
    port=$((25000 + i))
    ((i == 0)) && [ -z "$fixed" ] && port=5060
    start "office-blf-$user" "$((2 + i))" -sf "$LAB_DIR/sipp/office-subscribe.xml" -t u1 -p "$port" \
      -inf "$f" "${cred[@]}" -key event dialog -key accept application/dialog-info+xml -key expires 300 \
      -aa -users "$blf_missing" -m "$((((duration - 2 - i) / blf_every + 1) * blf_missing))" \
      -key interval "$((blf_every * 1000))"
    f="$RUN/office/presence-$user.csv"
    printf 'SEQUENTIAL\n%s\n%s\n%s\n' "$((200 + (i + 1) % phones))" "$((200 + (i + 2) % phones))" \
      "$((200 + (i + 3) % phones))" >"$f"
    start "office-pres-$user" "$((4 + i))" -sf "$LAB_DIR/sipp/office-subscribe.xml" -t u1 -p "$((25500 + i))" \
      -inf "$f" "${cred[@]}" -key event presence -key accept application/pidf+xml -key expires 120 \
      -aa -users 3 -m "$((((duration - 4 - i) / 60 + 1) * 3))" -key interval 60000
  fi
  if ((i >= phones - publish_phones)); then
    off=$(((i * 11 + 5) % 60))
    start "office-pub-$user" "$off" -sf "$LAB_DIR/sipp/office-publish.xml" -t u1 -p "$((23000 + i))" \
      "${cred[@]}" -aa -users 1 -m "$(calls 60 "$off")" -key interval 60000
  fi
  if ((i >= blf_phones && i < blf_phones + call_phones)); then
    f="$RUN/office/calls-$user.csv"
    {
      echo SEQUENTIAL
      printf '%s\n' 555 "10$((i % 10))" "0044207946000$((i % 10))" 2999 "10$(((i + 3) % 10))" "+4930901820$((i % 10))"
    } >"$f"
    off=$(((i * 13 + 7) % call_every))
    start "office-call-$user" "$off" -sf "$LAB_DIR/sipp/office-call.xml" -t u1 -p "$((24000 + i))" \
      -inf "$f" "${cred[@]}" -aa -users 1 -m "$(calls "$call_every" "$off")" -key interval "$((call_every * 1000))"
  fi
done
echo "office: ${#names[@]} phone processes, $phones phones, ${duration}s" >&2
# The office closes at one deadline for all (a sipp in its last pause would otherwise
# linger for a whole interval).
if [ -z "$bg" ]; then
  deadline=$((SECONDS + duration + 5))
  while [ "$SECONDS" -lt "$deadline" ]; do
    alive=0
    for name in "${names[@]}"; do
      [ -f "$PIDS/$name.pid" ] && kill -0 "$(cat "$PIDS/$name.pid")" 2>/dev/null && alive=1 && break
    done
    [ "$alive" = 1 ] || break
    sleep 1
  done
  stop_names "${names[@]}"
fi
