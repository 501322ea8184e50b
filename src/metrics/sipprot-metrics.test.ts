/**
 * The series the live path pushes, as a scrape shows them. sipprot_sip_messages_total:
 * requests by method (an unknown one is "other", never the scanner's text), answers by
 * the method they answer and their class (1xx…6xx; no status or one outside 100–699 is
 * "other"). sipprot_decisions_total: by action and reason.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SipprotMetrics } from './sipprot-metrics.js';
import { metricsWith } from './sources.testkit.js';

async function series(m: SipprotMetrics): Promise<string[]> {
  return (await m.render()).split('\n').filter((l) => l.startsWith('sipprot_sip_messages_total{'));
}

describe('sipprot_sip_messages_total', () => {
  it('counts requests by method and answers by method and class, bounded labels', async () => {
    const m = metricsWith();
    m.sipMessage('request', 'REGISTER', null);
    m.sipMessage('request', 'REGISTER', null);
    m.sipMessage('request', 'REFER', null);
    m.sipMessage('request', 'HACK"\n{x="1"}', null);
    m.sipMessage('request', 'register', null);
    for (const s of [100, 180, 199, 200, 401, 401, 407, 503, 603, 699]) m.sipMessage('response', 'INVITE', s);
    for (const s of [null, 0, 99, 700, 1000]) m.sipMessage('response', 'OPTIONS', s);
    m.sipMessage('response', 'FOO', 404);
    assert.deepEqual((await series(m)).sort(), [
      'sipprot_sip_messages_total{kind="request",method="REFER",class=""} 1',
      'sipprot_sip_messages_total{kind="request",method="REGISTER",class=""} 2',
      'sipprot_sip_messages_total{kind="request",method="other",class=""} 2',
      'sipprot_sip_messages_total{kind="response",method="INVITE",class="1xx"} 3',
      'sipprot_sip_messages_total{kind="response",method="INVITE",class="2xx"} 1',
      'sipprot_sip_messages_total{kind="response",method="INVITE",class="4xx"} 3',
      'sipprot_sip_messages_total{kind="response",method="INVITE",class="5xx"} 1',
      'sipprot_sip_messages_total{kind="response",method="INVITE",class="6xx"} 2',
      'sipprot_sip_messages_total{kind="response",method="OPTIONS",class="other"} 5',
      'sipprot_sip_messages_total{kind="response",method="other",class="4xx"} 1',
    ]);
  });
});

describe('sipprot_decisions_total', () => {
  it('counts decisions by action and reason', async () => {
    const m = metricsWith();
    m.decided([
      { action: 'block', reason: 'brute-force' },
      { action: 'extend', reason: 'brute-force' },
      { action: 'block', reason: 'brute-force' },
    ]);
    m.decided([{ action: 'block', reason: 'scanner' }]);
    const lines = (await m.render()).split('\n').filter((l) => l.startsWith('sipprot_decisions_total{'));
    assert.deepEqual(lines.sort(), [
      'sipprot_decisions_total{action="block",reason="brute-force"} 2',
      'sipprot_decisions_total{action="block",reason="scanner"} 1',
      'sipprot_decisions_total{action="extend",reason="brute-force"} 1',
    ]);
  });
});

describe('sipprot_capture_thread_nice', () => {
  it('the nice the capture thread has beside the one it asked for; nothing before it tried', async () => {
    const capture = { received: 1, dropped: 0, ifDropped: 0, ringDrops: 0 };
    const nice = async (m: SipprotMetrics) =>
      (await m.render()).split('\n').filter((l) => l.startsWith('sipprot_capture_thread_nice{'));
    const refused = { nice: 0, wanted: -10, error: 'Permission denied' };
    assert.deepEqual(await nice(metricsWith({ capture: () => ({ ...capture, priority: refused }) })), [
      'sipprot_capture_thread_nice{stat="now"} 0',
      'sipprot_capture_thread_nice{stat="wanted"} -10',
    ]);
    assert.deepEqual(await nice(metricsWith({ capture: () => ({ ...capture, priority: null }) })), []);
  });
});
