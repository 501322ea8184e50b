/**
 * Holds every JSON answer a test provokes to its route's response schema, strictly (no
 * coercion, no extra property where the schema closes an object): the schemas are the
 * contract the OpenAPI document and the UI's types come from, so an answer that strays
 * from them fails the test that provoked it, not a browser later.
 */
import type { FastifyInstance } from 'fastify';
import { newAjv } from './validation.js';

type Json = Record<string, unknown>;

const ajv = newAjv({ coerceTypes: false, useDefaults: false, removeAdditional: false });
const compiled = new WeakMap<object, ReturnType<typeof ajv.compile>>();

function schemaFor(response: Json | undefined, status: number, mediaType: string): Json | null {
  if (!response) return null;
  const r = (response[String(status)] ?? response[`${String(status)[0]}xx`] ?? response.default) as
    | Json
    | undefined;
  if (!r) return null;
  if (!r.content) return r;
  return ((r.content as Record<string, { schema: Json }>)[mediaType]?.schema ?? null) as Json | null;
}

/** Adds the check to `app` (before it is ready); returns the violations found so far. */
export function checkAnswers(app: FastifyInstance): string[] {
  const violations: string[] = [];
  app.addHook('preSerialization', async (req, reply, payload) => {
    const type = String(reply.getHeader('content-type') ?? 'application/json').split(';')[0]!;
    const response = req.routeOptions.schema?.response as Json | undefined;
    const schema = schemaFor(response, reply.statusCode, type);
    const route = `${req.method} ${req.routeOptions.url ?? req.url} → ${reply.statusCode}`;
    if (!schema) {
      if (req.routeOptions.url) violations.push(`${route}: no response schema`);
      return payload;
    }
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(schema);
      compiled.set(schema, validate);
    }
    if (!validate(JSON.parse(JSON.stringify(payload)))) {
      violations.push(`${route}: ${ajv.errorsText(validate.errors)}`);
    }
    return payload;
  });
  return violations;
}
