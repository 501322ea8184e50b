# What the password cracker saw on the wire, for scripts/demo.sh step 5: reads
# `tcpdump -nn -tt` lines captured in the attacker's own namespace, prints them with the
# moment sipprot blocked it, counts what came before and after, and writes its verdict
# to stderr: OK (no answer reached the attacker after the block), LEAK (one did), or
# UNSEEN (the answer that reached HIT_COUNT is not in the capture: nothing to judge by).
#
#   tcpdump -r atk.pcap -nn -tt | awk -v atk=10.77.1.66 -v blk=1796483375525498 -f demo-attacker-view.awk
#
# blk: the block's time in whole microseconds — sipprot's capture timestamp of the answer
# that reached HIT_COUNT as it left the PBX (status --dynamic: blockedAt). That answer is
# the last one the attacker may get. The attacker's tcpdump stamps it from the same kernel
# clock a few microseconds later (or the same microsecond), never earlier, so it is the
# first answer at or after blk, and every packet after it comes after the block.
# Both sides are compared in whole microseconds: blk rounded to milliseconds once put the
# mark up to 0.5 ms early, before the last guess's challenge and request (a guess is
# REGISTER, 401, REGISTER, 401 within a fraction of a millisecond), and the answer that
# reached HIT_COUNT counted as a leak.
function usec(t, p) {
  split(t, p, ".")
  return p[1] * 1000000 + substr(p[2] "000000", 1, 6)
}
NR == 1 { t0 = $1 }
{
  t = $1
  from_atk = index($3, atk ".") == 1
  msg = $0
  sub(/^.*SIP: /, "", msg)
  sub(/ SIP\/2\.0$/, "", msg)
  if (from_atk) { if (marked) after_req++; else before_req++ } else { if (marked) after_ans++; else before_ans++ }
  if (!marked || shown_after++ < 6)
    printf "  +%7.3f s  %s  %s\n", t - t0, from_atk ? "attacker -> PBX" : "PBX -> attacker", msg
  else if (!ellipsis++) print "  ..."
  if (blk > 0 && !marked && !from_atk && usec(t) >= blk) {
    marked = 1
    printf "  ---------- sipprot blocks %s (+%.3f s): every later packet is dropped ----------\n", atk, blk / 1000000 - t0
  }
}
END {
  printf "  before the block: %d requests, %d answers; after it: %d requests, %d answers\n", before_req, before_ans, after_req, after_ans
  print (!marked ? "UNSEEN" : after_ans == 0 ? "OK" : "LEAK") > "/dev/stderr"
}
