/**
 * The API's one error shape, `{ error: { code, message, details? } }`: every route answers
 * it on failure, with the status core/errors.ts gives the code.
 */
import { ERROR_CODES } from '../../core/errors.js';
import { type FromSchema, record, type Schema, str } from './schema.js';

export const ApiErrorBody = record({
  error: record(
    { code: { enum: ERROR_CODES }, message: { ...str, description: 'what happened and what to do' } },
    { details: { description: 'machine-readable facts, e.g. the invalid settings or CSV lines' } },
  ),
});

export type ApiErrorBody = FromSchema<typeof ApiErrorBody>;

/** A route's answers: the success status(es) given, the error shape for every other. */
export function answers<const R extends Record<number, Schema>>(success: R) {
  return { ...success, default: ApiErrorBody } as const;
}

/** A success answer that is text of a media type (CSV, the report as text or HTML). */
export function textAnswer<const T extends string>(mediaType: T, description: string) {
  return { description, content: { [mediaType]: { schema: { type: 'string' } } } } as {
    description: string;
    content: { [K in T]: { schema: { type: 'string' } } };
  };
}
