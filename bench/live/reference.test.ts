/**
 * tcpdump's counters as the flood bench's reference reads them: the texts are what
 * tcpdump 4.99.3 / libpcap 1.10.3 printed on this machine (SIGUSR1 then SIGINT, and the
 * flood bench's run that lost packets in the kernel), the last one from its format strings.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTcpdumpStats } from './reference.js';

test('the exit report after a SIGUSR1 line: the last report counts', () => {
  const text = [
    'tcpdump: listening on lo, link-type EN10MB (Ethernet), snapshot length 262144 bytes',
    'tcpdump: 3 packets captured, 6 packets received by filter, 0 packets dropped by kernel',
    '3 packets captured',
    '6 packets received by filter',
    '0 packets dropped by kernel',
    '',
  ].join('\n');
  assert.deepEqual(parseTcpdumpStats(text), { captured: 3, received: 6, kernelDrops: 0, ifDrops: 0 });
});

test('no report yet (still listening, or killed): null, not zeros', () => {
  assert.equal(
    parseTcpdumpStats(
      'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 65535 bytes\n',
    ),
    null,
  );
  assert.equal(parseTcpdumpStats('12 packets captured\n12 packets received by filter\n'), null);
});

test('a run that lost packets in the kernel (tcpdump --immediate-mode at 150k/s, exit report)', () => {
  const text = [
    'tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 65535 bytes',
    '157509 packets captured',
    '200000 packets received by filter',
    '42491 packets dropped by kernel',
    '',
  ].join('\n');
  assert.deepEqual(parseTcpdumpStats(text), {
    captured: 157_509,
    received: 200_000,
    kernelDrops: 42_491,
    ifDrops: 0,
  });
});

// Not seen on this machine: built from tcpdump.c's format strings (PLURAL_SUFFIX, and the
// interface line printed only when ps_ifdrop is not 0).
test('singular "packet" and the interface line', () => {
  const text =
    '1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n1 packet dropped by interface\n';
  assert.deepEqual(parseTcpdumpStats(text), { captured: 1, received: 1, kernelDrops: 0, ifDrops: 1 });
});
