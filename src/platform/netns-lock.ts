/**
 * One sipprotd per network namespace (issue 10 item 12). Every daemon of a namespace
 * manages the same `table inet sipprot`: a second one (another STATE_DIR) replaced the
 * first one's blocks with its own at start and deleted the table when it stopped, while
 * the first kept running and believed it was protecting.
 *
 * The lock is an abstract Unix socket (`@sipprot/daemon`, Linux): abstract names live in
 * the network namespace, which is exactly the scope of an nftables table, so daemons in
 * other namespaces (containers, the test labs) do not see each other; the kernel frees
 * the name when the owner dies (kill -9 included), so a lock is never stale. Whoever
 * connects reads the owner's pid, STATE_DIR and config, which the refusal names.
 */
import { createConnection, createServer, type Server } from 'node:net';
import { SipprotError } from '../core/errors.js';

export const NETNS_LOCK = 'sipprot/daemon';

export interface LockOwner {
  pid: number;
  stateDir: string;
  config: string | null;
}

export interface NetnsLock {
  release(): Promise<void>;
}

/** Reads who holds the lock (null when nobody answers within a second). */
export function lockOwner(name = NETNS_LOCK): Promise<LockOwner | null> {
  return new Promise((resolve) => {
    let text = '';
    const c = createConnection({ path: `\0${name}` });
    const done = (v: LockOwner | null) => {
      c.destroy();
      resolve(v);
    };
    c.setTimeout(1000, () => done(null));
    c.on('data', (d) => {
      text += d;
      if (text.length > 4096) done(null);
    });
    c.on('end', () => {
      try {
        const o = JSON.parse(text) as LockOwner;
        done(Number.isInteger(o.pid) ? o : null);
      } catch {
        done(null);
      }
    });
    c.on('error', () => done(null));
  });
}

/** Claims this namespace for this daemon; SP_ERR_DAEMON_RUNNING naming the owner if taken. */
export async function claimNetnsLock(me: LockOwner, name = NETNS_LOCK): Promise<NetnsLock> {
  const server: Server = createServer((c) => c.end(JSON.stringify(me)));
  const err = await new Promise<NodeJS.ErrnoException | null>((resolve) => {
    server.once('error', (e) => resolve(e as NodeJS.ErrnoException));
    server.listen({ path: `\0${name}` }, () => resolve(null));
  });
  if (err) {
    if (err.code !== 'EADDRINUSE') {
      throw new SipprotError('SP_ERR_INTERNAL', `cannot take the network namespace lock: ${err.message}`, {
        cause: err,
      });
    }
    const o = await lockOwner(name);
    const who = o
      ? `pid ${o.pid}, STATE_DIR ${o.stateDir}, config ${o.config ?? '(defaults)'}`
      : 'it did not say who it is';
    throw new SipprotError(
      'SP_ERR_DAEMON_RUNNING',
      `another sipprotd already runs in this network namespace (${who}): both would manage the same ` +
        'table inet sipprot; stop it first (sipprotd stop --config ITS_CONFIG), or run this one in its own namespace',
      { details: o ?? undefined },
    );
  }
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
