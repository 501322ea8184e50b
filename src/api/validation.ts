/**
 * Fastify validates every request with the route's schemas (./wire/), and a value that
 * fails answers in our error shape with the message the handlers used to write by hand:
 * "body.entries must be an array of {network, note}", "limit must be an integer 1-1000".
 * The message names where the value sits and what it must be: the nearest `x-expects` on
 * the schema path, else words made from the schema (enum, integer range, type). A path
 * parameter outside its schema names no resource: 404 SP_ERR_NOT_FOUND.
 *
 * One Ajv per part, because the parts differ (fastify's default coerces everything):
 * - body: JSON as sent; a 1 where text belongs is an error, nothing is added or removed.
 * - querystring: text by nature; "50" becomes 50 for an integer, an empty value counts as
 *   absent (`?limit=` means the default, as before), absent values take the default.
 * Answers are serialised with JSON.stringify whatever their schema says: the response
 * schemas document and type the answers (a test checks answers against them); they do
 * not silently drop a field the schema forgot.
 */
import { Ajv, type ErrorObject, type Options } from 'ajv';
import type { FastifyInstance, FastifyTypeProvider } from 'fastify';
import { SipprotError } from '../core/errors.js';
import type { FromSchema, Schema } from './wire/schema.js';

/** Keywords our schemas carry for people: error wording and the OpenAPI document. */
const ANNOTATIONS = ['x-expects', 'x-events'];

type Part = 'body' | 'querystring' | 'params' | 'headers';

export function newAjv(opts: Options): Ajv {
  return new Ajv({ strict: true, allowUnionTypes: true, allErrors: false, keywords: ANNOTATIONS, ...opts });
}

const AJV: Record<Part, Ajv> = {
  body: newAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false }),
  querystring: newAjv({ coerceTypes: true, useDefaults: true, removeAdditional: false }),
  params: newAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false }),
  headers: newAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false }),
};

/** The fastify type provider: request and reply types come from the route's schemas. */
export interface WireTypes extends FastifyTypeProvider {
  validator: this['schema'] extends { content: infer C } ? ContentTypes<C> : FromSchema<this['schema']>;
  serializer: FromSchema<this['schema']>;
}
type ContentTypes<C> = { [K in keyof C]: C[K] extends { schema: infer S } ? FromSchema<S> : never }[keyof C];

export function installValidation(app: FastifyInstance): void {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const part = (httpPart ?? 'body') as Part;
    const validate = AJV[part].compile(schema);
    return (data: unknown) => {
      if (part === 'querystring') dropEmpty(data, schema as Schema);
      if (validate(data)) return true;
      return { error: requestError(part, schema as Schema, validate.errors![0]!, data) };
    };
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
}

/** `?limit=` means "not given" for anything but text. */
function dropEmpty(data: unknown, schema: Schema): void {
  if (!data || typeof data !== 'object') return;
  const props = (schema.properties ?? {}) as Record<string, Schema>;
  const q = data as Record<string, unknown>;
  for (const [k, v] of Object.entries(q)) if (v === '' && props[k]?.type !== 'string') delete q[k];
}

interface Step {
  schema: Schema;
  /** Where in the data: property names and array indexes. */
  path: Array<string | number>;
}

const pointerToken = (s: string) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~');

/** The schemas on the way from the root to the failing keyword, each with its data path. */
function stepsTo(root: Schema, e: ErrorObject): Step[] {
  const tokens = e.schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean).map(pointerToken);
  const data = e.instancePath.split('/').slice(1).map(pointerToken);
  const steps: Step[] = [{ schema: root, path: [] }];
  for (let i = 0; i < tokens.length - 1; i++) {
    const here = steps.at(-1)!;
    const t = tokens[i]!;
    let next: unknown;
    let path = here.path;
    if (t === 'properties') {
      const name = tokens[++i]!;
      next = (here.schema.properties as Record<string, unknown> | undefined)?.[name];
      path = [...path, name];
    } else if (t === 'items' || t === 'additionalProperties') {
      next = here.schema[t];
      const key = data[path.length] ?? '';
      path = [...path, /^\d+$/.test(key) && t === 'items' ? Number(key) : key];
    } else if (t === 'anyOf' || t === 'oneOf' || t === 'allOf') {
      next = (here.schema[t] as unknown[] | undefined)?.[Number(tokens[++i])];
    } else break;
    if (!next || typeof next !== 'object') break;
    steps.push({ schema: next as Schema, path });
  }
  const missing =
    e.keyword === 'required' ? (e.params as { missingProperty?: string }).missingProperty : null;
  const last = steps.at(-1)!;
  const child = missing ? (last.schema.properties as Record<string, Schema> | undefined)?.[missing] : null;
  if (missing && child) steps.push({ schema: child, path: [...last.path, missing] });
  return steps;
}

/** What a schema accepts, in words: "one of 24h, 7d, 30d", "an integer 1-1000". */
export function expects(s: Schema): string {
  if (typeof s['x-expects'] === 'string') return s['x-expects'];
  if (Array.isArray(s.enum)) return `one of ${s.enum.join(', ')}`;
  if ('const' in s) return JSON.stringify(s.const);
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map(expects).join(' or ');
  const range = typeof s.minimum === 'number' && typeof s.maximum === 'number';
  switch (s.type) {
    case 'integer':
      return range ? `an integer ${s.minimum}-${s.maximum}` : 'an integer';
    case 'number':
      return range ? `a number ${s.minimum}-${s.maximum}` : 'a number';
    case 'string':
      return 'text';
    case 'boolean':
      return 'true or false';
    case 'array':
      return 'an array';
    case 'object':
      return 'an object';
    default:
      return 'valid';
  }
}

function where(part: Part, path: Array<string | number>): string {
  const head = part === 'body' ? 'body' : '';
  return path.reduce<string>((s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${p}` : p), head);
}

function requestError(part: Part, root: Schema, e: ErrorObject, data: unknown): SipprotError {
  const steps = stepsTo(root, e);
  const named = [...steps].reverse().find((s) => typeof s.schema['x-expects'] === 'string');
  const at = named ?? steps.at(-1)!;
  if (part === 'params') {
    const name = String(at.path[0] ?? '');
    const value = (data as Record<string, unknown> | null)?.[name];
    return new SipprotError('SP_ERR_NOT_FOUND', `no ${name} "${String(value)}": use ${expects(at.schema)}`);
  }
  return new SipprotError('SP_ERR_USAGE', `${where(part, at.path) || part} must be ${expects(at.schema)}`);
}
