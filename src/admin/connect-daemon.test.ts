/**
 * connectDaemon (issue 15, the start race): sipprotd writes its PID file seconds before its
 * socket serves; a command issued in between used to fall back to the files and the store
 * behind the back of a daemon that had already read them (a `deny add` reached the list file
 * but not the kernel). Now a fresh PID file is waited for (bounded, said once); a stale or old
 * one still means "work on the files"; a daemon that never answers is a clear error.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runtimePaths } from '../platform/runtime-paths.js';
import { connectDaemon } from './http-admin.js';

describe('connectDaemon: finding the daemon, and waiting for one that is starting', () => {
  let dir: string;
  let paths: ReturnType<typeof runtimePaths>;
  const servers: Server[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sipprot-connect-'));
    paths = runtimePaths({ stateDir: dir });
  });
  after(() => {
    for (const s of servers) s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Serves /api/status on the socket, as the daemon's API does once it is up. */
  function serve(): Promise<void> {
    const s = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
    servers.push(s);
    return new Promise((r) => s.listen(paths.socket, () => r()));
  }

  it('no PID file: no daemon, at once', async () => {
    rmSync(paths.pidFile, { force: true });
    assert.equal(await connectDaemon(paths), null);
  });

  it('a fresh PID file whose socket serves 400 ms later: waited for, said once', async () => {
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    const said: string[] = [];
    const t0 = Date.now();
    setTimeout(() => void serve(), 400);
    const d = await connectDaemon(paths, { waiting: (t) => said.push(t) });
    assert.ok(d, 'the daemon was found once it answered');
    assert.ok(Date.now() - t0 >= 350, 'it waited');
    assert.deepEqual(said, [
      `sipprotd (pid ${process.pid}) is starting: waiting up to 30 s for it to answer\n`,
    ]);
    for (const s of servers.splice(0)) s.close();
    rmSync(paths.socket, { force: true });
  });

  it('a daemon that needs 15 s to serve (a big state on a loaded host) is waited for, as `sipprotd start` waits', async () => {
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    // A clock a second ahead at every read: the 15 s pass in a few real polls.
    let fake = Date.now();
    let up: Promise<void> | null = null;
    const now = () => {
      fake += 1000;
      if (fake - Date.now() >= 15_000) up ??= serve();
      return fake;
    };
    const said: string[] = [];
    const d = await connectDaemon(paths, { now, waiting: (t) => said.push(t) });
    assert.ok(d, 'the daemon was found once it answered, 15 s into its start');
    assert.deepEqual(said, [
      `sipprotd (pid ${process.pid}) is starting: waiting up to 30 s for it to answer\n`,
    ]);
    await up;
    for (const s of servers.splice(0)) s.close();
    rmSync(paths.socket, { force: true });
  });

  it('a fresh PID file that never answers: a clear error after the wait, naming the log', async () => {
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    await assert.rejects(connectDaemon(paths, { waitMs: 300 }), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SP_ERR_DAEMON_NOT_RUNNING');
      assert.match(e.message, new RegExp(`did not answer on .* within 0.3 s: see ${paths.logFile}`));
      return true;
    });
  });

  it('an old PID file of a live process that does not answer (stuck, or a PID reused): the files, at once', async () => {
    writeFileSync(paths.pidFile, `${process.pid}\n`);
    const old = Date.now() / 1000 - 300;
    utimesSync(paths.pidFile, old, old);
    const t0 = Date.now();
    assert.equal(await connectDaemon(paths), null);
    assert.ok(Date.now() - t0 < 1000);
  });
});
