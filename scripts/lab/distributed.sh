#!/usr/bin/env bash
# A distributed brute force: ADDRS attacker addresses (the extra ones, .100 upwards /
# fd77:<n>::100 upwards), each running its own sipp brute force at the same time, each
# with its own --count guesses at --rate per second.
#
#   LAB_ID=ID distributed.sh [--addrs K] [--count N] [--rate PER_S] [--family 4|6]
#                            [--transport udp|tcp] [--user 100] [--timeout S]
# Defaults: 10 addresses, 8 guesses each at 2/s, IPv4, UDP, user 100, 60 s.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

addrs=10 count=8 rate=2 family=4 transport=udp user=100 timeout=60
while [ $# -gt 0 ]; do
  case "$1" in
  -h | --help) show_help "$0"; exit 0 ;;
  --addrs) addrs="$2"; shift 2 ;;
  --count) count="$2"; shift 2 ;;
  --rate) rate="$2"; shift 2 ;;
  --family) family="$2"; shift 2 ;;
  --transport) transport="$2"; shift 2 ;;
  --user) user="$2"; shift 2 ;;
  --timeout) timeout="$2"; shift 2 ;;
  *) die "distributed.sh: unknown argument '$1'" ;;
  esac
done
check_int addrs "$addrs"
check_family "$family"
lab_from_env
((addrs >= 1 && addrs <= ATK_EXTRA_LAST - ATK_EXTRA_FIRST + 1)) ||
  die "--addrs must be 1-$((ATK_EXTRA_LAST - ATK_EXTRA_FIRST + 1))"
tags=()
for ((i = 0; i < addrs; i++)); do
  if [ "$family" = 6 ]; then src="$(atk_extra6 "$i")"; else src="$(atk_extra4 "$i")"; fi
  tag="dist-$i-$family-$transport"
  "$LAB_DIR/bruteforce.sh" --family "$family" --transport "$transport" --src "$src" \
    --user "$user" --count "$count" --rate "$rate" --timeout "$timeout" --tag "$tag" --background
  tags+=("$tag")
  sleep 0.1
done
for tag in "${tags[@]}"; do wait_named "$tag" "$((timeout + 5))"; done
