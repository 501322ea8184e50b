/**
 * /metrics says whether sipprot protects: a gauge per part and one overall, the failure
 * counters, and OBSERVE (a rule in observe mode blocks nothing).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RULES } from '../core/types.js';
import { metricsWith } from './sources.testkit.js';

describe('protection and OBSERVE metrics', () => {
  it('a lost part: its gauge and the overall state are 0, the counters carry the failures', async () => {
    const up = { kernel: true, firewall: true, store: false, capture: true };
    const m = metricsWith({
      protection: () => ({ up, firewallFailures: { change: 3, reconcile: 1 }, storeFailures: 7 }),
      observe: () => [],
    });
    const text = await m.render();
    assert.match(text, /^sipprot_protection_up\{part="store"\} 0$/m);
    assert.match(text, /^sipprot_protection_up\{part="kernel"\} 1$/m);
    assert.match(text, /^sipprot_protection_state 0$/m);
    assert.match(text, /^sipprot_firewall_sync_failures_total\{stage="change"\} 3$/m);
    assert.match(text, /^sipprot_firewall_sync_failures_total\{stage="reconcile"\} 1$/m);
    assert.match(text, /^sipprot_store_write_failures_total 7$/m);
    assert.match(text, /^sipprot_enforcing 1$/m);
    up.store = true;
    assert.match(await m.render(), /^sipprot_protection_state 1$/m);
  });

  it('OBSERVE=all: every rule observed and sipprot_enforcing 0; some rules: only those', async () => {
    let observe: string[] = ['all'];
    const m = metricsWith({ observe: () => observe });
    let text = await m.render();
    for (const rule of RULES)
      assert.match(text, new RegExp(`^sipprot_observe_mode\\{rule="${rule}"\\} 1$`, 'm'));
    assert.match(text, /^sipprot_enforcing 0$/m);
    observe = ['scanner'];
    text = await m.render();
    assert.match(text, /^sipprot_observe_mode\{rule="scanner"\} 1$/m);
    assert.match(text, /^sipprot_observe_mode\{rule="auth-failures"\} 0$/m);
    assert.match(text, /^sipprot_enforcing 1$/m);
  });

  it("the store writer's backlog and the rows it shed over budget", async () => {
    let shed = { history: 0, attacks: 0, decisions: 0 };
    const m = metricsWith({
      writer: () => ({
        bytes: 12_000_000,
        peakBytes: 70_000_000,
        turns: 80,
        budgetBytes: 64 * 1024 * 1024,
        shed,
        shedding: true,
      }),
    });
    let text = await m.render();
    assert.match(text, /^sipprot_store_backlog_bytes\{stat="now"\} 12000000$/m);
    assert.match(text, /^sipprot_store_backlog_bytes\{stat="peak"\} 70000000$/m);
    assert.match(text, /^sipprot_store_backlog_bytes\{stat="budget"\} 67108864$/m);
    assert.match(text, /^sipprot_store_rows_shed_total\{kind="history"\} 0$/m);
    shed = { history: 38_191, attacks: 9_000, decisions: 9_858 };
    text = await m.render();
    assert.match(text, /^sipprot_store_rows_shed_total\{kind="history"\} 38191$/m);
    assert.match(text, /^sipprot_store_rows_shed_total\{kind="decisions"\} 9858$/m);
  });

  it('no writer thread: no backlog series', async () => {
    const text = await metricsWith({ writer: () => null }).render();
    assert.doesNotMatch(text, /^sipprot_store_backlog_bytes\{/m);
  });
});
