/**
 * The OpenAPI 3.1 description served at /api/openapi.json. Hand-written (no generator
 * dependency); server.test.ts checks that every registered route is described here and
 * every described path is registered.
 */
import { ERROR_CODES } from './errors.js';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json) => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: Json = { type: 'object' }) => ({ description, ...json(schema) });
const text = (type: string, description: string) => ({
  description,
  content: { [type]: { schema: { type: 'string' } } },
});
const body = (schema: Json) => ({ required: true, ...json(schema) });
const errors = {
  '400': { $ref: '#/components/responses/Error' },
  '401': { $ref: '#/components/responses/Error' },
  '403': { $ref: '#/components/responses/Error' },
};
const pathParam = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});
const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  required: false,
  description,
  schema,
});
const listParam = pathParam('name', 'allow or deny');
const str = { type: 'string' };
const int = { type: 'integer' };

function op(summary: string, responses: Json, extra: Json = {}): Json {
  return { summary, ...extra, responses: { ...responses, ...errors } };
}

const paths: Record<string, Record<string, Json>> = {
  '/api/health': { get: { summary: 'liveness (no login)', responses: { '200': ok('up') }, security: [] } },
  '/api/openapi.json': { get: op('this document', { '200': ok('OpenAPI 3.1') }) },
  '/api/login': {
    post: {
      summary: 'log in (TCP); sets the session and CSRF cookies. 5 failures a minute per address: 429',
      security: [],
      requestBody: body({ type: 'object', required: ['password'], properties: { password: str } }),
      responses: {
        '200': ok('logged in', ref('Session')),
        ...errors,
        '429': { $ref: '#/components/responses/Error' },
      },
    },
  },
  '/api/logout': { post: op('end the session', { '200': ok('logged out') }) },
  '/api/session': {
    get: op('the current session and its CSRF token', { '200': ok('session', ref('Session')) }),
  },
  '/api/password': {
    post: op(
      'change the admin password (needs the current one on TCP); ends every other session',
      { '200': ok('changed', ref('Session')) },
      { requestBody: body({ type: 'object', properties: { current: str, password: str } }) },
    ),
  },
  '/api/status': { get: op('counts per list, daemon, countries, mail', { '200': ok('status') }) },
  '/api/check/{ip}': {
    get: op(
      'is this address blocked, and why',
      { '200': ok('check') },
      { parameters: [pathParam('ip', 'address')] },
    ),
  },
  '/api/lists/template.csv': { get: op('CSV template for import', { '200': text('text/csv', 'template') }) },
  '/api/lists/{name}': {
    get: op(
      'entries of a list',
      { '200': ok('entries', { type: 'array', items: ref('ListEntry') }) },
      {
        parameters: [listParam],
      },
    ),
    post: op(
      'add entries (deny: refused with SP_ERR_LOCKOUT when it would lock you out)',
      { '200': ok('added/updated') },
      {
        parameters: [listParam],
        requestBody: body({
          type: 'object',
          properties: { entries: { type: 'array', items: ref('ListEntry') } },
        }),
      },
    ),
  },
  '/api/lists/{name}/remove': {
    post: op(
      'remove some entries, or all with {all:true}',
      { '200': ok('removed/missing') },
      {
        parameters: [listParam],
        requestBody: body({
          type: 'object',
          properties: { networks: { type: 'array', items: str }, all: { type: 'boolean' } },
        }),
      },
    ),
  },
  '/api/lists/{name}/import': {
    post: op(
      'import CSV (network,note); per-line errors; nothing applied on errors unless skipInvalid',
      {
        '200': ok('import result'),
      },
      {
        parameters: [listParam, query('skipInvalid', 'with a text/csv body: 1 to apply the valid lines')],
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', properties: { csv: str, skipInvalid: { type: 'boolean' } } },
            },
            'text/csv': { schema: str },
          },
        },
      },
    ),
  },
  '/api/lists/{name}/export': {
    get: op('the list as CSV', { '200': text('text/csv', 'CSV') }, { parameters: [listParam] }),
  },
  '/api/dynamic': { get: op('dynamic deny list with time left', { '200': ok('blocks', { type: 'array' }) }) },
  '/api/dynamic/{ip}': {
    delete: op(
      'lift a dynamic block now',
      { '200': ok('unblocked') },
      { parameters: [pathParam('ip', 'address')] },
    ),
  },
  '/api/dynamic/events': {
    get: op('Server-Sent Events: snapshot, block, unblock, lists, settings, logout', {
      '200': text('text/event-stream', 'event stream'),
    }),
  },
  '/api/settings': {
    get: op('every setting with its metadata', { '200': ok('settings', ref('Settings')) }),
    patch: op(
      'change settings; applied live (restartRequired lists keys that need a restart)',
      {
        '200': ok('settings', ref('Settings')),
      },
      { requestBody: body({ type: 'object', properties: { changes: { type: 'object' } } }) },
    ),
  },
  '/api/settings/validate': {
    post: op(
      'check values without saving',
      { '200': ok('{ok, errors}') },
      {
        requestBody: body({ type: 'object', properties: { changes: { type: 'object' } } }),
      },
    ),
  },
  '/api/recipients': {
    get: op('notification recipients', { '200': ok('recipients', { type: 'array' }) }),
    post: op(
      'add a recipient',
      { '201': ok('recipient') },
      {
        requestBody: body({ type: 'object', properties: { email: str, name: str } }),
      },
    ),
  },
  '/api/recipients/{email}': {
    delete: op(
      'remove a recipient',
      { '200': ok('removed') },
      { parameters: [pathParam('email', 'address')] },
    ),
  },
  '/api/notify/test': {
    post: op(
      'send a test mail (to one address, or the recipients)',
      { '200': ok('{ok, message}') },
      {
        requestBody: { required: false, ...json({ type: 'object', properties: { to: str } }) },
      },
    ),
  },
  '/api/dashboard': {
    get: op(
      'blocks now, attacks today, top countries/user agents, attacks over time',
      { '200': ok('dashboard') },
      {
        parameters: [query('range', 'series range', { enum: ['24h', '7d', '30d'] })],
      },
    ),
  },
  '/api/attacks': {
    get: op(
      'recent attack events, newest first',
      { '200': ok('attacks', { type: 'array' }) },
      {
        parameters: [query('limit', '1-1000 (50)', int), query('hours', 'how far back (168)', int)],
      },
    ),
  },
  '/api/decisions': {
    get: op(
      'recent decisions, newest first',
      { '200': ok('decisions', { type: 'array' }) },
      {
        parameters: [
          query('limit', '1-1000', int),
          query('hours', 'how far back', int),
          query('ip', 'one address'),
        ],
      },
    ),
  },
  '/api/geoip': { get: op('geo-IP database in use', { '200': ok('geo status', ref('GeoStatus')) }) },
  '/api/geoip/update': {
    post: op('update the geo-IP database now', { '200': ok('geo status', ref('GeoStatus')) }),
  },
  '/api/report': {
    get: op(
      'the attack report of a day',
      { '200': ok('report') },
      {
        parameters: [
          query('day', 'YYYY-MM-DD (today)'),
          query('format', 'json, text or html', { enum: ['json', 'text', 'html'] }),
        ],
      },
    ),
  },
  '/api/reload': { post: op('reload config and lists', { '200': ok('{reloaded, message}') }) },
};

export function openApiDocument(): Json {
  return {
    openapi: '3.1.0',
    info: {
      title: 'sipprot API',
      version: '1',
      description:
        'Everything the web UI does. Over TCP: log in (POST /api/login), then send the session cookie, ' +
        'and on every POST/PATCH/DELETE the X-CSRF-Token header from GET /api/session. ' +
        'On the root-only Unix socket no login is needed. Errors: {error:{code,message,details}}.',
    },
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'sipprot_session' },
        csrf: { type: 'apiKey', in: 'header', name: 'X-CSRF-Token' },
      },
      responses: { Error: { description: 'an error', ...json(ref('Error')) } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { enum: ERROR_CODES }, message: str, details: {} },
            },
          },
        },
        ListEntry: { type: 'object', required: ['network'], properties: { network: str, note: str } },
        Session: {
          type: 'object',
          properties: {
            authenticated: { type: 'boolean' },
            csrfToken: str,
            mustChangePassword: { type: 'boolean' },
            transport: { enum: ['socket', 'tcp'] },
            expiresAt: { type: ['number', 'null'] },
          },
        },
        Settings: {
          type: 'object',
          properties: {
            source: { type: ['string', 'null'] },
            fields: { type: 'array' },
            restartRequired: {},
          },
        },
        GeoStatus: {
          type: 'object',
          properties: {
            source: str,
            date: str,
            v4Ranges: int,
            v6Ranges: int,
            origin: { enum: ['shipped', 'state'] },
            updatedAt: { type: ['number', 'null'] },
            updateUrl: { type: ['string', 'null'] },
          },
        },
      },
    },
    security: [{ session: [], csrf: [] }],
    paths,
  };
}

/** "METHOD /path" for every described operation, with {param} in fastify's :param form. */
export function describedRoutes(): string[] {
  return Object.entries(paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}
