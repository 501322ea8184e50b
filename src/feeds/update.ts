/**
 * One update of one feed: download, check, and the feed's new state, or a refusal that
 * keeps the old one (core/feeds/state.ts says why a bad download never empties a feed).
 *
 * - list: one download, parsed and checked as a whole (entries.ts), then replaceList.
 * - apiban: up to `batches` requests after the stored cursor, `pauseMs` apart (APIBAN
 *   allows 11 requests in 2 minutes); what each batch brings is taken, so a run cut off
 *   by the rate limit or a failure keeps what it had and resumes from its cursor.
 */
import { createHash } from 'node:crypto';
import { apibanUrl, parseApibanAnswer } from '../core/feeds/apiban.js';
import { feedEntryRefusal, listRefusal, parseFeedList } from '../core/feeds/entries.js';
import type { FeedSpec } from '../core/feeds/spec.js';
import { addEntries, type FeedData, replaceList } from '../core/feeds/state.js';
import { type Network, parseNetwork } from '../core/net/ip.js';
import { APIBAN_LIMITS, type FetchLimits, httpGet, LIST_LIMITS, readLocal } from './fetch.js';

export interface UpdateOptions {
  now: () => number;
  /** The config directory: local sources must be in it. */
  configDir: string;
  /** APIBAN requests per run (default 8: 2,000 addresses) and the pause between them. */
  apibanBatches?: number;
  apibanPauseMs?: number;
  limits?: { list?: FetchLimits; apiban?: FetchLimits };
}

export interface UpdateOutcome {
  /** The feed's state after the run (the old one when nothing was taken). */
  data: FeedData;
  /** Whether data changed (entries or cursor) and must be stored and loaded. */
  changed: boolean;
  /** Why the download was not taken (or the run stopped early), else null. */
  error: string | null;
  /** Taken, with a remark (more entries than max). */
  warning: string | null;
  /** Entries refused by their content (special-purpose, too large) in this run, and examples. */
  refused: { count: number; reasons: string[] };
  /** Lines that were not entries (list) in this run. */
  bad: number;
  added: number;
  removed: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function digestOf(nets: readonly Network[]): string {
  const h = createHash('sha256');
  for (const t of nets.map((n) => n.text).sort()) h.update(`${t}\n`);
  return h.digest('hex');
}

function outcome(data: FeedData, over: Partial<UpdateOutcome>): UpdateOutcome {
  return {
    data,
    changed: false,
    error: null,
    warning: null,
    refused: { count: 0, reasons: [] },
    bad: 0,
    added: 0,
    removed: 0,
    ...over,
  };
}

async function updateList(spec: FeedSpec, prev: FeedData, o: UpdateOptions): Promise<UpdateOutcome> {
  const limits = o.limits?.list ?? LIST_LIMITS;
  const got = /^https?:/i.test(spec.source)
    ? await httpGet(spec.name, spec.source, limits)
    : await readLocal(spec.name, spec.source, o.configDir, limits);
  if (got.status !== 200) return outcome(prev, { error: `the server answered HTTP ${got.status}` });
  const parsed = parseFeedList(got.text, spec.max);
  const refused = { count: parsed.refused.count, reasons: parsed.refused.reasons };
  const why = listRefusal(parsed, got.text);
  if (why) return outcome(prev, { error: why, refused, bad: parsed.bad.count });
  const r = replaceList(prev, parsed.networks, {
    now: o.now(),
    ttl: spec.ttl,
    minRatio: spec.minRatio,
    digest: digestOf(parsed.networks),
  });
  if (!r.ok) return outcome(r.data, { changed: true, error: r.reason, refused, bad: parsed.bad.count });
  const note = parsed.truncated ? `more than max=${spec.max} entries: the rest was left out` : null;
  return outcome(r.data, {
    changed: true,
    warning: note,
    refused,
    bad: parsed.bad.count,
    added: r.added,
    removed: r.removed,
  });
}

async function updateApiban(spec: FeedSpec, prev: FeedData, o: UpdateOptions): Promise<UpdateOutcome> {
  const limits = o.limits?.apiban ?? APIBAN_LIMITS;
  const batches = o.apibanBatches ?? 8;
  let data = prev;
  const refused = { count: 0, reasons: [] as string[] };
  let added = 0;
  let changed = false;
  for (let i = 0; i < batches; i++) {
    if (i > 0) await sleep(o.apibanPauseMs ?? 11_000);
    let got: Awaited<ReturnType<typeof httpGet>>;
    try {
      got = await httpGet(spec.name, apibanUrl(spec.source, spec.key ?? '', data.cursor), limits);
    } catch (e) {
      return outcome(data, { changed, error: (e as Error).message, refused, added });
    }
    const a = parseApibanAnswer(got.status, got.text);
    if (a.kind === 'done') break;
    if (a.kind === 'error') return outcome(data, { changed, error: a.reason, refused, added });
    const nets: Network[] = [];
    for (const ip of a.ips) {
      const net = parseNetwork(ip.trim());
      const why = net ? feedEntryRefusal(net) : `'${ip.slice(0, 60)}' is not an address`;
      if (why || !net) {
        refused.count++;
        if (refused.reasons.length < 5) refused.reasons.push(why ?? '');
      } else nets.push(net);
    }
    const r = addEntries(data, nets, { now: o.now(), ttl: spec.ttl, max: spec.max, cursor: a.next });
    data = r.data;
    added += r.added;
    changed = true;
  }
  if (!changed) data = { ...data, lastSuccess: o.now() };
  return outcome(data, { changed: true, refused, added });
}

/** One run of a feed's update; never throws (a failure is the outcome's error). */
export async function updateFeed(spec: FeedSpec, prev: FeedData, o: UpdateOptions): Promise<UpdateOutcome> {
  try {
    return spec.type === 'apiban' ? await updateApiban(spec, prev, o) : await updateList(spec, prev, o);
  } catch (e) {
    return outcome(prev, { error: (e as Error).message });
  }
}
