/** The ClusterBus contract on a real redis-server (apt), started on a free loopback port. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { aBlockEvent } from '../core/cluster/events.testkit.js';
import { aBlock } from '../core/records.testkit.js';
import { clusterBusContract } from './cluster.contract.js';
import { ACL_RULES, RedisBus } from './redis-bus.js';
import { freePort, RedisServer } from './redis-server.testkit.js';

const exec = promisify(execFile);
/** Never throws: stdout and stderr of a finished command (a refused one too). */
const run = (cmd: string, args: string[], o: { cwd?: string } = {}) =>
  exec(cmd, args, o).catch((e: { stdout?: string; stderr?: string }) => ({
    stdout: e.stdout ?? '',
    stderr: e.stderr ?? '',
  }));

clusterBusContract('RedisBus (redis-server)', async () => {
  const server = await RedisServer.start({ password: 'contract-secret' });
  const cli = (...args: string[]) =>
    run('redis-cli', ['-p', String(server.port), '--no-auth-warning', '-a', 'contract-secret', ...args]);
  return {
    bus: async (opts) => new RedisBus({ url: server.url, maxLen: opts?.maxLen, timeoutMs: 1500 }),
    reset: async () => void (await cli('FLUSHALL')),
    inject: async (raw) => void (await cli('XADD', '{sipprot}:events', '*', 'e', raw)),
    outage: async () => {
      await server.stop();
      return () => server.start();
    },
    dispose: () => server.dispose(),
  };
});

describe('RedisBus security: ACL user and TLS (rediss://)', () => {
  it('works as a Redis ACL user limited to the {sipprot} keys and the commands it needs', async () => {
    const server = await RedisServer.start({ password: 'admin-secret' });
    try {
      const cli = (...args: string[]) =>
        run('redis-cli', ['-p', String(server.port), '--no-auth-warning', '-a', 'admin-secret', ...args]);
      // The ACL line of the README: keys under {sipprot} only, no admin or dangerous commands.
      await cli('ACL', 'SETUSER', 'sipprot', ...ACL_RULES.split(' '));
      const url = `redis://sipprot:${encodeURIComponent('host-secret')}@127.0.0.1:${server.port}`;
      const bus = new RedisBus({ url });
      try {
        assert.equal(await bus.ready(5000), true);
        const [r] = await bus.publish([aBlockEvent('pbx-a', aBlock('192.0.2.1'))]);
        assert.equal((await bus.read('0-0', { count: 10, blockMs: 0 }))[0]?.id, r!.id);
        assert.equal((await bus.snapshot()).fleet.blocks.size, 1);
        assert.equal(await bus.missed(r!.id), false);
        await bus.heartbeat({
          host: 'pbx-a',
          at: 1,
          startedAt: 1,
          version: 'x',
          lastId: r!.id,
          outbox: 0,
          rejected: 0,
        });
        assert.equal((await bus.hosts()).length, 1);
        assert.equal(await bus.claim('daily:x', 'pbx-a', 60), true);
        assert.equal(await bus.pruneExpired(0), 0);
        await bus.putGeoTable('ab'.repeat(32), new Uint8Array([1]));
        assert.deepEqual(await bus.getGeoTable('ab'.repeat(32)), new Uint8Array([1]));
      } finally {
        await bus.close();
      }
      const denied = await cli('--user', 'sipprot', '--pass', 'host-secret', 'GET', 'other:key');
      assert.match(denied.stdout + denied.stderr, /NOPERM/);
    } finally {
      await server.dispose();
    }
  });

  it('speaks TLS and refuses a server whose certificate it cannot verify', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sipprot-redis-tls-'));
    const ssl = (...args: string[]) => run('openssl', args, { cwd: dir });
    await ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=test-ca',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    );
    await ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      '/CN=127.0.0.1',
      '-keyout',
      'srv.key',
      '-out',
      'srv.csr',
    );
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    await ssl(
      'x509',
      '-req',
      '-in',
      'srv.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      'ext.cnf',
      '-out',
      'srv.pem',
    );
    const port = await freePort();
    const server = await RedisServer.start({
      password: 'tls-secret',
      tls: { port, cert: join(dir, 'srv.pem'), key: join(dir, 'srv.key'), ca: join(dir, 'ca.pem') },
    });
    const url = `rediss://:tls-secret@127.0.0.1:${port}`;
    try {
      const bus = new RedisBus({ url, tls: { ca: readFileSync(join(dir, 'ca.pem')) } });
      try {
        assert.equal(await bus.ready(5000), true);
        const [r] = await bus.publish([aBlockEvent('pbx-a', aBlock('192.0.2.2'))]);
        assert.equal((await bus.read('0-0', { count: 10, blockMs: 0 }))[0]?.id, r!.id);
      } finally {
        await bus.close();
      }
      const untrusting = new RedisBus({ url, timeoutMs: 1000 });
      try {
        assert.equal(await untrusting.ready(2000), false, 'an unknown CA is refused');
      } finally {
        await untrusting.close();
      }
    } finally {
      await server.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
