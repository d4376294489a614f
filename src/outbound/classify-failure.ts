import { errors, type ErrorDefinition } from '../errors/catalogue.ts'
import { UpstreamBodyError } from './read-body.ts'
import { isRetryableStatus } from './retry-policy.ts'

// What one failed attempt means: which catalogue error the caller gets if it
// is the last one, whether another attempt may help, and whether it counts
// against the upstream in its circuit breaker.

/** The upstream answered, with a status the client treats as a failure (5xx or 429). */
export class UpstreamStatusError extends Error {
  readonly statusCode: number
  readonly retryAfterMs: number | undefined

  constructor (statusCode: number, retryAfterMs: number | undefined) {
    super(`Upstream answered ${statusCode}`)
    this.name = 'UpstreamStatusError'
    this.statusCode = statusCode
    this.retryAfterMs = retryAfterMs
  }
}

export interface Failure {
  definition: ErrorDefinition
  /** Another attempt may succeed (the method must also be idempotent). */
  retryable: boolean
  /** The upstream said how long to wait (Retry-After). */
  retryAfterMs?: number
  /** Counts towards opening the breaker: the upstream, not we, misbehaved. */
  countsAgainstUpstream: boolean
  /** A short, stable reason for the log: a status or an error code. */
  reason: string
  /** More for the log line, never for the client. */
  details?: Record<string, unknown>
}

/**
 * Network failures worth another attempt: the connection was refused, reset
 * or cut, or a name did not resolve (on Cloud Run, DNS can fail for a moment).
 * Node's errno codes and undici's `UND_ERR_SOCKET` ("other side closed").
 */
const RETRYABLE_CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN',
  'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'UND_ERR_SOCKET',
])

/** undici's own timeouts (connect, headers, body). */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

/** Errors that mean the code calling the client is wrong, not the upstream: rethrown as they are. */
const PROGRAMMER_ERROR_TYPES = [TypeError, ReferenceError, RangeError, SyntaxError]

function codeOf (error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * @param timedOut the attempt's AbortSignal (its timeout or the deadline) fired:
 *   whatever undici threw then, the cause is time.
 * @returns undefined for a programmer error, which the caller rethrows.
 */
export function classifyFailure (error: unknown, { timedOut }: { timedOut: boolean }): Failure | undefined {
  const code = codeOf(error)
  if (code === 'EOPENBREAKER') {
    return { definition: errors.UPSTREAM_CIRCUIT_OPEN, retryable: false, countsAgainstUpstream: false, reason: 'circuit_open' }
  }
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return { definition: errors.UPSTREAM_TIMEOUT, retryable: true, countsAgainstUpstream: true, reason: timedOut ? 'timeout' : code ?? 'timeout' }
  }
  if (error instanceof UpstreamStatusError) {
    const failure: Failure = {
      definition: errors.UPSTREAM_UNAVAILABLE,
      retryable: isRetryableStatus(error.statusCode),
      // 429 is the upstream working as designed and asking us to slow down.
      countsAgainstUpstream: error.statusCode !== 429,
      reason: `status_${error.statusCode}`,
    }
    if (error.retryAfterMs !== undefined) failure.retryAfterMs = error.retryAfterMs
    return failure
  }
  if (error instanceof UpstreamBodyError) {
    // The upstream said 2xx and sent something unusable: its failure, and
    // another attempt would most likely get the same.
    return {
      definition: errors.UPSTREAM_BAD_RESPONSE,
      retryable: false,
      countsAgainstUpstream: true,
      reason: error.reason,
      details: { contentType: error.contentType, bytes: error.bytes },
    }
  }
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') {
    return { definition: errors.UPSTREAM_BAD_RESPONSE, retryable: false, countsAgainstUpstream: false, reason: code }
  }
  if (code !== undefined && RETRYABLE_CONNECTION_CODES.has(code)) {
    return { definition: errors.UPSTREAM_UNAVAILABLE, retryable: true, countsAgainstUpstream: true, reason: code }
  }
  if (PROGRAMMER_ERROR_TYPES.some((type) => error instanceof type) || code === 'UND_ERR_INVALID_ARG') return undefined
  // Anything else on the way (TLS failures, a pool or breaker closed by
  // shutdown): the upstream cannot be reached, and trying again will not help.
  return { definition: errors.UPSTREAM_UNAVAILABLE, retryable: false, countsAgainstUpstream: code !== 'ESHUTDOWN', reason: code ?? 'error' }
}
