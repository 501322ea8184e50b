#!/usr/bin/env bash
# SIPVicious (Debian's sipvicious 0.3.3) from the attacker namespace, always aimed at
# the lab PBX's address and nothing else, always bounded (timeout + small ranges).
#
#   LAB_ID=ID sipvicious.sh svmap  [--src ADDR] [--family 4|6] [--method OPTIONS|REGISTER|INVITE] [--compact]
#   LAB_ID=ID sipvicious.sh svwar  [--src ADDR] [--family 4|6] [--method REGISTER|OPTIONS|INVITE]
#                                  [--range 100-199] [--compact] [--force]
#   LAB_ID=ID sipvicious.sh svcrack [--src ADDR] [--family 4|6] [--user 100]
#                                  [--range 1000-1030 | --dictionary FILE] [--compact]
# Common: [--timeout S] (default 60) [--tag NAME] [--background] [--ua STRING].
# svmap also: [--fromname NAME] (its From display name, default "sipvicious") and
# [--sweep] (every address of the PBX namespace, ports 5060-5062: a sweep of the host).
# Without --compact the tools send "User-Agent: friendly-scanner"; with it they send
# compact headers (v f t i m) and no User-Agent at all. --ua STRING renames it, as
# attackers do: Debian's 0.3.3 has no option for that, so the tool runs from a copy of
# its package (in the lab's run dir, never /usr) whose makeRequest() default
# User-Agent is STRING; everything else in its packets stays the tool's own.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

tool="${1:-}"
shift || true
case "$tool" in
svmap | svwar | svcrack) ;;
-h | --help) show_help "$0"; exit 0 ;;
*) die "usage: sipvicious.sh svmap|svwar|svcrack [options]" ;;
esac
src="" family=4 method="" compact="" force="" range="" user=100 dictionary="" timeout=60 tag="" bg=""
ua="" fromname="" sweep=""
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --src) src="$2"; shift 2 ;;
  --family) family="$2"; shift 2 ;;
  --method) method="$2"; shift 2 ;;
  --compact) compact=1; shift ;;
  --force) force=1; shift ;;
  --range) range="$2"; shift 2 ;;
  --user) user="$2"; shift 2 ;;
  --dictionary) dictionary="$2"; shift 2 ;;
  --timeout) timeout="$2"; shift 2 ;;
  --tag) tag="$2"; shift 2 ;;
  --background) bg=1; shift ;;
  --ua) ua="$2"; shift 2 ;;
  --fromname) fromname="$2"; shift 2 ;;
  --sweep) sweep=1; shift ;;
  *) die "sipvicious.sh: unknown argument '$1'" ;;
  esac
done
check_family "$family"
check_int timeout "$timeout"
((timeout >= 1 && timeout <= 600)) || die "timeout must be 1-600 s"
[ -z "$method" ] || [[ "$method" =~ ^(OPTIONS|REGISTER|INVITE)$ ]] || die "bad method '$method'"
[ -z "$range" ] || [[ "$range" =~ ^[0-9]+-[0-9]+$ ]] || die "range must be N-M"
if [ -n "$range" ]; then
  lo="${range%-*}" hi="${range#*-}"
  ((hi >= lo && hi - lo < 500)) || die "range $range: at most 500 values, low first"
fi
[[ "$user" =~ ^[0-9A-Za-z]+$ ]] || die "bad user '$user'"
[ -z "$ua" ] || [[ "$ua" =~ ^[A-Za-z0-9\ ./_:\(\)-]{1,64}$ ]] || die "bad user agent '$ua'"
[ -z "$fromname" ] || [[ "$fromname" =~ ^[A-Za-z0-9\ ._-]{1,32}$ ]] || die "bad from name '$fromname'"
[[ -z "$fromname$sweep" || "$tool" == svmap ]] || die "--fromname and --sweep are svmap options"
lab_from_env
if [ -z "$src" ]; then
  src="$ATK4"
  [ "$family" = 6 ] && src="$ATK6"
fi
check_atk_addr "$src"
pbx="$PBX4"
[ "$family" = 6 ] && pbx="$PBX6"
[ -n "$tag" ] || tag="$tool-$(echo "$src" | tr -c '0-9a-f\n' '-')"
[[ "$tag" =~ ^[a-z0-9-]+$ ]] || die "bad tag '$tag'"

ports="$SIP_PORT"
[ -z "$sweep" ] || ports="$SIP_PORT-$((SIP_PORT + 2))"
args=(-b "$src" -x "$src" -p "$ports")
[ -z "$fromname" ] || args+=(--fromname "$fromname")
[ "$family" = 6 ] && args+=(-6)
[ -n "$compact" ] && args+=(-c)
[ -n "$method" ] && args+=(-m "$method")
case "$tool" in
svwar)
  args+=(-e "${range:-100-199}" --maximumtime 10)
  [ -n "$force" ] && args+=(--force)
  ;;
svcrack)
  args+=(-u "$user" --maximumtime 10)
  if [ -n "$dictionary" ]; then
    [ -r "$dictionary" ] || die "cannot read $dictionary"
    args+=(-d "$dictionary")
  else
    args+=(-r "${range:-1000-1030}")
  fi
  ;;
esac
# The PBX's addresses are the only targets, whatever else was given: its main address,
# or (--sweep) the range from it to its last address, every one of them checked to be
# the PBX namespace's own.
if [ -n "$sweep" ]; then
  [ "$family" = 4 ] || die "--sweep is IPv4 only"
  mapfile -t own < <(ip -n "$NS_PBX" -4 -o addr show dev eth0 | awk '{split($4, a, "/"); print a[1]}' | sort -t. -k4 -n)
  last="${own[-1]}"
  for ((o = ${pbx##*.}; o <= ${last##*.}; o++)); do
    printf '%s\n' "${own[@]}" | grep -qxF "$PREFIX4.$o" || die "--sweep: $PREFIX4.$o is not an address of $NS_PBX"
  done
  args+=("$pbx-$last")
else
  args+=("$pbx")
fi
# svwar and svcrack 0.3.3 accept -b but never bind to it (the option is not passed on),
# so another source address is chosen the kernel's way: as the preferred source of the
# attacker namespace's on-link route, for the length of the run. A lock serialises such
# runs within one lab; sipp binds with -i and is not affected.
default_src="$ATK4" net="$PREFIX4.0/24" ipf=-4
if [ "$family" = 6 ]; then default_src="$ATK6" net="${PREFIX6}:/64" ipf=-6; fi
set_src() { ip "$ipf" -n "$NS_ATK" route replace "$net" dev eth0 proto kernel scope link src "$1"; }
if [[ "$tool" != svmap && "$src" != "$default_src" ]]; then
  [ -z "$bg" ] || die "$tool from another address than $default_src cannot run in the background"
  exec 9>"$RUN/sipvicious.lock"
  flock 9
  trap 'set_src "$default_src"' EXIT
  set_src "$src"
fi
# HOME: the tools keep state in ~/.sipvicious; keep it in the lab's run dir.
mkdir -p "$RUN/home"
cmd=("$tool")
if [ -n "$ua" ]; then
  copy="$RUN/sipvicious-ua/$(printf '%s' "$ua" | md5sum | cut -c1-12)"
  if [ ! -d "$copy/sipvicious" ]; then
    mkdir -p "$copy"
    cp -r /usr/share/sipvicious/sipvicious "$copy/"
    find "$copy" -name __pycache__ -prune -exec rm -rf {} +
    sed -i "s/useragent='friendly-scanner'/useragent='$ua'/" "$copy/sipvicious/libs/svhelper.py"
  fi
  grep -qF "useragent='$ua'" "$copy/sipvicious/libs/svhelper.py" || die "could not rename the User-Agent in the copy of SIPVicious"
  # shellcheck disable=SC2016
  cmd=(/usr/bin/python3 -c 'import importlib, sys
sys.path.insert(0, sys.argv.pop(1))
sys.argv[0] = sys.argv[1]
m = importlib.import_module("sipvicious." + sys.argv.pop(1))
sys.exit(m.main())' "$copy" "$tool")
fi
spawn "$tag" "$NS_ATK" env HOME="$RUN/home" timeout --kill-after=2 "$timeout" "${cmd[@]}" "${args[@]}"
[ -n "$bg" ] || wait_named "$tag" "$((timeout + 5))"
cat "$RUN/$tag.log"
