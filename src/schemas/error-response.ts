import * as Type from 'typebox'
import { errors, type ErrorDefinition } from '../errors/catalogue.ts'

// The one shape of every error response, `{ code, message }`, as a schema,
// and the response objects that `npm run openapi` (scripts/openapi/) makes
// from it for the errors each route declares. The OpenAPI document publishes
// it as components.schemas.ErrorResponse, its `code` an enum of the
// catalogue's codes for consumers to switch on.
//
// A route lists the catalogue errors it can answer with in its schema's
// `errorResponses`, not under `response`: Fastify compiles a
// fast-json-stringify serialiser at boot for every status under `response`
// of every route, HEAD routes included, which would make every route's error
// statuses a boot cost (docs/openapi.md has the numbers), for bodies that the
// error handler sends and JSON.stringify serialises. Fastify ignores the key;
// only the document generator reads it. Nothing in the production bundle
// imports this file.

declare module 'fastify' {
  interface FastifySchema {
    /**
     * The catalogue errors this route answers with, besides those answered
     * before any handler runs (400, 404, 405, 408, 413, 415, 431), which
     * `npm run openapi` adds itself: for the OpenAPI document, which the
     * contract tests hold to what the server sends.
     */
    errorResponses?: readonly ErrorDefinition[]
  }
}

/** Boot failures: logged with these codes, never sent over HTTP (src/server.ts exits before listening). */
const BOOT_ONLY: readonly ErrorDefinition[] = [errors.CONFIG_INVALID, errors.SECRET_UNRESOLVED]
const SENT_CODES = Object.values(errors).filter((definition) => !BOOT_ONLY.includes(definition)).map(({ code }) => code)

export const ERROR_RESPONSE_ID = 'ErrorResponse'

export const ErrorResponse = Type.Object({
  code: Type.Enum(SENT_CODES, {
    type: 'string',
    description: 'Stable: match on it. The catalogue, src/errors/catalogue.ts, says what each code means.',
  }),
  message: Type.String({ description: 'For people: it may change, so never match on it. A 5xx message says nothing about internals.' }),
}, { $id: ERROR_RESPONSE_ID, additionalProperties: false, description: 'The body of every error response. Each response narrows `code` to the codes it can carry.' })

/** Delay-seconds (RFC 9110 §10.2.3): Retry-After is never a date here. */
const RetryAfter = Type.String({ pattern: '^[0-9]+$', description: 'Seconds to wait before trying again.' })

/**
 * Headers that come with a code wherever it is answered, and who sets them.
 * Every error response also says `Cache-Control: no-store` (error-handler.ts).
 */
const HEADERS_BY_CODE: Readonly<Record<string, Record<string, Type.TSchema>>> = {
  // src/plugins/app/load-shedding.ts
  [errors.OVERLOADED.code]: { 'Retry-After': RetryAfter },
  // src/outbound/create-outbound-client.ts: until the breaker lets a probe call through.
  [errors.UPSTREAM_CIRCUIT_OPEN.code]: { 'Retry-After': RetryAfter },
  // src/plugins/app/error-handler.ts
  [errors.METHOD_NOT_ALLOWED.code]: { Allow: Type.String({ pattern: '^[A-Z]+(, [A-Z]+)*$', description: 'The methods the path serves.' }) },
}
const CacheControl = Type.Literal('no-store', { description: 'Errors are never cached.' })

/** One error status as the document generator reads it: ErrorResponse with `code` narrowed, and the headers. */
export interface ErrorStatusResponse {
  description: string
  /** Each property a header; `required` lists those always sent. */
  headers: Type.TObject
  allOf: [{ $ref: string }, { type: 'object', properties: { code: { enum: string[] } } }]
}

/**
 * Response schemas for `definitions`, one per status: each lists its codes
 * in its description, narrows `code` to them, and declares the headers that
 * come with them (required when every code of the status sends it).
 */
export function errorResponses (definitions: readonly ErrorDefinition[]): Record<number, ErrorStatusResponse> {
  const responses: Record<number, ErrorStatusResponse> = {}
  for (const [status, sameStatus] of Map.groupBy(definitions, (definition) => definition.statusCode)) {
    const codes = sameStatus.map((definition) => definition.code)
    const headers: Record<string, Type.TSchema> = { 'Cache-Control': CacheControl }
    for (const code of codes) {
      for (const [name, schema] of Object.entries(HEADERS_BY_CODE[code] ?? {})) {
        headers[name] = codes.every((other) => HEADERS_BY_CODE[other]?.[name] !== undefined) ? schema : Type.Optional(schema)
      }
    }
    responses[status] = {
      description: sameStatus.map((definition) => `${definition.code}: ${definition.message}.`).join(' '),
      headers: Type.Object(headers),
      allOf: [{ $ref: `${ERROR_RESPONSE_ID}#` }, { type: 'object', properties: { code: { enum: codes } } }],
    }
  }
  return responses
}
