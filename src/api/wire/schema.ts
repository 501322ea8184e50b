/**
 * JSON Schema → TypeScript for the subset the API's route schemas use, so one `as const`
 * schema gives fastify its validator, the OpenAPI document its description and the server
 * and the UI their types. Types only: the UI imports this file's types without a byte of
 * code. Why our own ~40 lines rather than json-schema-to-ts: the schemas use eight keywords
 * (type, properties, required, additionalProperties, items, enum, const, anyOf), and a
 * helper this small type-checks in milliseconds where the general one is known to slow the
 * checker on deep schemas; a keyword outside the subset turns into `unknown`, never `any`.
 *
 * Annotation `x-expects`: what a request value must be, in words, for the error message
 * ("body.entries must be an array of {network, note}"); the OpenAPI document shows it too.
 */

/** A schema as the route files write them (checked loosely: Ajv compiles them strictly). */
export type Schema = { readonly [keyword: string]: unknown };

type Simplify<T> = { [K in keyof T]: T[K] } & {};

type RequiredKeys<S> = S extends { readonly required: readonly (infer R)[] } ? R : never;

/** Index signature for `additionalProperties`: absent or true → open, false → none. */
type Rest<S> = S extends { readonly additionalProperties: infer A }
  ? A extends false
    ? unknown
    : A extends true
      ? Record<string, unknown>
      : Record<string, FromSchema<A>>
  : unknown;

type FromObject<S> = S extends { readonly properties: infer P }
  ? Simplify<
      {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? K : never]: FromSchema<P[K]>;
      } & {
        -readonly [K in keyof P as K extends RequiredKeys<S> ? never : K]?: FromSchema<P[K]>;
      }
    >
  : S extends { readonly additionalProperties: false }
    ? Record<string, never>
    : Rest<S> extends Record<string, unknown>
      ? Rest<S>
      : Record<string, unknown>;

type FromArray<S> = S extends { readonly items: infer I } ? FromSchema<I>[] : unknown[];

type FromType<T, S> = T extends 'string'
  ? string
  : T extends 'number' | 'integer'
    ? number
    : T extends 'boolean'
      ? boolean
      : T extends 'null'
        ? null
        : T extends 'array'
          ? FromArray<S>
          : T extends 'object'
            ? FromObject<S>
            : never;

/** The TypeScript type of the values a schema accepts. */
export type FromSchema<S> = S extends { readonly const: infer C }
  ? C
  : S extends { readonly enum: readonly (infer E)[] }
    ? E
    : S extends { readonly anyOf: readonly (infer A)[] }
      ? FromSchema<A>
      : S extends { readonly type: readonly (infer T)[] }
        ? FromType<T, S>
        : S extends { readonly type: infer T }
          ? FromType<T, S>
          : unknown;

/** True when A and B accept the same values (used to tie wire types to port types). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// Builders: `as const` objects with the literal types FromSchema reads.
type Props = Record<string, Schema>;

export const str = { type: 'string' } as const;
export const int = { type: 'integer' } as const;
export const num = { type: 'number' } as const;
export const bool = { type: 'boolean' } as const;

export function nullable<const S extends Schema>(schema: S) {
  return { anyOf: [schema, { type: 'null' }] } as const;
}

export function arrayOf<const S extends Schema>(items: S) {
  return { type: 'array', items } as const;
}

export function oneOf<const V extends readonly (string | number | boolean)[]>(...values: V) {
  return { enum: values } as const;
}

/**
 * An object as the server sends it: every property in `required` present, the ones in
 * `optional` may be left out, nothing else (a test checks answers against this).
 */
export function record<const P extends Props, const O extends Props = Record<never, Schema>>(
  required: P,
  optional?: O,
) {
  return {
    type: 'object',
    properties: { ...required, ...optional } as P & O,
    required: Object.keys(required) as (keyof P & string)[],
    additionalProperties: false,
  } as const;
}
