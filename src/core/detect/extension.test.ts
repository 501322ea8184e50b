import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { hashOne } from '../sip/match-hash.js';
import { EXTENSION_WINDOW, ExtensionTable } from './extension.js';

interface ExtSource {
  key: string;
  ip: string;
  at: number;
  transport: string;
  port: number;
}

/** The list as the table kept it before its columns: a list of objects (a failure, then a breach). */
function modelFailure(list: ExtSource[], src: ExtSource): ExtSource[] {
  const kept = list.filter((s) => s.key !== src.key && src.at - s.at < EXTENSION_WINDOW);
  kept.push(src);
  if (kept.length > 64) kept.shift();
  return kept;
}

test('ExtensionTable keeps the sources a plain list would: same sources, order, times, addresses, ports; hashes in step', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = mulberry32(seed);
    const t = new ExtensionTable();
    const model = new Map<string, ExtSource[]>();
    let at = 1_800_000_000.25;
    const pool = seed === 1 ? 40 : 400; // few keys: repeats; many: the 64 bound
    for (let op = 0; op < 30_000; op++) {
      at += rnd() < 0.002 ? EXTENSION_WINDOW * rnd() * 1.5 : rnd() * 2;
      // Seeds 4 and 5: packet time steps back now and then (a source's list out of order),
      // by up to a window at times (the order alone must not decide what is stale).
      if (seed >= 4 && rnd() < 0.05) at -= rnd() < 0.05 ? EXTENSION_WINDOW * rnd() : rnd() * 20;
      const user = `${100 + Math.floor(rnd() * 3)}`;
      const key = `198.51.100.${Math.floor(rnd() * pool)}`;
      if (rnd() < 0.05) {
        const st = t.get(user);
        if (st !== undefined) {
          t.dropSource(st, key);
          model.set(
            user,
            (model.get(user) ?? []).filter((s) => s.key !== key),
          );
        }
        continue;
      }
      const port = 5060 + Math.floor(rnd() * 1000);
      const src: ExtSource = { key, ip: `ip-of-${key}`, at, transport: rnd() < 0.5 ? 'udp' : 'tcp', port };
      const st = t.failure(user, src.key, src.ip, src.at, src.transport, src.port)!;
      const want = modelFailure(model.get(user) ?? [], src);
      model.set(user, want);
      assert.deepEqual(
        st.keys.map((k, i) => ({
          key: k,
          ip: st.ips[i],
          at: st.ats[i],
          transport: st.transports[i],
          port: st.ports[i],
        })),
        want,
        `seed ${seed} op ${op}`,
      );
      assert.deepEqual(st.hs, st.keys.map(hashOne));
      assert.ok(st.size <= 64);
      assert.equal(t.hasSource(user, key, at), true);
    }
  }
});
