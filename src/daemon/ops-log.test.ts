/**
 * The decision log lines: one each below SUMMARY_FROM decisions of one action and rule,
 * summary lines above, each naming every address it covers and short enough that the text
 * line (cut at 2,000 characters) keeps them all.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../core/config/parse.js';
import { logLine } from '../core/log/line.js';
import { aDecision } from '../core/records.testkit.js';
import type { Logger } from '../ports/logger.js';
import { LINE_ADDRESS_CHARS, logDecisions, SUMMARY_FROM } from './ops-log.js';

function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = {
    info: (o: Record<string, unknown>, msg: string) => lines.push({ level: 30, ...o, msg }),
  } as unknown as Logger;
  return { log, lines };
}

const config = parseConfig('', { source: null });

test('fewer than SUMMARY_FROM of one rule: a line each; renewals never', () => {
  const { log, lines } = capture();
  const ds = Array.from({ length: SUMMARY_FROM - 1 }, (_, i) => aDecision(`192.0.2.${i + 1}`, 1000));
  logDecisions(log, [...ds, aDecision('192.0.2.99', 1000, { action: 'extend' })], config);
  assert.deepEqual(
    lines.map((l) => [l.event, l.ip]),
    ds.map((d) => ['decision', d.ip]),
  );
});

test('a burst of IPv6 blocks: lines within LINE_ADDRESS_CHARS, every address in JSON and in the text line', () => {
  const { log, lines } = capture();
  const ips = Array.from(
    { length: 400 },
    (_, i) => `2001:db8:${i.toString(16)}:ffff:ffff:ffff:ffff:${i.toString(16)}`,
  );
  const ds = ips.map((ip) => aDecision(ip, 1000, { users: [`${ip.length % 7}00`] }));
  logDecisions(log, [...ds, aDecision('192.0.2.1', 1000, { action: 'unblock', reason: 'expired' })], config);
  const summaries = lines.filter((l) => l.event === 'decisions');
  assert.ok(summaries.length > 1, 'more than one line');
  assert.deepEqual(
    summaries.flatMap((l) => l.ips as string[]),
    ips,
  );
  for (const l of summaries) {
    assert.ok((l.ips as string[]).join(' ').length <= LINE_ADDRESS_CHARS);
    assert.equal(l.count, (l.ips as string[]).length);
    assert.equal(l.window, config.monitPeriod);
    const text = logLine(l, { style: 'terminal', utcOffsetMinutes: 0 });
    for (const ip of l.ips as string[]) assert.ok(text.includes(` ${ip}`), ip);
    assert.match(text, /blocked \d+ addresses auth-failures \(users /);
  }
  assert.deepEqual(
    lines.filter((l) => l.event === 'decision').map((l) => [l.action, l.ip]),
    [['unblock', '192.0.2.1']],
    'another action keeps its own line',
  );
});
