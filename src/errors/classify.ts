import { errors, type ErrorDefinition } from './catalogue.ts'
import { ServiceError } from './service-error.ts'

// Turns anything thrown into the one response shape, `{ code, message }`,
// and says how loudly to log it.

export type Severity = 'info' | 'warn' | 'error' | 'fatal'

export interface ErrorResponse {
  statusCode: number
  body: { code: string, message: string }
  headers: Record<string, string>
  severity: Severity
  /** A bug rather than an expected failure: the process should restart. */
  programmerError: boolean
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

// Errors of these types come from code that is wrong, not from the world
// being difficult (nodebestpractices 2.3).
const PROGRAMMER_ERROR_TYPES = [TypeError, ReferenceError, RangeError, SyntaxError]

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
      programmerError: false,
    }
  }
  const status = statusOf(error)
  if (status !== undefined && status < 500) {
    // Fastify's own 4xx errors (bad JSON, body too large, validation) describe
    // the request, not our internals, so their message is safe to return.
    const definition = DEFINITION_BY_STATUS[status] ?? errors.BAD_REQUEST
    const message = error instanceof Error && error.message !== '' ? error.message : definition.message
    return {
      statusCode: status,
      body: { code: definition.code, message },
      headers: {},
      severity: 'info',
      programmerError: false,
    }
  }
  const programmerError = PROGRAMMER_ERROR_TYPES.some((type) => error instanceof type)
  return {
    statusCode: errors.INTERNAL.statusCode,
    body: { code: errors.INTERNAL.code, message: errors.INTERNAL.message },
    headers: {},
    severity: programmerError ? 'fatal' : 'error',
    programmerError,
  }
}
