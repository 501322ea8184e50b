import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anAttack } from '../core/records.testkit.js';
import { SummaryBuilder } from './summary.js';

test('the newest event by time sets country, user agent and leading users, whatever the order fed', () => {
  const s = new SummaryBuilder({ from: 0, to: 100 });
  s.addAttack(anAttack('198.51.100.1', 50, { country: 'US', userAgent: 'new', users: ['b'] }));
  s.addAttack(anAttack('198.51.100.1', 10, { country: 'CN', userAgent: 'old', users: ['a', 'b'] }));
  const [ip] = s.result().topIps;
  assert.equal(ip?.country, 'US');
  assert.equal(ip?.userAgent, 'new');
  assert.deepEqual(ip?.users, ['b', 'a']);
  assert.equal(ip?.firstAt, 10);
  assert.equal(ip?.lastAt, 50);
});

test('users kept per address are bounded to 20, newest first', () => {
  const s = new SummaryBuilder({ from: 0, to: 100 });
  for (let i = 0; i < 30; i++) s.addAttack(anAttack('198.51.100.1', i, { users: [`u${i}`] }));
  const r = s.result();
  assert.equal(r.topIps[0]?.users.length, 20);
  assert.equal(r.topIps[0]?.users[0], 'u29');
  assert.equal(r.distinctUsers, 30);
});

test('series buckets cover the range; events outside it are not bucketed', () => {
  const s = new SummaryBuilder({ from: 100, to: 130, bucketSeconds: 10 });
  s.addAttack(anAttack('198.51.100.1', 100));
  s.addAttack(anAttack('198.51.100.1', 129.9));
  s.addAttack(anAttack('198.51.100.1', 130));
  assert.deepEqual(s.result().series, [
    { at: 100, attacks: 1 },
    { at: 110, attacks: 0 },
    { at: 120, attacks: 1 },
  ]);
  assert.deepEqual(new SummaryBuilder({ from: 0, to: 10, bucketSeconds: 0 }).result().series, []);
});

test('top 0 gives empty top lists but full totals', () => {
  const s = new SummaryBuilder({ from: 0, to: 100, top: 0 });
  s.addAttack(anAttack('198.51.100.1', 1));
  const r = s.result();
  assert.deepEqual(r.topIps, []);
  assert.equal(r.attacks, 1);
  assert.equal(r.distinctIps, 1);
});
