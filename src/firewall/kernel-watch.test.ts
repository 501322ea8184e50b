/**
 * The kernel watch's check on its own, through the nft CLI probe (the path without the
 * addon) with stand-ins for nft: a table that is gone is a loss at once; an nft that
 * cannot answer in time (nft 1.0.6 reads every set element for `list chain`: 1M+ of them
 * under load took longer than the limit, and the daemon then rebuilt 2M elements for
 * nothing) is no verdict, said as a warning. The netlink path: test/kernel-watch-netns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KernelWatch } from './kernel-watch.js';
import { NftCliProbe } from './kernel-watch-nft.js';

function recorder() {
  const warnings: string[] = [];
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: (_o: object, msg?: string) => {
      warnings.push(msg ?? '');
    },
    error: () => undefined,
    child: () => log,
  };
  return { warnings, log };
}

describe('KernelWatch.verify', () => {
  it('an nft that fails says the table is gone', async () => {
    const { log } = recorder();
    const w = new KernelWatch({
      probe: new NftCliProbe({ command: [process.execPath, '-e', 'process.exit(1)'] }),
      onLost: () => undefined,
      log,
    });
    assert.match((await w.verify()) ?? '', /table inet sipprot or its prerouting chain is gone/);
  });

  it('an nft killed at the time limit is no verdict: null, and a warning', async () => {
    const { warnings, log } = recorder();
    const w = new KernelWatch({
      probe: new NftCliProbe({
        command: [process.execPath, '-e', 'setTimeout(() => {}, 5000)'],
        timeoutMs: 300,
      }),
      onLost: () => undefined,
      log,
    });
    assert.equal(await w.verify(), null);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /could not check inet sipprot's prerouting chain: nft took over 300 ms/);
  });

  it('chains that hold their drop rules pass', async () => {
    const { log } = recorder();
    const w = new KernelWatch({
      probe: new NftCliProbe({
        command: [process.execPath, '-e', "process.stdout.write('ip saddr @dyn4 drop')"],
      }),
      onLost: () => undefined,
      log,
    });
    assert.equal(await w.verify(), null);
  });
});
