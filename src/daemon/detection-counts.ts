/**
 * Detection's counters as metrics count them: an engine rebuilt on reload (new
 * thresholds) hands its counts to the next, so /metrics never counts backwards.
 */
import type { Engine } from '../core/engine.js';
import type { DetectionCounts } from '../metrics/metrics-sources.js';

export function countsOf(e: Engine): DetectionCounts {
  const st = e.stats;
  return {
    failures: st.detector.failures,
    challenges: st.detector.challenges,
    probes: st.detector.probes,
    blockedPackets: st.blockedPackets,
    renewals: st.decisions.extend,
    trackedAddresses: st.trackedIps,
    verdicts: { ...st.verdicts },
  };
}

export function addCounts(a: DetectionCounts, b: DetectionCounts): DetectionCounts {
  const verdicts = { ...a.verdicts };
  for (const [k, n] of Object.entries(b.verdicts)) verdicts[k] = (verdicts[k] ?? 0) + n;
  return {
    failures: a.failures + b.failures,
    challenges: a.challenges + b.challenges,
    probes: a.probes + b.probes,
    blockedPackets: a.blockedPackets + b.blockedPackets,
    renewals: a.renewals + b.renewals,
    trackedAddresses: b.trackedAddresses,
    verdicts,
  };
}
