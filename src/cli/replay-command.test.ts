import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Alert } from '../core/detect/alerts.js';
import { jsonAlert, jsonNearMiss, terminalSafe } from './replay-command.js';

test('text from the network reaches the terminal without control characters', () => {
  assert.equal(terminalSafe('evil\u001b[2J\u009b31m\u2028ua\n'), 'evil?[2J?31m?ua?');
  assert.equal(terminalSafe('Yealink SIP-T46S 66.86.0.15'), 'Yealink SIP-T46S 66.86.0.15');
});

test('alert and near-miss JSON lines lead with the decision line keys', () => {
  const a: Alert = {
    at: 5,
    kind: 'breach',
    ip: '203.0.113.66',
    user: '1099',
    dialled: null,
    failures: 35,
    sources: [],
    userAgent: null,
    transport: 'udp',
    port: 5060,
    text: 'possible cracked password: extension 1099, from 203.0.113.66, after 35 failures',
  };
  assert.deepEqual(Object.keys(jsonAlert(a)).slice(0, 4), ['at', 'ip', 'action', 'reason']);
  assert.equal(jsonAlert(a).action, 'alert');
  assert.equal(jsonAlert(a).reason, 'breach');
  assert.deepEqual(
    jsonNearMiss({ rule: 'auth-failures', subject: '198.18.0.7', peak: 7, threshold: 10, at: 3, hit: false }),
    { at: 3, ip: '198.18.0.7', action: 'near-miss', reason: 'auth-failures', attempts: 7, threshold: 10 },
  );
});
