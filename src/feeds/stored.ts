/**
 * The feeds as stored in STATE_DIR, for the CLI when no daemon runs: `check` still says
 * which feed holds an address (from the last good copies), `sipprot feeds` shows what
 * each holds. Read-only: nothing is downloaded or deleted; updates are the daemon's.
 */
import { SipprotError } from '../core/errors.js';
import type { FeedSpec } from '../core/feeds/spec.js';
import { type FeedData, liveCount, lookupFeeds } from '../core/feeds/state.js';
import { parseAddress } from '../core/net/ip.js';
import type { FeedMatch, FeedStatus, FeedsView } from '../ports/feeds.js';
import type { FeedStore } from './store.js';

export async function storedFeeds(
  specs: readonly FeedSpec[],
  store: FeedStore,
  now: () => number,
): Promise<FeedsView> {
  const feeds: Array<{ spec: FeedSpec; data: FeedData }> = [];
  for (const spec of specs) feeds.push({ spec, data: (await store.load(spec.name)).data });
  const enabled = () => feeds.filter((f) => f.spec.enabled).map((f) => f.data);
  return {
    status: (): FeedStatus[] =>
      feeds.map(({ spec, data }) => ({
        name: spec.name,
        type: spec.type,
        source: spec.source,
        enabled: spec.enabled,
        interval: spec.interval,
        ttl: spec.ttl,
        max: spec.max,
        entries: spec.enabled ? liveCount(data, now()) : 0,
        lastSuccess: data.lastSuccess,
        lastAttempt: null,
        nextRun: null,
        lastError: null,
        warning: null,
        refused: 0,
        refusedExamples: [],
        held: 0,
        running: false,
      })),
    entries: (): FeedMatch[] =>
      feeds
        .filter((f) => f.spec.enabled)
        .flatMap(({ spec, data }) =>
          [...data.entries.values()]
            .filter((e) => e.expiresAt > now())
            .map((e) => ({ feed: spec.name, network: e.net.text, since: e.since, expiresAt: e.expiresAt })),
        ),
    lookup: (ip: string): FeedMatch[] => {
      const addr = parseAddress(ip);
      return addr ? lookupFeeds(enabled(), addr, now()) : [];
    },
    update: async () => {
      throw new SipprotError(
        'SP_ERR_DAEMON_NOT_RUNNING',
        'sipprotd is not running: feeds are downloaded by the daemon (start it with sipprotd start)',
      );
    },
  };
}
