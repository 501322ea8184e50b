/**
 * Webhooks in the UI and API (issue 15 item 4): the configured targets (format and host
 * only: the rest of a webhook URL is its secret), add and remove (written to WEBHOOK_URLS
 * in sipprot.conf through the settings path, so the file stays the one truth and a reload
 * applies it), and the test button (a test message to one target or all, now, with each
 * answer). GET /metrics lives here too: the other machine-readable route of issue 15.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { formatWebhookTargets, MAX_WEBHOOKS, parseWebhookTarget } from '../core/config/keys-ops.js';
import { SipprotError } from '../core/errors.js';
import type { Address } from '../core/net/ip.js';
import { WEBHOOK_FORMATS, type WebhookTarget } from '../core/types.js';
import { bad } from './admin-routes.js';
import type { SettingsPort } from './settings-routes.js';
import type { WireTypes } from './validation.js';
import { answers } from './wire/errors.js';
import {
  AddWebhookBody,
  type WebhookTarget as TargetView,
  WebhookIndexParams,
  WebhooksView,
  WebhookTestBody,
  WebhookTestResults,
} from './wire/webhooks.js';

export interface WebhooksPort {
  status(): TargetView[];
  test(index?: number): Promise<WebhookTestResults['results']>;
  queued(): Promise<number>;
}

export interface WebhookRouteDeps {
  settings: SettingsPort;
  webhooks?: WebhooksPort | undefined;
  metrics?: (() => Promise<string>) | undefined;
}

const EXPOSITION = 'text/plain; version=0.0.4; charset=utf-8';

function targetsOf(values: Record<string, string>): WebhookTarget[] {
  const out: WebhookTarget[] = [];
  for (const item of (values.WEBHOOK_URLS ?? '').split(/[\s,]+/).filter(Boolean)) {
    const t = parseWebhookTarget(item);
    if (typeof t !== 'string') out.push(t);
  }
  return out;
}

export function webhookRoutes(d: WebhookRouteDeps, requesterOf: (req: FastifyRequest) => Address | null) {
  return async (fastify: FastifyInstance) => {
    const app = fastify.withTypeProvider<WireTypes>();
    const hooks = () => {
      if (!d.webhooks) throw new SipprotError('SP_ERR_NOT_FOUND', 'webhooks are not available here');
      return d.webhooks;
    };
    const view = async (): Promise<WebhooksView> => {
      const { values } = await d.settings.read();
      return {
        targets: hooks().status(),
        events: (values.WEBHOOK_EVENTS ?? '').split(',').filter(Boolean),
        groupSeconds: Number(values.WEBHOOK_GROUP_SECONDS ?? 0),
        formats: [...WEBHOOK_FORMATS],
        queued: await hooks().queued(),
      };
    };
    const save = async (req: FastifyRequest, targets: WebhookTarget[]) => {
      await d.settings.update(
        { WEBHOOK_URLS: formatWebhookTargets(targets) },
        requesterOf(req)?.text ?? null,
      );
      req.log.info({ webhooks: targets.length }, 'webhooks changed');
    };
    const ok = { response: answers({ 200: WebhooksView }) };
    app.get('/api/webhooks', { schema: { summary: 'webhook targets and their last delivery', ...ok } }, view);
    app.post(
      '/api/webhooks',
      { schema: { summary: 'add a webhook (written to WEBHOOK_URLS)', body: AddWebhookBody, ...ok } },
      async (req) => {
        const t = parseWebhookTarget(`${req.body.format}:${req.body.url.trim()}`);
        if (typeof t === 'string') throw bad(`body.url ${t}`);
        const targets = targetsOf((await d.settings.read()).values);
        if (targets.length >= MAX_WEBHOOKS) throw bad(`at most ${MAX_WEBHOOKS} webhooks`);
        if (!targets.some((x) => x.url === t.url && x.format === t.format)) await save(req, [...targets, t]);
        return view();
      },
    );
    app.delete(
      '/api/webhooks/:index',
      {
        schema: {
          summary: 'remove a webhook; messages queued for it are dropped',
          params: WebhookIndexParams,
          ...ok,
        },
      },
      async (req) => {
        const targets = targetsOf((await d.settings.read()).values);
        const index = Number(req.params.index);
        if (index >= targets.length)
          throw new SipprotError('SP_ERR_NOT_FOUND', `there is no webhook number ${index}`);
        await save(
          req,
          targets.filter((_, i) => i !== index),
        );
        return view();
      },
    );
    app.post(
      '/api/webhooks/test',
      {
        schema: {
          summary: 'send a test message now (one webhook, or all) and say what each answered',
          body: WebhookTestBody,
          response: answers({ 200: WebhookTestResults }),
        },
      },
      async (req) => {
        const index = req.body?.index;
        const results = await hooks().test(index);
        if (index !== undefined && results.length === 0) {
          throw new SipprotError('SP_ERR_NOT_FOUND', `there is no webhook number ${index}`);
        }
        return { results };
      },
    );
    const metrics = {
      summary: 'Prometheus metrics (session, or Authorization: Bearer METRICS_TOKEN)',
      response: answers({
        200: {
          description: 'text exposition format 0.0.4',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      }),
    } as const;
    app.get('/metrics', { schema: metrics }, async (_req, reply) => {
      if (!d.metrics) throw new SipprotError('SP_ERR_NOT_FOUND', 'metrics are not available here');
      return reply
        .type(EXPOSITION)
        .header('cache-control', 'no-store')
        .send(await d.metrics());
    });
  };
}
