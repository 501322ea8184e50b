/**
 * GET /api/feeds: what each shared blocklist holds and how its last download went;
 * POST /api/feeds/update: download now (one feed or all), answering with the statuses
 * after the run. Without FEEDS_FILE (or with no feed in it) both answer an empty list.
 */
import type { FastifyInstance } from 'fastify';
import type { FeedsView } from '../ports/feeds.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import { FeedsAnswer, FeedUpdateBody } from './wire/feeds.js';
import { FeedMatch } from './wire/records.js';
import { arrayOf } from './wire/schema.js';

export function feedsRoutes(feeds: (() => FeedsView | null) | undefined) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    app.get(
      '/api/feeds',
      {
        schema: {
          summary: 'shared blocklists: entries, last download, errors',
          response: answers({ 200: FeedsAnswer }),
        },
      },
      async () => ({ feeds: feeds?.()?.status() ?? [] }),
    );
    app.get(
      '/api/feeds/entries',
      {
        schema: {
          summary: 'every live entry of the shared blocklists: feed, network, since, until',
          response: answers({ 200: arrayOf(FeedMatch) }),
        },
      },
      async () => feeds?.()?.entries() ?? [],
    );
    app.post(
      '/api/feeds/update',
      {
        schema: {
          summary: 'download the shared blocklists now (one, or every enabled one)',
          body: FeedUpdateBody,
          response: answers({ 200: FeedsAnswer }),
        },
      },
      async (req) => {
        const view = feeds?.();
        if (!view) return { feeds: [] };
        return { feeds: await view.update(req.body?.name ?? undefined) };
      },
    );
  };
}
