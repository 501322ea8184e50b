/**
 * The hand-written `values` of the rows a live block writes (block, decision, attack,
 * history event) against the generic reading of FIELDS (`fieldValues`): same columns, same
 * order, same conversions, for records with every field set, nulls, missing optional
 * fields, lists of every length and properties the row does not have.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventOfDecision } from '../core/history/events.js';
import { mulberry32 } from '../core/prng.testkit.js';
import type { AttackRecord } from '../core/records.js';
import { aBlock, aDecision } from '../core/records.testkit.js';
import { ATTACKS, BLOCKS, DECISIONS, NEW_HISTORY } from './sqlite-rows.js';

const rnd = mulberry32(20261205);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const USERS = [[], ['100'], ['alice', 'Jörg', '内线'], ['x"y\\z']];

function varied(i: number) {
  const at = 1_700_000_000 + i * 0.37;
  const d = aDecision(`198.51.100.${i % 250}`, at, {
    action: pick(['block', 'permanent', 'unblock', 'extend', 'observe'] as const),
    expiresAt: pick([null, at + 600]),
    userAgent: pick([null, 'friendly-scanner', 'bot 😀']),
    users: pick(USERS),
    port: pick([null, 5060]),
    transport: pick([null, 'udp', 'tls'] as const),
    country: pick([null, 'NL']),
    misconfiguredPhone: rnd() < 0.5,
    note: pick([null, 'threshold: 3 blocks in 24 h']),
    ...(rnd() < 0.3 ? { host: 'pbx1' } : {}),
  });
  const block = aBlock(d.ip, { ...d, lastSeen: at + 1, ...(rnd() < 0.3 ? { host: 'pbx-ß' } : {}) });
  const attack: AttackRecord = {
    at,
    ip: d.ip,
    rule: 'auth-failures',
    userAgent: d.userAgent,
    attempts: i,
    users: pick(USERS),
    transport: d.transport ?? 'udp',
    port: d.port ?? 5060,
    misconfiguredPhone: d.misconfiguredPhone,
    country: d.country,
    ...(rnd() < 0.3 ? { detail: 'x', host: 'pbx1' } : {}),
  };
  const event = eventOfDecision(d, 'sipprotd@test', {
    samples: pick([[], ['REGISTER 100 → 401'], ['a', 'b']]),
  });
  return { d, block, attack, event };
}

test('the hot rows bind exactly what FIELDS says, column by column', () => {
  let events0 = 0;
  for (let i = 0; i < 400; i++) {
    const { d, block, attack, event } = varied(i);
    assert.deepEqual(BLOCKS.values(block), BLOCKS.fieldValues(block));
    assert.deepEqual(DECISIONS.values(d), DECISIONS.fieldValues(d));
    assert.deepEqual(ATTACKS.values(attack), ATTACKS.fieldValues(attack));
    if (event) assert.deepEqual(NEW_HISTORY.values(event), NEW_HISTORY.fieldValues(event));
    else events0++;
  }
  assert.ok(events0 < 300, 'most decisions have an event');
});

test('a field missing from a record is NULL (a list: empty), in both readings', () => {
  const holes = {} as never;
  for (const m of [BLOCKS, DECISIONS, ATTACKS, NEW_HISTORY] as const) {
    const fast = (m.values as (r: never) => unknown[])(holes);
    assert.deepEqual(fast, (m.fieldValues as (r: never) => unknown[])(holes));
    assert.equal(fast.length, m.marks.split(',').length, 'one value a column');
  }
});

test('every value is in its column: distinct values land where the generic reading puts them', () => {
  // Every field a distinct string (flags excepted): a swapped pair of columns fails.
  for (const m of [BLOCKS, DECISIONS, ATTACKS, NEW_HISTORY] as const) {
    const rec = new Proxy({}, { get: (_t, k) => (typeof k === 'string' ? `v-${k}` : undefined) });
    assert.deepEqual(
      (m.values as (r: never) => unknown[])(rec as never),
      (m.fieldValues as (r: never) => unknown[])(rec as never),
    );
  }
});
