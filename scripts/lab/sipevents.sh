#!/usr/bin/env bash
# Reads a capture with tcpdump (nothing of sipprot's) and prints one line per SIP
# message between the PBX and its clients, tab-separated, for writing and checking
# golden expectations:
#   REQ  time  client  proto  method  user  cred(0|1)  user-agent
#   RSP  time  client  proto  code    method user  cred-of-request(0|1)  stale(0|1)  failed(0|1)
# "failed" follows PRODUCT.md: a 401/407 to a request that carried credentials (not
# stale=true), any 403, a 404 to a REGISTER. user = the To user. Requests and answers
# are matched by Call-ID + CSeq. TCP segments are read one by one (the lab's TCP
# traffic is slow enough that every segment holds whole messages; several in one
# segment are split at their start lines).
#
#   sipevents.sh CAPTURE PBX_ADDR [PBX_ADDR...]
set -euo pipefail
cap="$1"
shift
[ "$#" -ge 1 ] || { echo "usage: sipevents.sh CAPTURE PBX_ADDR..." >&2; exit 2; }
tcpdump -tt -nn -A -r "$cap" 2>/dev/null | awk -v pbx="$*" '
function flush_msg(   key, m, c, fail, stale, method, ua) {
  if (!inmsg) return
  inmsg = 0
  if (first ~ /^SIP\/2\.0 /) {
    c = substr(first, 9, 3)
    split(h["cseq"], m, /[ \t]+/)
    method = m[2]
    key = h["call-id"] SUBSEP m[1] SUBSEP method
    stale = (tolower(h["www-authenticate"] h["proxy-authenticate"]) ~ /stale[ \t]*=[ \t]*"?true/) ? 1 : 0
    cred = (key in reqcred) ? reqcred[key] : 0
    fail = 0
    if ((c == "401" || c == "407") && cred && !stale) fail = 1
    if (c == "403") fail = 1
    if (c == "404" && method == "REGISTER") fail = 1
    printf "RSP\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", t, dsth, proto, c, method, touser(h["to"]), cred, stale, fail
  } else {
    split(first, m, " ")
    split(h["cseq"], cs, /[ \t]+/)
    key = h["call-id"] SUBSEP cs[1] SUBSEP cs[2]
    reqcred[key] = (("authorization" in h) || ("proxy-authorization" in h)) ? 1 : 0
    ua = ("user-agent" in h) ? h["user-agent"] : "-"
    printf "REQ\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t, srch, proto, m[1], touser(h["to"]), reqcred[key], ua
  }
  delete h
}
function touser(v,   s) {
  if (!match(v, /sips?:[^@;>]*@/)) return "-"
  s = substr(v, RSTART, RLENGTH - 1)
  sub(/^sips?:/, "", s)
  return s
}
function hostof(ap,   i) { i = match(ap, /\.[0-9]+:?$/); return substr(ap, 1, i - 1) }
function ispbx(a,   i) { for (i in P) if (P[i] == a) return 1; return 0 }
BEGIN {
  split(pbx, P, " ")
  compact["i"] = "call-id"; compact["f"] = "from"; compact["t"] = "to"; compact["v"] = "via"
  compact["m"] = "contact"; compact["l"] = "content-length"
}
/^[0-9]+\.[0-9]+ / {
  flush_msg()
  t = $1
  proto = ($0 ~ /Flags \[/) ? "tcp" : "udp"
  srch = ""; dsth = ""
  if (match($0, / IP6? [^ ]+ > [^ ]+:/)) {
    split(substr($0, RSTART, RLENGTH), a, " ")
    s = hostof(a[2]); d = hostof(a[4])
    # client = the side that is not the PBX
    if (ispbx(s)) { dsth = d; srch = d } else { srch = s; dsth = s }
  }
  next
}
{
  sub(/\r$/, "")
  if (srch == "") next
  if (match($0, /(REGISTER|INVITE|OPTIONS|ACK|BYE|CANCEL|SUBSCRIBE|NOTIFY|MESSAGE|INFO|PRACK|UPDATE|REFER|PUBLISH) sips?:[^ ]* SIP\/2\.0$/) || match($0, /SIP\/2\.0 [1-6][0-9][0-9]( |$)/)) {
    flush_msg()
    inmsg = 1
    first = substr($0, RSTART)
    next
  }
  if (!inmsg) next
  if ($0 == "") { flush_msg(); next }
  i = index($0, ":")
  if (i < 2) next
  name = tolower(substr($0, 1, i - 1)); gsub(/[ \t]+$/, "", name)
  if (name in compact) name = compact[name]
  val = substr($0, i + 1); sub(/^[ \t]+/, "", val)
  if (!(name in h)) h[name] = val
}
END { flush_msg() }
'
