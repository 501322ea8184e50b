/**
 * The live dynamic deny list as Server-Sent Events. A client first gets a snapshot of the
 * list, then its changes (live-feed.ts: gathered into one `changes` event per 250 ms, made
 * once for every open view), so nothing falls between a GET and the subscription.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SipprotError } from '../core/errors.js';
import type { Admin } from '../ports/admin.js';
import type { Store } from '../ports/store.js';
import { SECURITY_HEADERS } from './headers.js';
import { LiveFeed, sseFrame } from './live-feed.js';
import type { LiveEvent } from './types.js';
import { answers } from './wire/errors.js';
import { StreamEvents } from './wire/events.js';

interface EventsDeps {
  admin: Admin;
  store: Store;
  events: { subscribe(cb: (e: LiveEvent) => void): () => void };
  clock(): number;
  liveSnapshot?: (now: number) => Promise<string> | null;
}

interface EventsOptions {
  /** Checked at every heartbeat: a logged-out or expired session ends its stream. */
  stillAuthorized(req: FastifyRequest): Promise<boolean>;
  heartbeatMs?: number;
  maxClients?: number;
}

/**
 * A slow reader is cut off rather than buffered without bound: once it is this far behind
 * its snapshot (which may be far bigger: 19 MB for 52k blocks; counting it cut every view
 * of a list over ~1 MB right after its snapshot, and the browser came back 3 s later for
 * another one, read on the event loop).
 */
const MAX_BUFFERED = 1024 * 1024;

export function eventsRoute(deps: EventsDeps, opts: EventsOptions) {
  const clients = new Set<{ end(): void }>();
  const heartbeatMs = opts.heartbeatMs ?? 20_000;
  const maxClients = opts.maxClients ?? 64;

  /** The list as it is now: made off the loop when the daemon can (its JSON, as is). */
  async function snapshotFrame(): Promise<string> {
    const now = deps.clock();
    const json = deps.liveSnapshot?.(now);
    if (json) return `event: snapshot\ndata: {"blocks":${await json},"now":${now}}\n\n`;
    return sseFrame('snapshot', { blocks: await deps.admin.dynamicBlocks(), now: deps.clock() });
  }

  return async (app: FastifyInstance) => {
    const feed = new LiveFeed({ ...deps, warn: (err, msg) => app.log.warn({ err }, msg) });
    app.addHook('onClose', async () => {
      for (const c of clients) c.end();
    });

    const schema = {
      summary: 'Server-Sent Events: snapshot, changes, lists, settings, alerts, protection, logout',
      response: answers({
        200: {
          description: 'an event stream; x-events gives the data of each event',
          content: { 'text/event-stream': { schema: { type: 'string', 'x-events': StreamEvents } } },
        },
      }),
    };
    app.get('/api/dynamic/events', { schema }, async (req, reply) => {
      if (clients.size >= maxClients) {
        throw new SipprotError('SP_ERR_BUSY', `too many live views open (${maxClients}); close some`, {
          details: { retryAfter: 10 },
        });
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let closed = false;
      let allowed = MAX_BUFFERED;
      const write = (text: string) => {
        if (closed) return;
        res.write(text);
        if (res.writableLength > allowed) end();
      };
      // Subscribed before the snapshot is read, and queued behind it: no change is lost
      // between the two, and events keep the order they happened in.
      let chain: Promise<void> = (async () => {
        write('retry: 3000\n\n');
        const snapshot = await snapshotFrame();
        allowed += snapshot.length;
        write(snapshot);
      })().catch((err) => {
        req.log.warn({ err }, 'live view: snapshot failed');
        end();
      });
      const unsubscribe = feed.join((frame) => {
        chain = chain.then(() => write(frame));
      });
      const client = { end: () => end() };
      const timer = setInterval(() => {
        void opts.stillAuthorized(req).then(
          (ok) => {
            if (!ok) {
              write(sseFrame('logout', {}));
              end();
            } else write(': ping\n\n');
          },
          () => end(),
        );
      }, heartbeatMs);
      timer.unref();
      function end() {
        if (closed) return;
        closed = true;
        clearInterval(timer);
        unsubscribe();
        clients.delete(client);
        res.end();
      }
      clients.add(client);
      res.on('close', end);
      res.on('error', end);
    });
  };
}
