#!/usr/bin/env bash
# Writes a golden case's expect.json from what the case's scenario says (who attacks,
# why, who must never be blocked) and what the capture shows (the packet time of the
# HIT_COUNT-th failed answer, read with tcpdump through sipevents.sh).
#
#   expect.sh EVENTS_TSV LINKTYPE NOTES NEVER_IPS ATTACKER_SPEC...
# ATTACKER_SPEC = "ip reason accept1,accept2 [misconfigured|template]"; NEVER_IPS is one
# space-separated string. HIT_COUNT, MONIT_PERIOD, BLOCKTIME, BLOCK_THRESHOLD from the
# environment (defaults 5, 60, 600, 5). Fails when the capture contradicts the scenario
# (an auth-failures attacker with fewer than HIT_COUNT failures, a scanner that sent no
# scanner User-Agent, a never-blocked address with a failed answer). A `template`
# scanner is an attack tool known by its request template, not its User-Agent
# (src/core/detect/FINGERPRINTS.md): due at its first request.
set -euo pipefail
events="$1" linktype="$2" notes="$3" never="$4"
shift 4
HIT_COUNT="${HIT_COUNT:-5}" MONIT_PERIOD="${MONIT_PERIOD:-60}"
BLOCKTIME="${BLOCKTIME:-600}" BLOCK_THRESHOLD="${BLOCK_THRESHOLD:-5}"
SCANNERS="${SCANNERS:-friendly-scanner,sipvicious,sipcli,sip-scan,sipsak,VaxSIPUserAgent,iWar,sundayddr}"
specs="$(printf '%s\n' "$@")"
awk -F'\t' -v hit="$HIT_COUNT" -v period="$MONIT_PERIOD" -v blocktime="$BLOCKTIME" \
  -v threshold="$BLOCK_THRESHOLD" -v scanners="$SCANNERS" -v linktype="$linktype" \
  -v notes="$notes" -v never="$never" -v specs="$specs" '
function js(s) { gsub(/\\/, "\\\\", s); gsub(/"/, "\\\"", s); gsub(/\t/, " ", s); return "\"" s "\"" }
function jlist(str, max,   a, n, i, k, out) {
  n = split(str, a, SUBSEP); out = ""; k = 0
  for (i = 1; i <= n; i++) if (a[i] != "" && (max == 0 || k < max)) { k++; out = out (out == "" ? "" : ", ") js(a[i]) }
  return "[" out "]"
}
function count(str,   a, n, i, k) { n = split(str, a, SUBSEP); k = 0; for (i = 1; i <= n; i++) if (a[i] != "") k++; return k }
function addset(arr, ip, v) { if (!((ip, v) in seen)) { seen[ip, v] = 1; arr[ip] = arr[ip] SUBSEP v } }
function isscanner(ua,   i, l) { l = tolower(ua); for (i in SC) if (index(l, tolower(SC[i])) > 0) return 1; return 0 }
function die(msg) { print "expect.sh: " msg > "/dev/stderr"; failed = 1; exit 1 }
BEGIN { split(scanners, SC, ","); nspec = split(specs, SP, "\n") }
$1 == "REQ" {
  ip = $3; nreq[ip]++
  if (!(ip in firstreq)) firstreq[ip] = $2
  lastreq[ip] = $2
  addset(users, ip, $6); if ($8 != "-") addset(uas, ip, $8); addset(protos, ip, $4); addset(methods, ip, $5)
  if ($8 != "-" && isscanner($8) && !(ip in scanat)) scanat[ip] = $2
  if (!(ip in ipseen)) { ipseen[ip] = 1; order[++nip] = ip }
  allreq++
}
$1 == "RSP" {
  ip = $3; allrsp++
  codes[$5 ($9 == 1 ? " stale=true" : "") " to " $6 ($8 == 1 ? " with credentials" : "") " (" $4 ")"]++
  if ($10 == 1) { nfail[ip]++; if (nfail[ip] == hit) hitat[ip] = $2; if (!(ip in firstfail)) firstfail[ip] = $2 }
}
END {
  if (failed) exit 1
  out = "{\n  \"config\": {\"HIT_COUNT\": " hit ", \"MONIT_PERIOD\": " period ", \"BLOCKTIME\": " blocktime \
    ", \"BLOCK_THRESHOLD\": " threshold ", \"SIP_PORTS\": \"5060\", \"PROTOCOLS\": \"udp,tcp\", \"SCANNERS\": " js(scanners) "},\n"
  out = out "  \"linkType\": " js(linktype) ",\n  \"attackers\": ["
  for (k = 1; k <= nspec; k++) {
    if (SP[k] == "") continue
    split(SP[k], f, " "); ip = f[1]; reason = f[2]; nacc = split(f[3], acc, ",")
    if (!(ip in nreq)) die("attacker " ip " sent nothing in the capture")
    a = "\n    {\"ip\": " js(ip) ", \"reason\": " js(reason) ", \"acceptReasons\": ["
    for (i = 1; i <= nacc; i++) a = a (i > 1 ? ", " : "") js(acc[i])
    a = a "]"
    if (reason == "scanner" && f[4] == "template") {
      a = a ", \"at\": " firstreq[ip] ", \"blockAt\": \"first request: the request template of an attack tool\""
    } else if (reason == "scanner") {
      if (!(ip in scanat)) die("scanner " ip " sent no scanner User-Agent")
      a = a ", \"at\": " scanat[ip] ", \"blockAt\": \"first request with a scanner User-Agent\""
    }
    if (reason == "auth-failures") {
      if (nfail[ip] < hit) die("auth-failures attacker " ip " got only " nfail[ip] + 0 " failed answers")
      a = a ", \"blockAtFailure\": " hit ", \"at\": " hitat[ip]
    }
    if (reason == "enumeration") {
      if (nfail[ip] >= hit) a = a ", \"blockAtFailure\": " hit ", \"at\": " hitat[ip]
      a = a ", \"notAfter\": " lastreq[ip]
    }
    if (f[4] == "misconfigured") a = a ", \"misconfigured\": true"
    a = a ", \"failedAnswers\": " nfail[ip] + 0 ", \"requests\": " nreq[ip] ", \"firstRequestAt\": " firstreq[ip] \
      ", \"lastRequestAt\": " lastreq[ip] ", \"transports\": " jlist(protos[ip], 0) ", \"methods\": " jlist(methods[ip], 0) \
      ", \"distinctUsers\": " count(users[ip]) ", \"users\": " jlist(users[ip], 12) ", \"userAgents\": " jlist(uas[ip], 0) "}"
    out = out (k > 1 ? "," : "") a
    spec_ip[ip] = 1
  }
  out = out "\n  ],\n  \"neverBlocked\": ["
  n = split(never, NV, " ")
  for (i = 1; i <= n; i++) {
    if (NV[i] in spec_ip) die(NV[i] " is both an attacker and never-blocked")
    if (nfail[NV[i]] > 0) die("never-blocked " NV[i] " got " nfail[NV[i]] " failed answers")
    if (!(NV[i] in nreq)) die("never-blocked " NV[i] " sent nothing")
    out = out (i > 1 ? ", " : "") js(NV[i])
  }
  out = out "],\n"
  # Every address in the capture must be either expected or never blocked: nothing unlabelled.
  for (i = 1; i <= nip; i++) {
    ip = order[i]; ok = (ip in spec_ip)
    for (j = 1; j <= n; j++) if (NV[j] == ip) ok = 1
    if (!ok) die("address " ip " in the capture is neither an attacker nor never-blocked")
  }
  seenline = ""
  for (c in codes) seenline = seenline (seenline == "" ? "" : "; ") c ": " codes[c]
  out = out "  \"packets\": {\"requests\": " allreq + 0 ", \"answers\": " allrsp + 0 "},\n"
  out = out "  \"notes\": " js(notes " Seen with tcpdump -tt -r (answer counts by code, method): " seenline ".") "\n}"
  print out
}
' "$events"
