// Every error the service can raise, with a stable code. Clients and alerts
// match on `code`, never on message text. `message` is the default text a
// client sees; for 5xx it must say nothing about internals.

export interface ErrorDefinition {
  readonly code: string
  readonly statusCode: number
  readonly message: string
}

function define<const T extends Record<string, ErrorDefinition>> (definitions: T): T {
  return Object.freeze(definitions)
}

export const errors = define({
  // Requests the service cannot route.
  ROUTE_NOT_FOUND: { code: 'SVC_ROUTE_NOT_FOUND', statusCode: 404, message: 'Route not found' },
  METHOD_NOT_ALLOWED: { code: 'SVC_METHOD_NOT_ALLOWED', statusCode: 405, message: 'Method not allowed' },
  // Requests the service cannot read.
  BAD_REQUEST: { code: 'SVC_BAD_REQUEST', statusCode: 400, message: 'Bad request' },
  PAYLOAD_TOO_LARGE: { code: 'SVC_PAYLOAD_TOO_LARGE', statusCode: 413, message: 'Request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { code: 'SVC_UNSUPPORTED_MEDIA_TYPE', statusCode: 415, message: 'Unsupported Content-Type' },
  REQUEST_TIMEOUT: { code: 'SVC_REQUEST_TIMEOUT', statusCode: 408, message: 'The request took too long to arrive' },
  HEADERS_TOO_LARGE: { code: 'SVC_HEADERS_TOO_LARGE', statusCode: 431, message: 'Request line or headers are too large' },
  // The instance cannot take the request right now; Retry-After says when to try again.
  OVERLOADED: { code: 'SVC_OVERLOADED', statusCode: 503, message: 'The instance is overloaded, retry later' },
  NOT_READY: { code: 'SVC_NOT_READY', statusCode: 503, message: 'The instance is not ready' },
  // An outbound dependency failed (src/outbound/). `details.dependency` in the log names it; the client learns nothing more.
  UPSTREAM_UNAVAILABLE: { code: 'SVC_UPSTREAM_UNAVAILABLE', statusCode: 502, message: 'An upstream service is unavailable' },
  UPSTREAM_BAD_RESPONSE: { code: 'SVC_UPSTREAM_BAD_RESPONSE', statusCode: 502, message: 'An upstream service gave an unusable response' },
  UPSTREAM_TIMEOUT: { code: 'SVC_UPSTREAM_TIMEOUT', statusCode: 504, message: 'An upstream service did not answer in time' },
  UPSTREAM_CIRCUIT_OPEN: { code: 'SVC_UPSTREAM_CIRCUIT_OPEN', statusCode: 503, message: 'An upstream service is failing; retry later' },
  UPSTREAM_NOT_CONFIGURED: { code: 'SVC_UPSTREAM_NOT_CONFIGURED', statusCode: 503, message: 'No upstream service is configured' },
  // Anything unexpected. The log has the details; the client gets nothing more.
  INTERNAL: { code: 'SVC_INTERNAL', statusCode: 500, message: 'Internal server error' },
  // Boot failures: never sent over HTTP, but logged with the same codes.
  CONFIG_INVALID: { code: 'SVC_CONFIG_INVALID', statusCode: 500, message: 'Invalid configuration' },
  SECRET_UNRESOLVED: { code: 'SVC_SECRET_UNRESOLVED', statusCode: 500, message: 'A secret could not be resolved' },
})
