import { errors, type ErrorDefinition } from './catalogue.ts'
import { ServiceError } from './service-error.ts'

// Turns anything thrown into the one response shape, `{ code, message }`,
// and says how loudly to log it.

export type Severity = 'info' | 'warn' | 'error'

export interface ErrorResponse {
  statusCode: number
  body: { code: string, message: string }
  headers: Record<string, string>
  /**
   * info: the client's mistake. warn: an expected failure (an upstream down).
   * error: something unexpected, a bug included: Error Reporting groups it by
   * its stack. None of them ends the process (nodebestpractices 2.3): one
   * poison request must never be able to restart every instance in turn.
   */
  severity: Severity
}

const DEFINITION_BY_STATUS: Readonly<Record<number, ErrorDefinition>> = {
  400: errors.BAD_REQUEST,
  404: errors.ROUTE_NOT_FOUND,
  405: errors.METHOD_NOT_ALLOWED,
  408: errors.REQUEST_TIMEOUT,
  413: errors.PAYLOAD_TOO_LARGE,
  415: errors.UNSUPPORTED_MEDIA_TYPE,
  431: errors.HEADERS_TOO_LARGE,
}

function statusOf (error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : undefined
}

export function toErrorResponse (error: unknown): ErrorResponse {
  if (error instanceof ServiceError) {
    return {
      statusCode: error.statusCode,
      body: { code: error.code, message: error.clientMessage },
      headers: error.headers,
      severity: error.statusCode >= 500 ? 'warn' : 'info',
    }
  }
  const status = statusOf(error)
  if (status !== undefined && status < 500) {
    // Fastify's own 4xx errors (bad JSON, body too large, validation) describe
    // the request, not our internals, so their message is safe to return.
    const definition = DEFINITION_BY_STATUS[status] ?? errors.BAD_REQUEST
    const message = error instanceof Error && error.message !== '' ? error.message : definition.message
    return { statusCode: status, body: { code: definition.code, message }, headers: {}, severity: 'info' }
  }
  return {
    statusCode: errors.INTERNAL.statusCode,
    body: { code: errors.INTERNAL.code, message: errors.INTERNAL.message },
    headers: {},
    severity: 'error',
  }
}
