import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LocalAddresses } from './local-addresses.js';
import { canonicalV4Number } from './net/ip.js';
import { V4_UNKNOWN } from './policy/source-slots.js';

const num = (ip: string) => canonicalV4Number(ip);

test('LocalAddresses: none is nobody', () => {
  const l = new LocalAddresses();
  assert.equal(l.has('192.0.2.1'), false);
  assert.equal(l.has('192.0.2.1', num('192.0.2.1')), false);
});

test('LocalAddresses: one address, asked by text and by number', () => {
  const l = new LocalAddresses();
  l.add('192.0.2.1');
  assert.equal(l.has('192.0.2.1'), true);
  assert.equal(l.has('192.0.2.1', num('192.0.2.1')), true);
  assert.equal(l.has('192.0.2.2'), false);
  assert.equal(l.has('192.0.2.2', num('192.0.2.2')), false);
  assert.equal(l.has('2001:db8::1', -1), false);
});

test('LocalAddresses: an IPv6 first, then IPv4 ones: every one found either way', () => {
  const l = new LocalAddresses();
  for (const ip of ['2001:db8::1', '192.0.2.1', '198.51.100.7']) l.add(ip);
  assert.equal(l.size, 3);
  assert.equal(l.has('2001:db8::1'), true);
  assert.equal(l.has('2001:db8::1', -1), true);
  for (const ip of ['192.0.2.1', '198.51.100.7']) {
    assert.equal(l.has(ip), true, ip);
    assert.equal(l.has(ip, num(ip)), true, `${ip} by number`);
  }
  assert.equal(l.has('203.0.113.9', num('203.0.113.9')), false);
  assert.equal(l.has('2001:db8::2', V4_UNKNOWN), false);
});

test('LocalAddresses: a second IPv4 learned later is found by number', () => {
  const l = new LocalAddresses();
  l.add('192.0.2.1');
  assert.equal(l.has('198.51.100.7', num('198.51.100.7')), false);
  l.add('198.51.100.7');
  assert.equal(l.has('198.51.100.7', num('198.51.100.7')), true);
  l.add('198.51.100.7');
  assert.equal(l.size, 2);
});
