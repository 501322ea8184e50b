import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Alert } from '../core/detect/alerts.js';
import { aDecision } from '../core/records.testkit.js';
import { renderWebhook } from './formats.js';
import { alertDocument, decisionsDocument, MAX_LISTED, SCHEMA, testDocument } from './message.js';

const NOW = 1_796_000_000;
const EVIL = '@channel <!everyone> [click](http://evil.example) ```x``` \x1b[2J\u202e';

const block = (ip: string, over = {}) =>
  aDecision(ip, NOW - 5, {
    reason: 'auth-failures',
    attempts: 5,
    users: ['100', '101'],
    userAgent: 'friendly-scanner',
    country: 'AU',
    expiresAt: NOW + 600,
    ...over,
  });

const alert: Alert = {
  at: NOW,
  kind: 'breach',
  ip: '192.0.2.9',
  user: '1099',
  dialled: null,
  failures: 35,
  sources: [],
  userAgent: 'sipcli',
  transport: 'udp',
  port: 5060,
  text: 'possible cracked password: extension 1099, from 192.0.2.9, after 35 failures',
};

describe('the webhook document (sipprot.webhook/v1)', () => {
  it('a burst: summary, counts, each decision', () => {
    const doc = decisionsDocument(
      [block('203.0.113.66'), block('203.0.113.67', { reason: 'scanner' })],
      'pbx1',
      NOW,
    );
    assert.equal(doc.schema, SCHEMA);
    assert.equal(doc.kind, 'decisions');
    assert.equal(doc.summary, 'sipprot on pbx1: blocked 2 addresses (auth-failures 1, scanner 1)');
    assert.deepEqual(doc.counts, {
      decisions: 2,
      addresses: 2,
      byAction: { block: 2 },
      byReason: { 'auth-failures': 1, scanner: 1 },
    });
    assert.equal(doc.decisions[0]!.ip, '203.0.113.66');
    assert.equal(doc.decisions[0]!.time, '2026-11-30T00:53:15Z');
    assert.equal(doc.alert, null);
  });

  it('a huge burst lists the newest MAX_LISTED and counts the rest', () => {
    const ds = Array.from({ length: 5000 }, (_, i) => block(`10.0.${i >> 8}.${i & 255}`));
    const doc = decisionsDocument(ds, 'pbx1', NOW);
    assert.equal(doc.decisions.length, MAX_LISTED);
    assert.equal(doc.omitted, 5000 - MAX_LISTED);
    assert.equal(doc.counts.addresses, 5000);
    for (const f of ['json', 'slack', 'mattermost', 'teams', 'discord'] as const) {
      assert.ok(renderWebhook(doc, f).length < 100_000, f);
    }
  });
});

describe('formats', () => {
  const burst = decisionsDocument([block('203.0.113.66', { userAgent: EVIL, users: [EVIL] })], 'pbx1', NOW);
  const al = alertDocument(
    { ...alert, user: EVIL, text: `possible cracked password: extension ${EVIL}` },
    'AU',
    'pbx1',
    NOW,
  );

  it('json is the document', () => {
    const body = JSON.parse(renderWebhook(al, 'json'));
    assert.equal(body.schema, 'sipprot.webhook/v1');
    assert.equal(body.kind, 'alert');
    assert.equal(body.alert.kind, 'breach');
    assert.equal(body.alert.country, 'AU');
  });

  it('slack: mrkdwn with & < > escaped, attacker text only inside the code block', () => {
    for (const doc of [burst, al]) {
      const { text } = JSON.parse(renderWebhook(doc, 'slack')) as { text: string };
      assert.ok(!text.includes('<!everyone>'), 'no Slack mention syntax survives');
      assert.ok(text.includes('&lt;!everyone&gt;'));
      const [head, ...rest] = text.split('\n');
      assert.ok(!head!.includes('@channel'), 'the heading carries none of it');
      const block = rest.join('\n');
      assert.ok(block.startsWith('```\n') && block.endsWith('\n```'));
      assert.equal(block.split('```').length, 3, 'no backtick run closes the block early');
      assert.doesNotMatch(text, /[\u001b\u202e]/);
    }
  });

  it('discord: no mention is parsed, at most 2000 characters', () => {
    const body = JSON.parse(renderWebhook(burst, 'discord'));
    assert.deepEqual(body.allowed_mentions, { parse: [] });
    assert.ok(body.content.length <= 2000);
    const many = decisionsDocument(
      Array.from({ length: 300 }, (_, i) => block(`10.0.0.${i % 250}`, { userAgent: 'A'.repeat(200) })),
      'pbx1',
      NOW,
    );
    const big = JSON.parse(renderWebhook(many, 'discord'));
    assert.ok(big.content.length <= 2000, String(big.content.length));
    assert.match(big.content, /\.\.\. and \d+ more/);
  });

  it('teams: an Adaptive Card of plain text runs', () => {
    const body = JSON.parse(renderWebhook(al, 'teams'));
    assert.equal(body.type, 'message');
    const card = body.attachments[0];
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.content.type, 'AdaptiveCard');
    const runs = card.content.body.flatMap(
      (b: { inlines: Array<{ type: string; text: string }> }) => b.inlines,
    );
    assert.ok(runs.every((r: { type: string }) => r.type === 'TextRun'));
    assert.equal(runs[0].text, 'sipprot on pbx1: ALERT (breach)');
    assert.match(runs[1].text, /^ALERT possible cracked password/);
  });

  it('mattermost: Markdown, the alert sentence in the code block', () => {
    const { text } = JSON.parse(renderWebhook(al, 'mattermost')) as { text: string };
    assert.match(text, /^\*\*sipprot on pbx1: ALERT \(breach\)\*\*\n```\nALERT possible cracked password/);
    assert.match(text, /country: AU/);
  });

  it('a test message reads as one', () => {
    const { text } = JSON.parse(renderWebhook(testDocument('pbx1', NOW), 'slack')) as { text: string };
    assert.match(text, /sipprot on pbx1: test message, this webhook works/);
  });
});
