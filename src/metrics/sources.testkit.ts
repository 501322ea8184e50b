/** SipprotMetrics over sources that report nothing yet (each test overrides what it reads). */
import type { MetricsSources } from './metrics-sources.js';
import { SipprotMetrics } from './sipprot-metrics.js';

export function metricsWith(extra: Partial<MetricsSources> = {}): SipprotMetrics {
  return new SipprotMetrics({
    capture: () => null,
    hep: () => null,
    sipMessages: () => 0,
    detection: () => ({
      failures: 0,
      challenges: 0,
      probes: 0,
      blockedPackets: 0,
      renewals: 0,
      trackedAddresses: 0,
      verdicts: {},
    }),
    drops: async () => null,
    blocks: () => ({ local: 0, peer: 0, permanent: 0 }),
    lists: () => ({ allow: 0, deny: 0 }),
    countries: () => ({ blocked: 0, networks: 0 }),
    queues: async () => ({ mail: 0, webhooks: 0 }),
    loopLag: () => null,
    ...extra,
  });
}
