/**
 * The live dynamic deny list as Server-Sent Events. A client first gets `ready` (it is
 * subscribed), then the list's changes (live-feed.ts: gathered into one `changes` event per
 * 250 ms, made once for every open view); it reads the list itself a page at a time
 * (dynamic-routes.ts) after `ready`, so nothing falls between a read and the subscription.
 *
 * Why no snapshot: it was the whole list per view opened and per reconnect — 52,407
 * blocks a 19 MB string handed to the event loop (0.2–0.3 s of it at load 28) and written
 * to the browser, which rendered every row.
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
}

interface EventsOptions {
  /** Checked at every heartbeat: a logged-out or expired session ends its stream. */
  stillAuthorized(req: FastifyRequest): Promise<boolean>;
  heartbeatMs?: number;
  maxClients?: number;
}

/** A slow reader is cut off rather than buffered without bound: once it is this far behind. */
const MAX_BUFFERED = 1024 * 1024;

export function eventsRoute(deps: EventsDeps, opts: EventsOptions) {
  const clients = new Set<{ end(): void }>();
  const heartbeatMs = opts.heartbeatMs ?? 20_000;
  const maxClients = opts.maxClients ?? 64;

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
      const write = (text: string) => {
        if (closed) return;
        res.write(text);
        if (res.writableLength > MAX_BUFFERED) end();
      };
      // Subscribed before `ready` goes: a page the client reads after it misses no change.
      const unsubscribe = feed.join(write);
      write(`retry: 3000\n\n${sseFrame('ready', { now: deps.clock() })}`);
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
