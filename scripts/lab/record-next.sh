#!/usr/bin/env bash
# Records the lab cases of issue 12 (real offices and real attacks): each brings up a
# lab of its own, captures SIP in the PBX namespace while the case's traffic runs, then
# writes <dir>/<case>/capture.pcap and expect.json and takes the lab down (also on
# failure or interrupt). <dir> is testdata/golden for the cases today's rules already
# decide right, testdata/golden-next for the others (test/lab/next-cases.testkit.ts says which).
#
#   record-next.sh CASE [OUT_ROOT]              record one case
#   record-next.sh --all [OUT_ROOT]             record every case (~25 min)
#   record-next.sh --expect-only CASE [OUT_ROOT] rewrite expect.json from the capture
#   record-next.sh --list
# OUT_ROOT (default: the repository's testdata) gets golden/ and golden-next/ under it.
# The scenarios (who attacks, what must happen) are in test/lab/next-cases.testkit.ts; the
# traffic of each case is below. LAB_NET=1, so addresses are stable; lab id rn<pid>.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=record-next-cases.sh
source "$LAB_DIR/record-next-cases.sh"

REPO="$(cd "$LAB_DIR/../.." && pwd)"
next_expect() { (cd "$REPO" && node --import tsx test/lab/next-expect.testkit.ts "$@"); }

mode=record
case "${1:-}" in
-h | --help) show_help "$0"; exit 0 ;;
--list) next_expect --list; exit 0 ;;
--all)
  shift
  for c in $(next_expect --list); do "$0" "$c" "$@"; done
  exit 0
  ;;
--expect-only) mode=expect; shift ;;
esac
case_name="${1:-}"
out_root="${2:-$REPO/testdata}"
# (Lists are read whole before grep: grep -q closing the pipe early would kill node.)
all="$(next_expect --list)"
golden="$(next_expect --list golden)"
grep -qxF -- "$case_name" <<<"$all" || die "usage: record-next.sh [--expect-only] CASE [OUT_ROOT] (cases: $(tr '\n' ' ' <<<"$all"))"
sub=golden-next
grep -qxF -- "$case_name" <<<"$golden" && sub=golden
dest="$out_root/$sub/$case_name"

if [ "$mode" = expect ]; then
  [ -f "$dest/capture.pcap" ] || die "no capture at $dest/capture.pcap"
  next_expect "$case_name" "$out_root/$sub"
  exit 0
fi

require_root
export LAB_NET=1
id="${LAB_ID:-rn$$}"
lab_init "$id"
export LAB_ID="$id"
cleanup() {
  local rc=$?
  "$LAB_DIR/lab.sh" down "$id" >/dev/null 2>&1 || true
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Each case sets its lab's environment, link (any | eth0), capture filter, stretch
# factor, extra set-up and traffic (record-next-cases.sh).
iface=any filter='port 5060' stretch=1
case_setup "$case_name"
"$LAB_DIR/lab.sh" up "$id" >/dev/null
case_network "$case_name"
spawn tcpdump "$NS_PBX" tcpdump -Z root -i "$iface" -U -w "$RUN/capture.pcap" \
  "($filter) or (ip and ip[6:2] & 0x1fff != 0) or (ip6 and ip6[6] == 44)"
for _ in $(seq 50); do
  grep -q 'listening on' "$RUN/tcpdump.log" 2>/dev/null && break
  sleep 0.1
done
grep -q 'listening on' "$RUN/tcpdump.log" || die "tcpdump did not start: $(cat "$RUN/tcpdump.log")"
start=$SECONDS
case_traffic "$case_name"
# Wait for every traffic process this case left running (phones, office).
for f in "$PIDS"/*.pid; do
  n="$(basename "$f" .pid)"
  [[ "$n" == kamailio || "$n" == tcpdump ]] && continue
  wait_named "$n" 900
done
sleep 0.5
stop_named tcpdump
mkdir -p "$dest"
if [ "$stretch" != 1 ]; then
  (cd "$REPO" && node --import tsx test/lab/retime.testkit.ts "$RUN/capture.pcap" "$dest/capture.pcap" "$stretch")
else
  cp "$RUN/capture.pcap" "$dest/capture.pcap"
fi
size="$(stat -c %s "$dest/capture.pcap")"
((size < 2097152)) || die "$dest/capture.pcap is $size bytes (limit 2 MiB)"
next_expect "$case_name" "$out_root/$sub"
echo "$case_name: recorded in $((SECONDS - start)) s, $size bytes -> $dest"
