#!/usr/bin/env bash
# The SIP lab: network namespaces with a real registrar (Kamailio), an attacker and
# phones, joined by a Linux bridge in a namespace of their own.
#
#   lab.sh up [ID]      create namespaces, addresses, start Kamailio; prints the id
#   lab.sh down [ID]    stop this lab's processes, delete its namespaces (idempotent)
#   lab.sh status [ID]  namespaces, addresses, registrar state
#
# ID: argument, else $LAB_ID, else (up) "l<pid>"; down/status take the only running
# lab when there is exactly one. Environment: LAB_NET (1-254, default 1) picks
# 10.77.<n>.0/24 and fd77:<n>::/64; LAB_WRONG_PW=401|403 and LAB_UNKNOWN_USER=404|401
# choose the registrar's answers (see kamailio.cfg.in); LAB_NONCE_EXPIRE (seconds,
# default 300) how long a nonce stays valid; LAB_STYLE=kamailio|pjsip the PBX's way of
# answering (pjsip: every challenge and failure a 401, like Asterisk's chan_pjsip);
# LAB_QUALIFY=S (default 0: off) OPTIONS from the PBX to every registered contact every S
# seconds; LAB_GUEST_MAP="ADDR=CODE ..." the answer (401 403 404 407 484 503) that an
# unauthenticated INVITE from ADDR gets; LAB_TLS=1 adds SIP over TLS on port 5061 (a
# self-signed certificate made at up); LAB_WS=1 adds SIP over WebSocket (RFC 7118) on
# port 8080, and over secure WebSocket on 4443 with LAB_TLS=1 too; LAB_HEP=HOST:PORT
# mirrors all SIP (TLS and WebSocket unwrapped) as HEPv3 to HOST:PORT (Kamailio
# siptrace), for a sipprotd HEP_LISTEN in sp-ID-pbx.
#
#         sp-ID-atk (eth0)  ──veth──┐
#                                   ├── br0 in sp-ID-br ──veth── (eth0) sp-ID-pbx
#      sp-ID-phones (eth0)  ──veth──┘
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
  echo "usage: lab.sh up|down|status [ID]" >&2
  exit 2
}

gen_config() {
  local users="" user pw defines=""
  while IFS=';' read -r user pw; do
    [[ -z "$user" || "$user" == \#* ]] && continue
    [[ "$user" =~ ^[0-9a-z]+$ && "$pw" =~ ^[A-Za-z0-9._-]+$ ]] || die "bad line in users.csv: $user"
    users+="	\$sht(users=>$user) = \"$pw\";"$'\n'
  done <"$LAB_DIR/users.csv"
  case "${LAB_WRONG_PW:-401}" in
  401) ;;
  403) defines+="#!define WRONG_PW_403"$'\n' ;;
  *) die "LAB_WRONG_PW must be 401 or 403" ;;
  esac
  case "${LAB_UNKNOWN_USER:-404}" in
  404) ;;
  401) defines+="#!define UNKNOWN_USER_401"$'\n' ;;
  *) die "LAB_UNKNOWN_USER must be 404 or 401" ;;
  esac
  case "${LAB_STYLE:-kamailio}" in
  kamailio) ;;
  # Asterisk answers an unknown user like a wrong password (a 401 challenge), never 404.
  pjsip) defines+="#!define STYLE_PJSIP"$'\n'"#!define UNKNOWN_USER_401"$'\n' ;;
  *) die "LAB_STYLE must be kamailio or pjsip" ;;
  esac
  local qualify="${LAB_QUALIFY:-0}"
  [[ "$qualify" =~ ^[0-9]+$ ]] && ((qualify <= 3600)) || die "LAB_QUALIFY must be 0-3600 seconds"
  ((qualify == 0)) || defines+="#!define QUALIFY"$'\n'
  case "${LAB_WS:-0}" in
  0) ;;
  1) defines+="#!define WITH_WS"$'\n' ;;
  *) die "LAB_WS must be 0 or 1" ;;
  esac
  # nathelper: for the qualify pings and for the WebSocket contacts.
  if ((qualify != 0)) || [ "${LAB_WS:-0}" = 1 ]; then
    defines+="#!define WITH_NATHELPER"$'\n'
  fi
  local guests="" g
  for g in ${LAB_GUEST_MAP:-}; do
    [[ "$g" =~ ^([0-9a-f.:]+)=(401|403|404|407|484|503)$ ]] || die "bad LAB_GUEST_MAP entry '$g' (ADDR=CODE)"
    guests+="	\$sht(guest=>${BASH_REMATCH[1]}) = \"${BASH_REMATCH[2]}\";"$'\n'
  done
  case "${LAB_TLS:-0}" in
  0) ;;
  1)
    defines+="#!define WITH_TLS"$'\n'
    gen_tls
    ;;
  *) die "LAB_TLS must be 0 or 1" ;;
  esac
  local hep="${LAB_HEP:-}"
  if [ -n "$hep" ]; then
    [[ "$hep" =~ ^[0-9.]+:[0-9]{1,5}$ ]] || die "LAB_HEP must be IPV4:PORT (got '$hep')"
    defines+="#!define WITH_HEP"$'\n'
  fi
  local expire="${LAB_NONCE_EXPIRE:-300}"
  [[ "$expire" =~ ^[0-9]+$ ]] && ((expire >= 1)) || die "LAB_NONCE_EXPIRE must be a positive number of seconds"
  local secret
  secret="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  local tpl
  tpl="$(<"$LAB_DIR/kamailio.cfg.in")"
  tpl="${tpl//@DEFINES@/$defines}"
  tpl="${tpl//@USERS@/$users}"
  tpl="${tpl//@GUESTS@/$guests}"
  tpl="${tpl//@QUALIFY@/$qualify}"
  tpl="${tpl//@PBX4@/$PBX4}"
  tpl="${tpl//@PBX6@/$PBX6}"
  tpl="${tpl//@RUN@/$RUN}"
  tpl="${tpl//@SECRET@/$secret}"
  tpl="${tpl//@REALM@/sipprot-lab}"
  tpl="${tpl//@NONCE_EXPIRE@/$expire}"
  tpl="${tpl//@HEP@/$hep}"
  printf '%s\n' "$tpl" >"$RUN/kamailio.cfg"
}

# gen_tls: a self-signed certificate for the PBX (2 days: a lab lives minutes) and
# Kamailio's tls.cfg. Phones and attackers do not verify it (lab clients accept any).
gen_tls() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=pbx.sipprot-lab" \
    -addext "subjectAltName=IP:$PBX4,IP:$PBX6" \
    -keyout "$RUN/tls-key.pem" -out "$RUN/tls-cert.pem" >/dev/null 2>&1 ||
    die "openssl could not make the lab certificate"
  chmod 600 "$RUN/tls-key.pem"
  cat >"$RUN/tls.cfg" <<EOF
[server:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
private_key = $RUN/tls-key.pem
certificate = $RUN/tls-cert.pem

[client:default]
method = TLSv1.2+
verify_certificate = no
require_certificate = no
EOF
}

# listening: how many of the lab's SIP sockets Kamailio has open in the PBX namespace.
listening() {
  ip netns exec "$NS_PBX" ss -Hlnut '( sport = :5060 or sport = :5061 or sport = :8080 or sport = :4443 )' | wc -l
}

# link NS PORT: a veth from the bridge namespace (port name PORT) to eth0 in NS.
link() {
  local ns="$1" port="$2"
  ip -n "$NS_BR" link add "$port" type veth peer name eth0 netns "$ns"
  ip -n "$NS_BR" link set "$port" master br0 up
  ip -n "$ns" link set eth0 up
}

up() {
  require_root
  if ns_exists "$NS_PBX"; then
    echo "lab $LAB_ID: already up"
    return 0
  fi
  mkdir -p "$RUN/kamailio" "$PIDS"
  # A half-made lab (an earlier up that failed) is cleared first.
  down quiet
  mkdir -p "$RUN/kamailio" "$PIDS"
  # Whatever fails from here on (die exits, set -e exits), nothing is left behind.
  trap 'rc=$?; if [ "$rc" -ne 0 ]; then echo "lab $LAB_ID: up failed, cleaning up" >&2; down quiet; fi' EXIT
  local ns
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    # No router, no default route: the namespaces reach only each other.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
  done
  ip -n "$NS_BR" link add br0 type bridge
  ip -n "$NS_BR" link set br0 up
  link "$NS_PBX" pbx
  link "$NS_ATK" atk
  link "$NS_PHONES" phones

  ip -n "$NS_PBX" addr add "$PBX4/24" dev eth0
  ip -n "$NS_PBX" addr add "$PBX6/64" dev eth0 nodad
  ip -n "$NS_PHONES" addr add "$PHONE4/24" dev eth0
  ip -n "$NS_PHONES" addr add "$PHONE6/64" dev eth0 nodad
  ip -n "$NS_ATK" addr add "$ATK4/24" dev eth0
  ip -n "$NS_ATK" addr add "$ATK6/64" dev eth0 nodad
  local i batch="$RUN/atk-addrs.batch"
  : >"$batch"
  for ((i = 0; i <= ATK_EXTRA_LAST - ATK_EXTRA_FIRST; i++)); do
    echo "addr add $(atk_extra4 "$i")/24 dev eth0" >>"$batch"
    echo "addr add $(atk_extra6 "$i")/64 dev eth0 nodad" >>"$batch"
  done
  ip -n "$NS_ATK" -batch "$batch"

  gen_config
  ip netns exec "$NS_PBX" kamailio -c -f "$RUN/kamailio.cfg" -Y "$RUN/kamailio" >"$RUN/kamailio-check.log" 2>&1 ||
    die "kamailio rejected $RUN/kamailio.cfg: $(tail -5 "$RUN/kamailio-check.log")"
  spawn kamailio "$NS_PBX" kamailio -f "$RUN/kamailio.cfg" -Y "$RUN/kamailio" -DD -E -m 64 -M 8
  # Ready when every transport listens on both families (UDP, TCP; TLS on 5061 with
  # LAB_TLS; WS on 8080 with LAB_WS, WSS on 4443 with both).
  local want=4
  [ "${LAB_TLS:-0}" = 1 ] && want=$((want + 2))
  [ "${LAB_WS:-0}" = 1 ] && want=$((want + 2))
  [ "${LAB_WS:-0}${LAB_TLS:-0}" = 11 ] && want=$((want + 2))
  for i in $(seq 100); do
    if [ "$(listening)" -ge "$want" ]; then
      break
    fi
    kill -0 "$(cat "$PIDS/kamailio.pid")" 2>/dev/null || die "kamailio exited: $(tail -5 "$RUN/kamailio.log")"
    sleep 0.1
  done
  [ "$(listening)" -ge "$want" ] ||
    die "kamailio not listening after 10 s: $(tail -5 "$RUN/kamailio.log")"
  trap - EXIT
  echo "$LAB_ID"
}

down() {
  local quiet="${1:-}" f pid ns comm
  # First what we recorded, then anything else still inside our namespaces (which only
  # this lab's scripts can have started: the namespaces are ours).
  local pids=()
  # Kamailio's processes take ~1.5 s to end on TERM; nothing of them is kept (the log and
  # the runtime dir go with $RUN, the shared memory with the processes): KILL.
  if ns_exists "$NS_PBX"; then
    for pid in $(ip netns pids "$NS_PBX" 2>/dev/null); do
      read -r comm <"/proc/$pid/comm" 2>/dev/null || continue
      [ "$comm" = kamailio ] && kill -KILL "$pid" 2>/dev/null
    done
  fi
  if [ -d "$PIDS" ]; then
    for f in "$PIDS"/*.pid; do
      [ -e "$f" ] && pids+=("$(cat "$f")")
    done
    stop_pids "${pids[@]}"
    rm -f "$PIDS"/*.pid
  fi
  pids=()
  for ns in "${LAB_NAMESPACES[@]}"; do
    ns_exists "$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do pids+=("$pid"); done
  done
  stop_pids "${pids[@]}"
  for ns in "${LAB_NAMESPACES[@]}"; do
    if ns_exists "$ns"; then
      ip netns del "$ns"
    fi
  done
  LAB_NS_IDS=() # gone: namespaces made again later in this script are other ones
  rm -rf "$RUN"
  [ -n "$quiet" ] || echo "lab $LAB_ID: down"
}

status() {
  local ns up=0
  echo "lab $LAB_ID (run dir $RUN)"
  for ns in "${LAB_NAMESPACES[@]}"; do
    if ns_exists "$ns"; then
      echo "  $ns: $(ip -n "$ns" -br addr show dev eth0 2>/dev/null | awk '{$1=$2=""; print}' | cut -c1-80 || echo bridge)"
      up=$((up + 1))
    else
      echo "  $ns: absent"
    fi
  done
  local pid=""
  [ -f "$PIDS/kamailio.pid" ] && pid="$(cat "$PIDS/kamailio.pid")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    echo "  kamailio: running, pid $pid, log $RUN/kamailio.log"
    ip netns exec "$NS_PBX" ss -Hlnut '( sport = :5060 or sport = :5061 or sport = :8080 or sport = :4443 )' | awk '{print "    listening " $1 " " $5}'
  else
    echo "  kamailio: not running"
  fi
  [ "$up" -eq 4 ] && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

cmd="${1:-}"
case "$cmd" in
up)
  lab_init "${2:-${LAB_ID:-l$$}}"
  up
  ;;
down)
  require_root
  lab_init "$(resolve_id "${2:-}")"
  down
  ;;
status)
  lab_init "$(resolve_id "${2:-}")"
  status
  ;;
-h | --help) show_help "$0" ;;
*) usage ;;
esac
