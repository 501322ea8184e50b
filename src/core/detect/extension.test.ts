import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mulberry32 } from '../prng.testkit.js';
import { EXTENSION_WINDOW, ExtensionTable, type ExtSource } from './extension.js';

/** The list as the table kept it before its packed hash and time arrays (a failure, then a breach). */
function modelFailure(list: ExtSource[], src: ExtSource): ExtSource[] {
  const kept = list.filter((s) => s.key !== src.key && src.at - s.at < EXTENSION_WINDOW);
  kept.push(src);
  if (kept.length > 64) kept.shift();
  return kept;
}

test('ExtensionTable keeps the sources a plain list would: same sources, order, times; hashes in step', () => {
  for (const seed of [1, 2, 3]) {
    const rnd = mulberry32(seed);
    const t = new ExtensionTable();
    const model = new Map<string, ExtSource[]>();
    let at = 1_800_000_000.25;
    const pool = seed === 1 ? 40 : 400; // few keys: repeats; many: the 64 bound
    for (let op = 0; op < 30_000; op++) {
      at += rnd() < 0.002 ? EXTENSION_WINDOW * rnd() * 1.5 : rnd() * 2;
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
      const src: ExtSource = { key, ip: key, at, transport: 'udp', port: 5060, h: 0 };
      const st = t.failure(user, src)!;
      const want = modelFailure(model.get(user) ?? [], src);
      model.set(user, want);
      assert.deepEqual(
        st.sources.map((s) => [s.key, s.at]),
        want.map((s) => [s.key, s.at]),
        `seed ${seed} op ${op}`,
      );
      assert.deepEqual(
        st.ats,
        want.map((s) => s.at),
      );
      assert.deepEqual(
        st.hs,
        st.sources.map((s) => s.h),
      );
      assert.ok(st.sources.length <= 64);
    }
  }
});
