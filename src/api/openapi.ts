/**
 * The OpenAPI 3.1 description served at /api/openapi.json, generated from the routes as
 * registered: their summaries and schemas (params, querystring, body, response), the same
 * objects fastify validates requests with. Nothing here describes a route by hand;
 * ops-routes.test.ts checks that every route the router knows is in the document and
 * that every operation in it is routed. The shared records become components ($ref).
 */
import { ApiErrorBody } from './wire/errors.js';
import { GeoStatus } from './wire/ops.js';
import {
  AttackRecord,
  ChangeResult,
  CheckResult,
  Decision,
  DynamicBlock,
  ImportResult,
  ListEntry,
  Recipient,
  RemoveResult,
  StatusReport,
} from './wire/records.js';
import type { Schema } from './wire/schema.js';
import { SessionInfo } from './wire/session.js';
import { SettingField, SettingsResponse } from './wire/settings.js';

type Json = Record<string, unknown>;

/** A registered route as fastify's onRoute hook sees it. */
export interface RouteSpec {
  method: string;
  url: string;
  schema?: Json;
}

/** Records that appear in several answers: described once under components.schemas. */
const NAMED: Record<string, Schema> = {
  Error: ApiErrorBody,
  ListEntry,
  ChangeResult,
  RemoveResult,
  ImportResult,
  DynamicBlock,
  CheckResult,
  StatusReport,
  Decision,
  AttackRecord,
  Recipient,
  GeoStatus,
  Session: SessionInfo,
  SettingField,
  Settings: SettingsResponse,
};
const NAME_OF = new Map<unknown, string>(Object.entries(NAMED).map(([name, s]) => [s, name]));

/** A copy of a schema with the named records replaced by references. */
function described(schema: unknown, top = false): unknown {
  if (!top && NAME_OF.has(schema)) return { $ref: `#/components/schemas/${NAME_OF.get(schema)}` };
  if (Array.isArray(schema)) return schema.map((s) => described(s, false));
  if (!schema || typeof schema !== 'object') return schema;
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, described(v, false)]));
}

const ERROR_REF = { $ref: '#/components/responses/Error' };

function parameters(schema: Json): Json[] {
  const part = (where: 'path' | 'query', s: unknown): Json[] => {
    const obj = (s ?? {}) as { properties?: Record<string, Json>; required?: string[] };
    return Object.entries(obj.properties ?? {}).map(([name, p]) => ({
      name,
      in: where,
      required: where === 'path' || (obj.required ?? []).includes(name),
      ...(typeof p.description === 'string' ? { description: p.description } : {}),
      schema: described(p),
    }));
  };
  return [...part('path', schema.params), ...part('query', schema.querystring)];
}

function requestBody(body: Json): Json {
  const content = body.content
    ? Object.fromEntries(
        Object.entries(body.content as Record<string, { schema: unknown }>).map(([type, c]) => [
          type,
          { schema: described(c.schema) },
        ]),
      )
    : { 'application/json': { schema: described(body) } };
  const optional = Array.isArray(body.type) && body.type.includes('null');
  return { required: !optional, content };
}

function responses(response: Record<string, Json>): Json {
  const out: Json = {};
  for (const [status, r] of Object.entries(response)) {
    if (status === 'default') out.default = ERROR_REF;
    else if (r.content) {
      const content = r.content as Record<string, { schema: unknown }>;
      out[status] = {
        description: r.description ?? 'ok',
        content: Object.fromEntries(
          Object.entries(content).map(([type, c]) => [type, { schema: described(c.schema) }]),
        ),
      };
    } else {
      const description = typeof r.description === 'string' ? r.description : 'ok';
      out[status] = { description, content: { 'application/json': { schema: described(r) } } };
    }
  }
  return out;
}

function operation(r: RouteSpec, isPublic: boolean): Json {
  const s = r.schema ?? {};
  const params = parameters(s);
  return {
    summary: s.summary ?? '',
    ...(isPublic ? { security: [] } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(s.body ? { requestBody: requestBody(s.body as Json) } : {}),
    responses: responses((s.response ?? {}) as Record<string, Json>),
  };
}

/** `/api/lists/:list/import` → `/api/lists/{list}/import`. */
const openApiPath = (url: string) => url.replace(/:(\w+)/g, '{$1}');

export function openApiDocument(routes: readonly RouteSpec[], isPublic: (r: RouteSpec) => boolean): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of routes) {
    if (!r.url.startsWith('/api/') || r.method === 'HEAD') continue;
    const path = openApiPath(r.url);
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = operation(r, isPublic(r));
  }
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
      responses: {
        Error: {
          description: 'an error: the status and code come from the catalog (core/errors.ts)',
          content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
        },
      },
      schemas: Object.fromEntries(Object.entries(NAMED).map(([name, s]) => [name, described(s, true)])),
    },
    security: [{ session: [], csrf: [] }],
    paths,
  };
}
