/**
 * Turns' batches as the enforcer makes them (batchOf, attackRecordOf, the history events of
 * its decisions), varied by a seed: every action and a few reasons, blocks lifted and
 * re-blocked in one turn, cluster hosts, details, permanent blocks, nulls wherever the
 * types allow them, and text beyond ASCII (Latin-1, CJK, emoji, a lone surrogate, as a
 * User-Agent from the network can be). For the codec's round trip and the rows test.
 */
import { eventOfDecision } from '../core/history/events.js';
import { mulberry32 as prng } from '../core/prng.testkit.js';
import { aBlock, aDecision } from '../core/records.testkit.js';
import type { BlockRecord, Decision, DecisionAction, Verdict } from '../core/types.js';
import type { StoreBatch } from '../ports/store.js';
import { attackRecordOf, batchOf } from './store-writer-batches.js';

const AGENTS = [
  null,
  'friendly-scanner',
  'Linphone/5.2 (Ubuntu)',
  'sipcli/v1.8 é',
  '话机 Ω',
  'bot 😀',
  'x\ud800y',
  '',
];
const COUNTRIES = [null, 'NL', 'DE', 'CN'];
const USERS = ['100', '101', 'alice', 'Jörg', '内线', '', '9'.repeat(40)];
const REASONS = ['auth-failures', 'scanner', 'enumeration', 'manual', 'deny-list', 'threshold'] as const;
const ACTIONS: DecisionAction[] = ['block', 'block', 'block', 'extend', 'permanent', 'unblock', 'observe'];
const NOTES = [null, 'sipprot: scanner', 'threshold: 3 blocks in 24 h — now permanent', 'note ✓'];

/** `n` turns' batches, each with up to `size` decisions and their attacks and events. */
export function variedTurns(seed: number, n: number, size = 12): StoreBatch[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: StoreBatch[] = [];
  const records = new Map<string, BlockRecord>();
  for (let t = 0; t < n; t++) {
    const at0 = 1_700_000_000 + t * 0.37;
    const ds: Decision[] = [];
    const verdicts: Array<[Verdict, string | null, string | undefined]> = [];
    for (let k = 0, m = 1 + Math.floor(rnd() * size); k < m; k++) {
      const at = at0 + k / 1000;
      // Few addresses: a turn often lifts and re-blocks the same one.
      const ip =
        rnd() < 0.1
          ? `2001:db8::${Math.floor(rnd() * 30).toString(16)}`
          : `198.51.100.${Math.floor(rnd() * 40)}`;
      const action = pick(ACTIONS);
      const reason = action === 'unblock' ? pick(['manual', 'expired'] as const) : pick(REASONS);
      const users = Array.from({ length: Math.floor(rnd() * 4) }, () => pick(USERS));
      const host = rnd() < 0.2 ? pick(['pbx1', 'pbx-ß']) : undefined;
      const d = aDecision(ip, at, {
        action,
        reason,
        expiresAt:
          action === 'permanent' || action === 'unblock' ? null : at + 600 * (1 + Math.floor(rnd() * 3)),
        userAgent: pick(AGENTS),
        users,
        attempts: Math.floor(rnd() * 50),
        transport: reason === 'manual' ? null : pick(['udp', 'tcp', 'tls'] as const),
        port: reason === 'manual' ? null : 5060,
        country: pick(COUNTRIES),
        timesBlocked: 1 + Math.floor(rnd() * 3),
        misconfiguredPhone: rnd() < 0.1,
        note: pick(NOTES),
        ...(host ? { host } : {}),
      });
      ds.push(d);
      if (action === 'block' || action === 'permanent') {
        records.set(
          ip,
          aBlock(ip, { ...d, firstSeen: at - 30.25, lastSeen: at, blockedAt: at, users: users.slice() }),
        );
        const v: Verdict = {
          at,
          ip,
          rule: pick(['scanner', 'auth-failures', 'enumeration'] as const),
          userAgent: d.userAgent,
          attempts: d.attempts,
          users,
          transport: pick(['udp', 'tcp'] as const),
          port: 5060,
          misconfiguredPhone: d.misconfiguredPhone,
          ...(rnd() < 0.3
            ? { detail: pick(['extension 213 attacked from 10 addresses', 'template: sipvicious ✓']) }
            : {}),
        };
        verdicts.push([v, d.country, host]);
      } else if (action === 'unblock') records.delete(ip);
    }
    const attacks = verdicts.map(([v, c, h]) => attackRecordOf(v, c, h));
    const batch = batchOf(ds, attacks, (ip) => (rnd() < 0.15 ? undefined : records.get(ip))).store;
    const samples = ['SIP/2.0 401 Unauthorized', 'SIP/2.0 403 Forbidden — nö', 'x'.repeat(200)];
    const history = ds
      .map((d) =>
        eventOfDecision(d, d.host ? `host:${d.host}` : 'sipprotd@pbx1', { samples: samples.slice(0, t % 4) }),
      )
      .filter((e) => e !== null);
    if (history.length > 0) batch.history = history;
    out.push(batch);
  }
  return out;
}
