#!/usr/bin/env bash
# Shared helpers for the SIP lab scripts (sourced, never run). Every name, address and
# path of one lab derives from its id, so several labs coexist and `down` finds exactly
# what `up` made.
# shellcheck disable=SC2034

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB_RUN_ROOT="${LAB_RUN_ROOT:-/run/sipprot-lab}"

# show_help FILE: prints the comment block at the top of a script (its manual).
show_help() {
  sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$1"
}

die() {
  echo "lab: $*" >&2
  exit 1
}

# lab_init ID: validates the id and sets every derived name. Ids are short so that the
# namespace names stay readable; the address plan only depends on LAB_NET (default 1),
# which is safe because each lab's namespaces are isolated from every other lab.
lab_init() {
  LAB_ID="$1"
  [[ "$LAB_ID" =~ ^[a-z0-9]{1,16}$ ]] || die "invalid lab id '$LAB_ID' (1-16 of a-z, 0-9)"
  LAB_NET="${LAB_NET:-1}"
  [[ "$LAB_NET" =~ ^[0-9]{1,3}$ ]] && ((LAB_NET >= 1 && LAB_NET <= 254)) ||
    die "invalid LAB_NET '$LAB_NET' (1-254)"
  NS_PBX="sp-$LAB_ID-pbx"
  NS_ATK="sp-$LAB_ID-atk"
  NS_PHONES="sp-$LAB_ID-phones"
  NS_BR="sp-$LAB_ID-br"
  LAB_NAMESPACES=("$NS_PBX" "$NS_ATK" "$NS_PHONES" "$NS_BR")
  RUN="$LAB_RUN_ROOT/$LAB_ID"
  PIDS="$RUN/pids"

  PREFIX4="10.77.$LAB_NET"
  PREFIX6="fd77:$LAB_NET:"
  PBX4="$PREFIX4.1"
  PBX6="${PREFIX6}:1"
  ATK4="$PREFIX4.66"
  ATK6="${PREFIX6}:66"
  PHONE4="$PREFIX4.20"
  PHONE6="${PREFIX6}:20"
  # Extra attacker addresses for distributed attacks: .100-.199 and fd77:n::100-::199
  # (the IPv6 ones spelled like the IPv4 ones, so read as hex they never meet ::66).
  ATK_EXTRA_FIRST=100
  ATK_EXTRA_LAST=199
  SIP_PORT=5060
}

# atk_extra4 I: the I-th (0-based) extra attacker IPv4 address.
atk_extra4() { echo "$PREFIX4.$((ATK_EXTRA_FIRST + $1))"; }
atk_extra6() { echo "$PREFIX6:$((ATK_EXTRA_FIRST + $1))"; }

# Resolves the lab id: explicit argument, then LAB_ID, else the only lab that exists.
resolve_id() {
  local id="${1:-${LAB_ID:-}}"
  if [ -z "$id" ]; then
    local labs=()
    if [ -d "$LAB_RUN_ROOT" ]; then
      mapfile -t labs < <(find "$LAB_RUN_ROOT" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
    fi
    [ "${#labs[@]}" -eq 1 ] || die "give a lab id (argument or LAB_ID); running labs: ${labs[*]:-none}"
    id="${labs[0]}"
  fi
  echo "$id"
}

ns_exists() { [ -e "/run/netns/$1" ]; }

# ns_inode NS: the network namespace's identity, as /proc/PID/ns/net shows it.
ns_inode() { stat -L -c 'net:[%i]' "/run/netns/$1" 2>/dev/null; }

# pid_in_lab PID: true when PID lives in one of this lab's namespaces, so that a stale
# PID file whose number was reused by an unrelated process is never killed. The
# namespaces' identities are kept once all of them exist (LAB_NS_IDS): a stat per
# namespace and PID made stopping a lab's ~15 processes take 2-3 s (0.2 s a PID on a
# loaded machine). While some are missing (a lab half up) they are read at every call.
LAB_NS_IDS=()
pid_in_lab() {
  local pid="$1" nsid ns id ids=()
  nsid="$(readlink "/proc/$pid/ns/net" 2>/dev/null)" || return 1
  if [ "${#LAB_NS_IDS[@]}" -eq "${#LAB_NAMESPACES[@]}" ]; then
    ids=("${LAB_NS_IDS[@]}")
  else
    for ns in "${LAB_NAMESPACES[@]}"; do
      id="$(ns_inode "$ns")" && ids+=("$id")
    done
    [ "${#ids[@]}" -ne "${#LAB_NAMESPACES[@]}" ] || LAB_NS_IDS=("${ids[@]}")
  fi
  for id in "${ids[@]}"; do
    [ "$nsid" = "$id" ] && return 0
  done
  return 1
}

# spawn NAME NS CMD...: runs CMD inside namespace NS in the background, output to
# $RUN/NAME.log, PID to $PIDS/NAME.pid (ip netns exec execs, so $! is CMD itself).
spawn() {
  local name="$1" ns="$2"
  shift 2
  mkdir -p "$PIDS"
  ip netns exec "$ns" "$@" >"$RUN/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
}

# stop_pid PID: TERM, wait up to 3 s, then KILL; only for processes of this lab.
stop_pid() {
  local pid="$1" i
  pid_in_lab "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 30); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# stop_pids PID...: stop_pid for many at once: TERM to all, then one wait of up to 3 s
# for all, then KILL. One at a time, each waited at least 0.1 s (kill -0 right after the
# TERM finds it alive): the office's ~60 sipps took 6 s to stop, a lab's ~15 processes 2 s.
stop_pids() {
  local pid i alive=()
  for pid in "$@"; do
    pid_in_lab "$pid" || continue
    kill -TERM "$pid" 2>/dev/null && alive+=("$pid")
  done
  for i in $(seq 60); do
    [ "${#alive[@]}" -gt 0 ] || return 0
    local still=()
    for pid in "${alive[@]}"; do kill -0 "$pid" 2>/dev/null && still+=("$pid"); done
    alive=("${still[@]}")
    [ "${#alive[@]}" -gt 0 ] || return 0
    sleep 0.05
  done
  for pid in "${alive[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
}

# stop_names NAME...: stop_named for many at once (stop_pids).
stop_names() {
  local name f pids=()
  for name in "$@"; do
    f="$PIDS/$name.pid"
    [ -f "$f" ] && pids+=("$(cat "$f")")
  done
  stop_pids "${pids[@]}"
  for name in "$@"; do rm -f "$PIDS/$name.pid"; done
}

# stop_named NAME: stops the process recorded in $PIDS/NAME.pid.
stop_named() {
  local f="$PIDS/$1.pid"
  [ -f "$f" ] || return 0
  stop_pid "$(cat "$f")"
  rm -f "$f"
}

# wait_named NAME TIMEOUT_S: waits for a spawned process to end by itself; stops it
# after TIMEOUT_S. Returns 0 whatever its exit status (sipp exits 1 when calls fail,
# which is what an attack is made of).
wait_named() {
  local f="$PIDS/$1.pid" deadline pid
  [ -f "$f" ] || return 0
  pid="$(cat "$f")"
  deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
    sleep 0.2
  done
  stop_named "$1"
}

require_lab() {
  ns_exists "$NS_PBX" && ns_exists "$NS_ATK" && ns_exists "$NS_PHONES" ||
    die "lab '$LAB_ID' is not up (run: scripts/lab/lab.sh up $LAB_ID)"
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces)"
}

# run_bounded NAME NS SECONDS CMD...: spawn + wait, for a tool run in the foreground
# that must still be stoppable by `lab.sh down` from elsewhere.
run_bounded() {
  local name="$1" ns="$2" secs="$3"
  shift 3
  spawn "$name" "$ns" "$@"
  wait_named "$name" "$secs"
}

# target FAMILY: the PBX as sipp wants it (host:port, IPv6 in brackets).
pbx_target() {
  if [ "$1" = 6 ]; then echo "[$PBX6]:$SIP_PORT"; else echo "$PBX4:$SIP_PORT"; fi
}

# lab_from_env: the common prologue of the traffic scripts (id from LAB_ID or the only
# running lab).
lab_from_env() {
  require_root
  lab_init "$(resolve_id "${LAB_ID:-}")"
  require_lab
  mkdir -p "$PIDS"
}

check_int() { [[ "$2" =~ ^[0-9]+$ ]] || die "$1 must be a non-negative integer, got '$2'"; }
check_family() { [[ "$1" == 4 || "$1" == 6 ]] || die "family must be 4 or 6, got '$1'"; }
# check_transport T [tls]: udp or tcp; tls too for the scripts that carry it (tls_tunnel).
check_transport() {
  [[ "$1" == udp || "$1" == tcp || ("$1" == tls && "${2:-}" == tls) ]] ||
    die "transport must be udp or tcp${2:+ or tls}, got '$1'"
}
# sipp 3.6.1 as Debian builds it has no TLS: for tls it speaks TCP to tls_tunnel.
sipp_transport() { if [ "$1" = udp ]; then echo u1; else echo t1; fi; }

# tls_tunnel NAME NS SRC FAMILY: SIP over TLS for a client without TLS (Debian's sipp).
# socat (OpenSSL) in NS accepts plain TCP on SRC:15061 and carries each connection to
# the PBX's TLS port 5061 in a TLS connection of its own, from SRC: the PBX sees TLS
# from SRC, as from a TLS phone. The lab certificate is self-signed: not verified.
# Sets TLS_TARGET, the address sipp aims at. Needs a lab started with LAB_TLS=1.
tls_tunnel() {
  local name="$1" ns="$2" src="$3" family="$4" listen connect i
  command -v socat >/dev/null || die "socat is missing (scripts/setup.sh installs it)"
  if [ "$family" = 6 ]; then
    listen="TCP6-LISTEN:15061,bind=[$src]" connect="OPENSSL:[$PBX6]:5061,pf=ip6,bind=[$src]"
    TLS_TARGET="[$src]:15061"
  else
    listen="TCP4-LISTEN:15061,bind=$src" connect="OPENSSL:$PBX4:5061,bind=$src"
    TLS_TARGET="$src:15061"
  fi
  spawn "$name" "$ns" socat "$listen,reuseaddr,fork" "$connect,verify=0"
  for i in $(seq 50); do
    ip netns exec "$ns" ss -Hlnt 'sport = :15061' | grep -qF "$src" && return 0
    sleep 0.1
  done
  die "the TLS tunnel from $src did not listen: $(tail -3 "$RUN/$name.log")"
}

# check_atk_addr ADDR: the address must be one of the attacker namespace's own.
check_atk_addr() {
  ip -n "$NS_ATK" -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]}' | grep -qxF "$1" ||
    die "$1 is not an address of $NS_ATK"
}
