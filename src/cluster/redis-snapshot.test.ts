/**
 * The snapshot's lists, read as Redis sends them (flat field, value arrays): every network is
 * validated again (canonical, and one a list may hold: never 0.0.0.0, loopback or multicast),
 * notes are made one line as an event's are, and what fails is counted, never applied.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSnapshot } from './redis-snapshot.js';

test('the snapshot’s list entries are validated again, notes cleaned, the malformed counted', () => {
  const deny = [
    '198.51.100.0/24',
    '1000|pbx-a|0|abuse\nticket 7',
    '0.0.0.0',
    '1000|pbx-a|0|never a source',
    '224.0.0.1',
    '1000|pbx-a|0|multicast',
    '10.0.0.1/8',
    '1000|pbx-a|0|host bits',
    '203.0.113.9',
    '1000|../etc|0|bad host',
    '203.0.113.10',
    '1001|pbx-b|1|',
  ];
  const snap = readSnapshot({}, {}, {}, [[], deny], {}, {}, {}, '5-0');
  assert.equal(snap.rejected, 4);
  assert.deepEqual(
    [...snap.fleet.lists.deny],
    [
      ['198.51.100.0/24', { at: 1000, host: 'pbx-a', removed: false, value: 'abuse ticket 7' }],
      ['203.0.113.10', { at: 1001, host: 'pbx-b', removed: true, value: '' }],
    ],
  );
  assert.equal(snap.covers, '5-0');
});
