import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TopIp } from '../records.js';
import { aDecision } from '../records.testkit.js';
import { type Decision, RULES, type Rule } from '../types.js';
import { escapeHtml, printable, textTable } from './format.js';
import { renderReportHtml, renderReportText } from './render.js';
import { buildReport, phoneAdvice, type ReportSummary } from './report.js';

const DAY = 86_400;
/** attacksByRule with no attack: every rule at zero. */
const NO_ATTACKS = Object.fromEntries(RULES.map((r) => [r, 0])) as Record<Rule, number>;
const FROM = 1_714_521_600; // 2024-05-01T00:00:00Z

/** A permanent block after three dynamic ones, as the daily report lists it. */
function permanent(ip: string, at: number): Decision {
  return aDecision(ip, at, {
    action: 'permanent',
    reason: 'threshold',
    expiresAt: null,
    userAgent: 'friendly-scanner',
    users: ['100'],
    attempts: 40,
    country: 'NL',
    timesBlocked: 3,
    note: 'blocked 3 times',
  });
}

/** A phone that keeps failing as user 104: among the top attackers and the phones. */
const PHONE: TopIp = {
  ip: '192.0.2.44',
  country: 'DE',
  userAgent: 'Yealink SIP-T46S',
  users: ['104'],
  attempts: 30,
  events: 3,
  rules: ['auth-failures'],
  firstAt: FROM + 7200,
  lastAt: FROM + 9000,
};

function summary(over: Partial<ReportSummary> = {}): ReportSummary {
  return {
    from: FROM,
    to: FROM + DAY,
    attacks: 12,
    attempts: 340,
    attacksByRule: { ...NO_ATTACKS, scanner: 5, 'auth-failures': 6, enumeration: 1 },
    distinctIps: 3,
    topIps: [
      {
        ip: '203.0.113.7',
        country: 'NL',
        userAgent: 'friendly-scanner',
        users: ['100', '101'],
        attempts: 300,
        events: 8,
        rules: ['scanner', 'auth-failures'],
        firstAt: FROM + 60,
        lastAt: FROM + 3600,
      },
      PHONE,
    ],
    distinctUsers: 3,
    topUsers: [
      { user: '100', events: 8 },
      { user: '104', events: 3 },
    ],
    topCountries: [
      { country: 'NL', events: 8 },
      { country: 'DE', events: 3 },
    ],
    topUserAgents: [{ userAgent: 'friendly-scanner', events: 8 }],
    misconfiguredPhones: [PHONE],
    blocksByReason: { scanner: 5, 'auth-failures': 2, threshold: 1 },
    newPermanent: [permanent('203.0.113.7', FROM + 3600)],
    ...over,
  };
}

const previous = summary({
  from: FROM - DAY,
  to: FROM,
  attacks: 20,
  attempts: 100,
  distinctIps: 4,
  blocksByReason: { scanner: 2, country: 1 },
  newPermanent: [],
  misconfiguredPhones: [],
});

test('the model carries totals compared with the day before', () => {
  const r = buildReport({ summary: summary(), previous, label: '2024-05-01', host: 'pbx1' });
  const totals = Object.fromEntries(r.totals.map((t) => [t.key, [t.value, t.previous]]));
  assert.deepEqual(totals.attacks, [12, 20]);
  assert.deepEqual(totals.blocks, [8, 3]);
  assert.deepEqual(totals.permanent, [1, 0]);
  assert.deepEqual(totals.phones, [1, 0]);
  // A reason seen only the day before still shows, with 0 today.
  const country = r.blocksByReason.find((b) => b.key === 'country');
  assert.deepEqual([country?.value, country?.previous], [0, 1]);
  assert.equal(r.subject, 'sipprot on pbx1: 2024-05-01: 12 attacks, 8 blocks, 1 misconfigured phone');
  assert.equal(r.quiet, false);
  assert.equal(r.topAttackers[0]?.countryName, 'Netherlands');
  assert.equal(r.topAttackers[1]?.misconfiguredPhone, true);
});

test('the text rendering has every section the daily mail promises', () => {
  const r = buildReport({ summary: summary(), previous, label: '2024-05-01' });
  const text = renderReportText(r);
  assert.match(text, /Attacks detected +\| +12 \| +20 \| +-8/);
  assert.match(text, /Blocks +\| +8 \| +3 \| +\+5/);
  assert.match(text, /Attacks by rule[\s\S]*failed authentication \(password guessing\) \| +6/);
  assert.match(text, /Blocks by reason[\s\S]*repeat offender \(BLOCK_THRESHOLD\) +\| +1/);
  assert.match(
    text,
    /203\.0\.113\.7 +\| Netherlands \(NL\) \| +300 \| scanner, auth-failures \| friendly-scanner \| 100, 101/,
  );
  // Every cell of every table row has its separator: no two cells run together.
  assert.match(
    text,
    /Top attacking addresses\n {2}address +\| country +\| attempts \| rules +\| user agent +\| users targeted\n {2}-+\+-+\+/,
  );
  assert.match(text, /New permanent blocks\n {2}\* 203\.0\.113\.7 at 2024-05-01 01:00 UTC .*blocked 3 times/);
  assert.match(
    text,
    /phone at 192\.0\.2\.44 keeps failing as user 104 — likely a deleted extension or changed password; reset the phone/,
  );
  // The misconfigured phone is called out before the attack tables.
  assert.ok(text.indexOf('Misconfigured phones') < text.indexOf('Top attacking addresses'));
});

test('a quiet day says so, and no comparison columns without a previous day', () => {
  const empty = summary({
    attacks: 0,
    attempts: 0,
    attacksByRule: NO_ATTACKS,
    distinctIps: 0,
    topIps: [],
    distinctUsers: 0,
    topUsers: [],
    topCountries: [],
    topUserAgents: [],
    misconfiguredPhones: [],
    blocksByReason: {},
    newPermanent: [],
  });
  const r = buildReport({ summary: empty, previous: null, label: '2024-05-01', partial: true });
  assert.equal(r.quiet, true);
  assert.equal(r.subject, 'sipprot: 2024-05-01 (so far): no attacks');
  const text = renderReportText(r);
  assert.match(text, /No attacks and no blocks in this period\./);
  assert.doesNotMatch(text, /day before/);
  assert.doesNotMatch(text, /Top attacking addresses/);
});

test('HTML escapes everything that came off the wire', () => {
  const evil = '<script>alert("x")</script>&\'';
  const s = summary();
  s.topIps[0] = { ...s.topIps[0]!, userAgent: evil, users: ['<b>1</b>'] };
  s.topUserAgents = [{ userAgent: evil, events: 1 }];
  s.newPermanent = [{ ...permanent('203.0.113.7', FROM + 10), note: '<img src=x onerror=alert(1)>' }];
  const html = renderReportHtml(buildReport({ summary: s, previous, label: '2024-05-01', host: '<pbx>' }));
  assert.doesNotMatch(html, /<script>/);
  assert.doesNotMatch(html, /<img/);
  assert.doesNotMatch(html, /<b>1/);
  assert.doesNotMatch(html, /<pbx>/);
  assert.match(html, /&lt;script&gt;alert\(&quot;x&quot;\)&lt;\/script&gt;&amp;&#39;/);
  assert.match(html, /&lt;img src=x onerror=alert\(1\)&gt;/);
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /keeps failing as user 104/);
  // Cell borders survive a client that drops style attributes (the table's own border).
  assert.match(html, /<table border="1" cellpadding="4" cellspacing="0"/);
  assert.match(html, /<td style="border:1px solid #999[^"]*">203\.0\.113\.7<\/td>/);
});

test('escapeHtml and the phone advice', () => {
  assert.equal(escapeHtml(`a<b>&"'`), 'a&lt;b&gt;&amp;&quot;&#39;');
  assert.match(phoneAdvice({ ip: '192.0.2.5', users: ['104', '105'] }), /as users 104, 105/);
  assert.match(phoneAdvice({ ip: '192.0.2.5', users: [] }), /^phone at 192\.0\.2\.5 keeps failing — /);
});

test('renderers take a time formatter', () => {
  const r = buildReport({ summary: summary(), previous: null, label: 'x' });
  const text = renderReportText(r, { formatTime: (t) => `T${t - FROM}` });
  assert.match(text, /Period: T0 to T86400/);
});

test('plain-text cells cannot forge lines; columns align', () => {
  assert.equal(printable('a\r\nb\u0007'), 'a??b?');
  assert.equal(
    textTable(
      ['ip', 'n'],
      [
        ['192.0.2.1', 5],
        ['x\ny', 10],
      ],
      [false, true],
    ),
    '  ip        |  n\n  ----------+---\n  192.0.2.1 |  5\n  x?y       | 10',
  );
});
