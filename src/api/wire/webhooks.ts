/** Webhooks (issue 15 item 4): the targets as the UI shows them, add, remove, test. */
import { WEBHOOK_FORMATS } from '../../core/types.js';
import { arrayOf, bool, type FromSchema, int, nullable, num, oneOf, record, str } from './schema.js';

const Format = { ...oneOf(...WEBHOOK_FORMATS), 'x-expects': WEBHOOK_FORMATS.join(', ') };

export const WebhookTarget = record({
  index: { ...int, description: 'position in WEBHOOK_URLS (what remove and test take)' },
  format: Format,
  where: { ...str, description: 'scheme and host; the rest of the URL is a secret and never shown' },
  lastOk: { ...nullable(num), description: 'epoch seconds of the last delivery or test that succeeded' },
  lastError: nullable(record({ at: num, message: str })),
});

export const WebhooksView = record({
  targets: arrayOf(WebhookTarget),
  events: { ...arrayOf(str), description: 'WEBHOOK_EVENTS' },
  groupSeconds: { ...int, description: 'WEBHOOK_GROUP_SECONDS' },
  formats: arrayOf(str),
  queued: { ...int, description: 'messages waiting in the queue (retries included)' },
});

export const AddWebhookBody = {
  type: 'object',
  properties: {
    format: Format,
    url: { ...str, pattern: '^https?://', 'x-expects': 'an http:// or https:// URL' },
  },
  required: ['format', 'url'],
  additionalProperties: false,
} as const;

export const WebhookIndexParams = {
  type: 'object',
  properties: { index: { ...str, pattern: '^[0-9]{1,2}$', 'x-expects': 'a webhook index (0, 1, ...)' } },
  required: ['index'],
} as const;

export const WebhookTestBody = {
  type: ['object', 'null'],
  properties: { index: { ...int, minimum: 0, description: 'one webhook; absent = all' } },
} as const;

export const WebhookTestResults = record({
  results: arrayOf(record({ index: int, format: Format, where: str, ok: bool, message: str })),
});

export type WebhookTarget = FromSchema<typeof WebhookTarget>;
export type WebhooksView = FromSchema<typeof WebhooksView>;
export type WebhookTestResults = FromSchema<typeof WebhookTestResults>;
