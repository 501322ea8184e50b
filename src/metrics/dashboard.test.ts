/**
 * packaging/grafana-dashboard.json, import-tested without Grafana: it is valid JSON of the
 * shape Grafana imports (inputs, panels on a 24-column grid, a Prometheus data source on
 * every query), and every query names metrics sipprot exports, with labels they carry.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { metricsWith } from './sources.testkit.js';

interface Target {
  expr: string;
  refId: string;
  datasource: { uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}

const dashboard = JSON.parse(
  readFileSync(new URL('../../packaging/grafana-dashboard.json', import.meta.url), 'utf8'),
) as {
  __inputs: Array<{ name: string; pluginId: string }>;
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; query: { query: string } }> };
};

const metrics = metricsWith();

/** Every series name a scrape can show, with the labels each may carry. */
const exported = new Map<string, Set<string>>();
for (const f of metrics.registry.families()) {
  const labels = new Set([...f.labels, 'instance', 'job']);
  if (f.kind === 'histogram') {
    exported.set(`${f.name}_bucket`, new Set([...labels, 'le']));
    exported.set(`${f.name}_sum`, labels);
    exported.set(`${f.name}_count`, labels);
  } else exported.set(f.name, labels);
}

/** Grafana's import placeholder for the data source the admin picks. */
const INPUT = ['$', '{DS_PROMETHEUS}'].join('');

/** `name{a="x",b=~"y"}` selectors of a PromQL expression. */
function selectors(expr: string): Array<{ name: string; labels: string[] }> {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{([^}]*)\}/g)].map((m) => ({
    name: m[1]!,
    labels: [...m[2]!.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!),
  }));
}

describe('packaging/grafana-dashboard.json', () => {
  it('is a dashboard Grafana imports: a Prometheus input, unique panel ids, a 24-column grid', () => {
    assert.equal(dashboard.title, 'sipprot');
    assert.match(dashboard.uid, /^[a-z0-9-]{1,40}$/);
    assert.ok(dashboard.schemaVersion >= 30);
    assert.deepEqual(
      dashboard.__inputs.map((i) => [i.name, i.pluginId]),
      [['DS_PROMETHEUS', 'prometheus']],
    );
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      assert.ok(g.x >= 0 && g.w > 0 && g.x + g.w <= 24, `${p.title}: grid`);
      if (p.type === 'row') continue;
      assert.equal(p.datasource?.uid, INPUT, p.title);
      assert.ok((p.targets ?? []).length > 0, `${p.title} has no query`);
      for (const t of p.targets ?? []) assert.equal(t.datasource.uid, INPUT);
    }
  });

  it('every query names an exported metric, with labels that metric has, and the host filter', () => {
    const used = new Set<string>();
    const exprs = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })),
    );
    assert.ok(exprs.length >= 20);
    for (const { title, expr } of exprs) {
      const sels = selectors(expr);
      assert.ok(sels.length > 0, `${title}: ${expr} selects no metric`);
      for (const s of sels) {
        const labels = exported.get(s.name);
        assert.ok(labels, `${title}: ${s.name} is not a metric sipprot exports`);
        for (const l of s.labels) assert.ok(labels.has(l), `${title}: ${s.name} has no label ${l}`);
        assert.ok(s.labels.includes('instance'), `${title}: ${s.name} ignores the host picker`);
        used.add(s.name.replace(/_(bucket|sum|count)$/, ''));
      }
    }
    const variable = dashboard.templating.list.find((v) => v.name === 'instance')!;
    assert.match(variable.query.query, /^label_values\(sipprot_decisions_total, instance\)$/);
    // The headline metrics of issue 15 item 3 are all on the dashboard.
    for (const name of [
      'sipprot_capture_packets_total',
      'sipprot_capture_dropped_total',
      'sipprot_sip_messages_total',
      'sipprot_detection_events_total',
      'sipprot_decisions_total',
      'sipprot_blocks_active',
      'sipprot_dropped_packets_total',
      'sipprot_dropped_bytes_total',
      'sipprot_list_entries',
      'sipprot_queue_pending',
      'sipprot_event_loop_lag_seconds',
      'sipprot_capture_latency_seconds',
      'sipprot_block_latency_seconds',
    ]) {
      assert.ok(used.has(name), `${name} is on no panel`);
    }
  });
});
