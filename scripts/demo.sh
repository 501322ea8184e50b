#!/usr/bin/env bash
# The live demo: a real SIP attack blocked by sipprot, in network namespaces.
#
#   sudo bash scripts/demo.sh [--hold]        (DEMO_HOLD=1 is the same as --hold)
#   sudo bash scripts/demo.sh --cluster [--hold]
#
# --cluster: two PBX hosts sharing one Redis (cluster mode), an attacker reaching both; a
# brute force against one is blocked on both (scripts/demo-cluster.ts).
#
# Builds a small SIP network (scripts/lab): a PBX namespace with Kamailio (digest auth)
# guarded by sipprotd, phones registering, an attacker. Then runs real attacks
# (SIPVicious svmap and svwar, a sipp password brute force) and shows the attacker cut
# off, the phones unharmed and the web UI up. Without --hold it cleans everything up and
# exits 0 when every attacker was blocked and no phone was, non-zero otherwise (about a
# minute). With --hold it keeps the lab and the daemon running until Ctrl-C.
#
# All traffic stays inside the lab's namespaces (no route out, no link to the host);
# every generator is bounded in count and time. Needs root. On a fresh machine it runs
# scripts/setup.sh first (Debian packages, npm dependencies, build).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
LAB_SH=scripts/lab

hold="${DEMO_HOLD:-0}"
cluster=0
for arg in "$@"; do
  case "$arg" in
  --hold) hold=1 ;;
  --cluster) cluster=1 ;;
  -h | --help)
    sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "$0"
    exit 0
    ;;
  *)
    echo "demo: unknown argument '$arg' (try --help)" >&2
    exit 2
    ;;
  esac
done
[ "$hold" = 1 ] || hold=0

if [ -t 1 ]; then
  B=$'\e[1m' DIM=$'\e[2m' G=$'\e[32m' R=$'\e[31m' Y=$'\e[33m' C=$'\e[36m' N=$'\e[0m'
else
  B='' DIM='' G='' R='' Y='' C='' N=''
fi
step_no=0
step() {
  step_no=$((step_no + 1))
  printf '\n%s== %d. %s ==%s\n' "$B$C" "$step_no" "$*" "$N"
}
say() { printf '%s\n' "$*"; }
note() { printf '%s%s%s\n' "$DIM" "$*" "$N"; }
ok() { printf '%s✔ %s%s\n' "$G" "$*" "$N"; }
bad() {
  printf '%s✘ %s%s\n' "$R" "$*" "$N"
  failures=$((failures + 1))
}
# show CMD...: prints the command as an admin would type it, then runs it.
show() {
  local shown
  shown="$(printf '%q ' "$@")"
  printf '  %s$ %s%s\n' "$Y" "${shown% }" "$N"
  "$@"
}
die() {
  echo "demo: $*" >&2
  exit 1
}
failures=0

[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces, capture and nftables need it): sudo bash scripts/demo.sh"

# --- 0. what the demo needs -------------------------------------------------------------
need_setup=""
for f in node_modules/.package-lock.json dist/cli/sipprotd.js dist/cli/sipprot.js web/dist/index.html; do
  [ -e "$f" ] || need_setup="$f is missing"
done
for tool in kamailio sipp svmap svwar tcpdump nft; do
  command -v "$tool" >/dev/null 2>&1 || need_setup="$tool is not installed"
done
if [ -n "$need_setup" ]; then
  say "${B}First run${N} ($need_setup): installing what sipprot needs with scripts/setup.sh ..."
  bash scripts/setup.sh
elif [ -n "$(find src -name '*.ts' -newer dist/cli/sipprotd.js -print -quit)" ]; then
  say "The sources changed since the last build: rebuilding (npx tsc) ..."
  npx tsc -p tsconfig.json >"${TMPDIR:-/tmp}/sipprot-demo-build.$$.log" 2>&1 ||
    note "(the build reported errors, see ${TMPDIR:-/tmp}/sipprot-demo-build.$$.log; running what was built)"
  rm -f "${TMPDIR:-/tmp}/sipprot-demo-build.$$.log"
fi

if [ "$cluster" = 1 ]; then
  command -v redis-server >/dev/null 2>&1 || bash scripts/setup.sh
  exec node --import tsx scripts/demo-cluster.ts $([ "$hold" = 1 ] && echo --hold)
fi

LAB="d$$"
NS_PBX="sp-$LAB-pbx"
NS_ATK="sp-$LAB-atk"
PBX=10.77.1.1
PHONES=10.77.1.20
CRACKER=10.77.1.66     # sipp password brute force
SCANNER=10.77.1.150    # svmap
ENUMERATOR=10.77.1.151 # svwar
HIT_COUNT=5
BLOCKTIME=120
WEB=127.0.0.1:8040
DIR="$(mktemp -d "${TMPDIR:-/tmp}/sipprot-demo.XXXXXX")"
chmod 700 "$DIR"
CONF="$DIR/sipprot.conf"
LOG="$DIR/sipprotd.log"
export LAB_ID="$LAB"
daemon_pid=""
lab_up=0
tcpdump_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  printf '\n%sCleaning up%s: ' "$B" "$N"
  if [ -n "$tcpdump_pid" ] && kill -0 "$tcpdump_pid" 2>/dev/null; then kill "$tcpdump_pid" 2>/dev/null || true; fi
  if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
    # SIGTERM: sipprotd stops and removes its nftables table.
    kill -TERM "$daemon_pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$daemon_pid" 2>/dev/null || true
    printf 'sipprotd stopped; '
  fi
  if [ "$lab_up" = 1 ]; then
    "$LAB_SH/lab.sh" down "$LAB" >/dev/null 2>&1 || true
    printf 'lab %s down; ' "$LAB"
  fi
  if [ -n "${DEMO_KEEP:-}" ]; then printf 'kept %s\n' "$DIR"; else rm -rf "$DIR" && printf 'removed %s\n' "$DIR"; fi
  exit "$rc"
}
trap cleanup EXIT
# Ctrl-C during the demo: exit 130; while holding after a finished demo: its verdict.
trap 'exit "${final_rc:-130}"' INT TERM

sipprot() { node "$ROOT/bin/sipprot.js" --config "$CONF" "$@"; }
# IP's block record as `sipprot status --dynamic --json` has it, one JSON line with `us`
# (when it was blocked, epoch microseconds: the capture timestamp of the packet that decided
# it) added; nothing when IP is not blocked. (The daemon's log is for reading:
# LOG_FORMAT=text, the default.)
decision() {
  sipprot status --dynamic --json 2>/dev/null | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const r = (JSON.parse(s || "{}").dynamic ?? []).find((b) => b.ip === process.argv[1]);
      if (r) console.log(JSON.stringify({ ...r, us: Math.round(r.blockedAt * 1e6) }));
    });' "$1" || true
}
json_field() { sed -nE "s/.*\"$1\":(\"([^\"]*)\"|([0-9.]+|null)).*/\2\3/p"; }
registrations() { grep -cF "registered user=$1 src=$PHONES " "/run/sipprot-lab/$LAB/kamailio.log" || true; }
registrar_failures() { grep -cF "auth-failed reason=wrong-password method=REGISTER user=100 src=$1 " "/run/sipprot-lab/$LAB/kamailio.log" || true; }

printf '%ssipprot live demo%s: a PBX under attack, guarded by sipprotd (lab %s, files in %s)\n' "$B" "$N" "$LAB" "$DIR"

# --- 1. the network ---------------------------------------------------------------------
step "A SIP network in namespaces: PBX (Kamailio), phones, attacker"
"$LAB_SH/lab.sh" up "$LAB" >/dev/null
lab_up=1
say "  $NS_PBX     PBX $PBX:5060 (UDP+TCP), Kamailio registrar with digest auth, users 100-109"
say "  sp-$LAB-phones  phones 100-104 behind one address, $PHONES"
say "  $NS_ATK     attacker $CRACKER (and extra addresses .100-.199)"
note "  (joined by a bridge in sp-$LAB-br; no route leaves the lab)"

# --- 2. the guard -----------------------------------------------------------------------
step "sipprotd guards the PBX (inside $NS_PBX)"
cat >"$CONF" <<EOF
# sipprot demo configuration
INTERFACES=any
PROTOCOLS=udp,tcp
SIP_PORTS=5060
HIT_COUNT=$HIT_COUNT
MONIT_PERIOD=60
BLOCKTIME=$BLOCKTIME
BLOCK_THRESHOLD=5
STATE_DIR=$DIR/state
WEB_LISTEN=$WEB
NOTIFY_DAILY=no
EOF
chmod 600 "$CONF"
sed 's/^/  /' "$CONF"
ip netns exec "$NS_PBX" node "$ROOT/bin/sipprotd.js" --config "$CONF" run >"$LOG" 2>&1 </dev/null &
daemon_pid=$!
for _ in $(seq 300); do
  grep -q 'sipprotd started' "$LOG" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || { tail -20 "$LOG" >&2; die "sipprotd exited during start"; }
  sleep 0.1
done
grep -q 'sipprotd started' "$LOG" || { tail -20 "$LOG" >&2; die "sipprotd did not start within 30 s"; }
ok "sipprotd runs (pid $daemon_pid): capturing on 'any', nftables table inet sipprot loaded"
note "  $ ip netns exec $NS_PBX node bin/sipprotd.js --config $CONF run"

# --- 3. phones --------------------------------------------------------------------------
step "Five phones register: REGISTER -> 401 challenge -> REGISTER with credentials -> 200 OK"
loops=20
[ "$hold" = 1 ] && loops=200
"$LAB_SH/phones.sh" --loops "$loops" --interval 3000 --background
sleep 4
declare -A regs_before
for u in 100 101 102 103 104; do regs_before[$u]="$(registrations "$u")"; done
say "  200 OKs so far: $(for u in 100 101 102 103 104; do printf 'phone %s: %s  ' "$u" "${regs_before[$u]}"; done)"
note "  (a normal registration has a 401 challenge in it: sipprot does not count that as a failure)"

# --- 4. scanner -------------------------------------------------------------------------
step "Attack 1: SIPVicious svmap scans the PBX from $SCANNER (User-Agent: friendly-scanner)"
show "$LAB_SH/sipvicious.sh" svmap --src "$SCANNER" --timeout 15 | sed 's/^/  /'
line="$(decision "$SCANNER")"
if [ -n "$line" ]; then
  ok "blocked at its first packet: reason $(json_field reason <<<"$line"), user agent $(json_field userAgent <<<"$line")"
else
  bad "the scanner was not blocked"
fi
say "  Scanning again from the same address: the PBX no longer answers."
again="$("$LAB_SH/sipvicious.sh" svmap --src "$SCANNER" --timeout 15 2>&1 || true)"
if grep -q "$PBX:5060" <<<"$again"; then bad "the second scan still found the PBX"; else ok "svmap: $(grep -o 'found nothing' <<<"$again" || echo 'no answer')"; fi

# --- 5. password brute force ------------------------------------------------------------
step "Attack 2: sipp guesses the password of extension 100 from $CRACKER (20 guesses at 5/s)"
pcap="$DIR/attacker.pcap"
ip netns exec "$NS_ATK" tcpdump -i eth0 -nn -U -w "$pcap" "host $CRACKER and port 5060" >"$DIR/tcpdump.log" 2>&1 &
tcpdump_pid=$!
for _ in $(seq 50); do grep -q 'listening on' "$DIR/tcpdump.log" && break; sleep 0.1; done
show "$LAB_SH/bruteforce.sh" --src "$CRACKER" --user 100 --count 20 --rate 5 --ua "VoIP-Bruter 1.3" --timeout 30
sleep 0.5
kill -INT "$tcpdump_pid" 2>/dev/null || true
wait "$tcpdump_pid" 2>/dev/null || true
tcpdump_pid=""
line="$(decision "$CRACKER")"
block_us="$(json_field us <<<"$line")"
say "  What the attacker saw on the wire (tcpdump in its own namespace):"
# The mark goes right after the answer that reached HIT_COUNT, found by the block's
# microsecond (scripts/demo-attacker-view.awk); its verdict (OK, LEAK, UNSEEN) goes to leak.
tcpdump -r "$pcap" -nn -tt 2>/dev/null |
  awk -v atk="$CRACKER" -v blk="${block_us:-0}" -f "$ROOT/scripts/demo-attacker-view.awk" 2>"$DIR/leak"
fails="$(registrar_failures "$CRACKER")"
if [ -n "$line" ]; then
  ok "blocked: reason $(json_field reason <<<"$line"); the registrar answered $fails wrong passwords (HIT_COUNT=$HIT_COUNT)"
  [ "$fails" -le $((HIT_COUNT + 1)) ] || bad "more than HIT_COUNT + 1 = $((HIT_COUNT + 1)) wrong passwords were answered"
  case "$(cat "$DIR/leak")" in
  OK) ok "no answer reached the attacker after the block" ;;
  UNSEEN) bad "the answer that reached HIT_COUNT is not in the attacker's capture: no view to judge" ;;
  *) bad "answers reached the attacker after the block" ;;
  esac
else
  bad "the password cracker was not blocked"
fi

# --- 6. enumeration ---------------------------------------------------------------------
step "Attack 3: SIPVicious svwar enumerates extensions 100-199 from $ENUMERATOR (compact headers, no User-Agent)"
svwar_out="$(show "$LAB_SH/sipvicious.sh" svwar --compact --method OPTIONS --range 100-199 --src "$ENUMERATOR" --timeout 20)"
grep -F '$ ' <<<"$svwar_out" || true
found="$(grep -oE '^\| [0-9]+ ' <<<"$svwar_out" | tr -dc '0-9 \n' | xargs || true)"
say "  svwar reports extensions: ${found:-none} (those it heard of before the PBX went silent)"
grep -E 'WARNING' <<<"$svwar_out" | sed 's/^/  /' || true
line="$(decision "$ENUMERATOR")"
if [ -n "$line" ]; then
  ok "blocked: reason $(json_field reason <<<"$line") ($(json_field note <<<"$line"))"
else
  bad "the enumerator was not blocked"
fi

# --- 7. what the admin sees -------------------------------------------------------------
step "What the admin sees"
show sipprot status --dynamic | sed 's/^/  /'
note "  (country: the lab uses private addresses, which belong to no country)"
echo
set +e
show sipprot check "$CRACKER" | sed 's/^/  /'
echo
show ip netns exec "$NS_PBX" nft list set inet sipprot dyn4 | sed 's/^/  /'
set -e

# --- 8. the phones ----------------------------------------------------------------------
step "The phones kept registering"
sleep 3.5 # one more registration round
phones_ok=1
for u in 100 101 102 103 104; do
  now="$(registrations "$u")"
  say "  phone $u: $now x 200 OK (${regs_before[$u]} before the attacks, $((now - regs_before[$u])) during/after)"
  [ "$now" -gt "${regs_before[$u]}" ] || phones_ok=0
done
[ "$phones_ok" = 1 ] && ok "every phone registered again while the attacks ran" || bad "a phone stopped registering"
set +e
show sipprot check "$PHONES" | sed 's/^/  /'
check_rc="${PIPESTATUS[0]}"
set -e
if [ "$check_rc" -eq 0 ] && ! sipprot status --dynamic --json | grep -qF "\"ip\": \"$PHONES\""; then
  ok "the phones' address $PHONES is not blocked"
else
  bad "the phones' address $PHONES is blocked"
fi

# --- 9. web UI --------------------------------------------------------------------------
step "The web UI"
code="$(ip netns exec "$NS_PBX" curl -s -o /dev/null -w '%{http_code}' "http://$WEB/" || true)"
password="$(head -1 "$DIR/state/initial-admin-password" 2>/dev/null || true)"
if [ "$code" = 200 ]; then ok "up on http://$WEB/ inside $NS_PBX (HTTP $code)"; else bad "the web UI answered HTTP $code"; fi
say "  reach it:   sudo ip netns exec $NS_PBX curl http://$WEB/"
say "  API:        sudo ip netns exec $NS_PBX curl http://$WEB/api/health"
say "  login:      admin password ${B}${password:-(see $LOG)}${N} (generated at first start, in $DIR/state/initial-admin-password)"
if command -v socat >/dev/null 2>&1; then
  say "  a browser on this host: sudo socat TCP-LISTEN:8040,bind=127.0.0.1,fork,reuseaddr EXEC:'ip netns exec $NS_PBX socat STDIO TCP:$WEB'"
fi

# --- verdict ----------------------------------------------------------------------------
echo
if [ "$failures" -eq 0 ]; then
  printf '%sResult: every attacker was cut off; no phone was blocked.%s\n' "$B$G" "$N"
else
  printf '%sResult: %d check(s) failed (daemon log: %s).%s\n' "$B$R" "$failures" "$LOG" "$N"
fi

final_rc=0
[ "$failures" -eq 0 ] || final_rc=1
if [ "$hold" = 1 ]; then
  printf '\n%sHolding%s: the lab, the phones (for 10 minutes) and sipprotd keep running. Try:\n' "$B" "$N"
  say "  sudo LAB_ID=$LAB $LAB_SH/bruteforce.sh --src 10.77.1.120 --count 10"
  say "  sudo node bin/sipprot.js --config $CONF status --dynamic"
  say "  sudo node bin/sipprot.js --config $CONF unblock $CRACKER"
  say "Press Ctrl-C to stop and clean up."
  while kill -0 "$daemon_pid" 2>/dev/null; do sleep 1; done
  die "sipprotd exited (see $LOG)"
fi
exit "$final_rc"
