import type { ServerResponse } from 'node:http'
import type { ErrorDefinition } from '../errors/catalogue.ts'
import type { SecurityHeaders } from './security-headers.ts'

// Responses written outside Fastify, for requests it never sees (a missing or
// invalid Host, a request the HTTP parser rejects, a timeout), look like the
// rest: `{ code, message }`, the security headers, no-store. The connection
// is closed after them: what follows on it cannot be trusted.

export function errorBody (definition: ErrorDefinition): string {
  return JSON.stringify({ code: definition.code, message: definition.message })
}

export function errorHeaders (securityHeaders: SecurityHeaders, body: string): Record<string, string> {
  return {
    ...securityHeaders,
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    connection: 'close',
  }
}

/** Answers a request that must not reach the app. */
export function rejectRequest (response: ServerResponse, definition: ErrorDefinition, securityHeaders: SecurityHeaders): void {
  const body = errorBody(definition)
  response.writeHead(definition.statusCode, errorHeaders(securityHeaders, body)).end(body)
}
