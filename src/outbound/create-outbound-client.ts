import { setTimeout as sleep } from 'node:timers/promises'
import type { IncomingHttpHeaders } from 'node:http'
import type { Pool } from 'undici'
import type { FastifyBaseLogger } from 'fastify'
import { ServiceError } from '../errors/service-error.ts'
import { errors } from '../errors/catalogue.ts'
import { createBreaker, type BreakerOptions, type BreakerState } from './circuit-breaker.ts'
import { classifyFailure, UpstreamStatusError, type Failure } from './classify-failure.ts'
import type { IdTokenSource } from './id-token.ts'
import { readBody } from './read-body.ts'
import { backoffDelayMs, isIdempotent, isRetryableStatus, parseRetryAfterMs, type BackoffOptions } from './retry-policy.ts'

// A client for one outbound dependency: its own keep-alive pool (undici), its
// own circuit breaker (opossum), a timeout per attempt, a deadline per call,
// and retries with backoff for idempotent calls that failed in a retryable
// way. Failures come out as ServiceErrors from the catalogue, so the central
// error handler answers 502/503/504 without a line of code in the route.
//
//   deadline ─┬─ token ─┬─ breaker ─ attempt 1 ─┐ backoff ┌─ breaker ─ attempt 2 …
//             │         │  (fails fast when open) └────────┘
//   Retries wrap the breaker, so every attempt counts in its statistics and
//   an open breaker stops the retries too.

export interface OutboundClientOptions {
  /** The dependency's name in logs and breaker events: "upstream", "payments". */
  name: string
  /** Scheme, host and port are the pool's origin; the path and query are the default request path. */
  baseUrl: URL
  attemptTimeoutMs: number
  deadlineMs: number
  retries: number
  /** Most sockets open to the origin, hence most calls in flight; the rest queue. */
  maxConcurrency: number
  breaker: BreakerOptions
  /** Sent as x-api-key. */
  apiKey?: string | undefined
  /** Sends `Authorization: Bearer <ID token>`. */
  idToken?: IdTokenSource | undefined
  logger: FastifyBaseLogger
  backoff?: BackoffOptions
  random?: () => number
}

export interface OutboundRequest {
  method?: string
  /** Path and query on the origin; defaults to baseUrl's. */
  path?: string
  headers?: Record<string, string>
  body?: string
  /** A 2xx must carry JSON (or nothing): any other body fails the call with SVC_UPSTREAM_BAD_RESPONSE and counts against the upstream. */
  json?: boolean
  /** The request's logger, so retry lines carry its trace. */
  log?: FastifyBaseLogger
}

export interface OutboundResponse {
  statusCode: number
  headers: IncomingHttpHeaders
  body: string
}

export interface OutboundClient {
  readonly name: string
  readonly breakerState: BreakerState
  /**
   * Resolves with any answer that is not a failure: 2xx, 3xx, and 4xx other
   * than 429. Rejects with a ServiceError for everything else.
   */
  request: (request?: OutboundRequest) => Promise<OutboundResponse>
  /** Stops the breaker's timers, then waits for calls in flight and closes the sockets. Safe to call twice. */
  close: () => Promise<void>
}

/** First retry waits up to 100 ms, each later one up to twice as long, never over 2 s. */
const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 100, capMs: 2_000 }
/** Responses are read into memory; a larger one is a bad response, not an out-of-memory crash. */
const MAX_RESPONSE_BYTES = 1024 * 1024

interface Attempt {
  method: string
  path: string
  headers: Record<string, string>
  body: string | undefined
  json: boolean
  signal: AbortSignal
}

/**
 * Async only because undici is imported here, when a client is created,
 * rather than at the top: it costs about 100 ms of CPU to load
 * (docs/outbound-calls.md), and a service that configures no dependency
 * should not pay that on cold start.
 */
export async function createOutboundClient (options: OutboundClientOptions): Promise<OutboundClient> {
  const { name, baseUrl, logger, backoff = DEFAULT_BACKOFF, random = Math.random } = options
  const { Pool: UndiciPool } = await import('./undici-pool.ts')
  const pool: Pool = new UndiciPool(baseUrl.origin, { connections: options.maxConcurrency, maxResponseSize: MAX_RESPONSE_BYTES })

  async function attempt ({ method, path, headers, body, json, signal }: Attempt): Promise<OutboundResponse> {
    const response = await pool.request({ method, path, headers, body, signal })
    if (response.statusCode >= 500 || isRetryableStatus(response.statusCode)) {
      // Read and drop the body so the socket can serve the next request.
      await response.body.dump()
      throw new UpstreamStatusError(response.statusCode, parseRetryAfterMs(response.headers['retry-after']))
    }
    return { statusCode: response.statusCode, headers: response.headers, body: await readBody(response, { json }) }
  }

  const breaker = createBreaker(attempt, {
    ...options.breaker,
    dependency: name,
    logger,
    isFailure: (error) => classifyFailure(error, { timedOut: false })?.countsAgainstUpstream ?? false,
  })

  function toServiceError (failure: Failure, cause: unknown, attempts: number): ServiceError {
    const details = { dependency: name, reason: failure.reason, attempts, ...failure.details }
    if (failure.definition === errors.UPSTREAM_CIRCUIT_OPEN) {
      return new ServiceError(failure.definition, {
        message: `Circuit breaker for ${name} is open; no request sent`,
        headers: { 'retry-after': String(breaker.retryAfterSeconds()) },
        details,
      })
    }
    return new ServiceError(failure.definition, { message: `Call to ${name} failed (${failure.reason}) after ${attempts} attempt(s)`, cause, details })
  }

  async function authHeaders (deadline: AbortSignal): Promise<Record<string, string>> {
    const headers: Record<string, string> = {}
    if (options.apiKey !== undefined) headers['x-api-key'] = options.apiKey
    if (options.idToken !== undefined) {
      try {
        headers.authorization = `Bearer ${await withSignal(options.idToken.getToken(), deadline)}`
      } catch (error) {
        const definition = deadline.aborted ? errors.UPSTREAM_TIMEOUT : errors.UPSTREAM_UNAVAILABLE
        throw new ServiceError(definition, { message: `Could not get an ID token to call ${name}`, cause: error, details: { dependency: name, reason: 'id_token' } })
      }
    }
    return headers
  }

  async function request ({ method = 'GET', path, headers = {}, body, json = false, log = logger }: OutboundRequest = {}): Promise<OutboundResponse> {
    const startedAtMs = performance.now()
    const deadline = AbortSignal.timeout(options.deadlineMs)
    const allHeaders = { accept: 'application/json', ...headers, ...await authHeaders(deadline) }
    const maxAttempts = isIdempotent(method) ? options.retries + 1 : 1
    for (let attemptNumber = 1; ; attemptNumber++) {
      const signal = AbortSignal.any([deadline, AbortSignal.timeout(options.attemptTimeoutMs)])
      try {
        return await breaker.fire({ method, path: path ?? `${baseUrl.pathname}${baseUrl.search}`, headers: allHeaders, body, json, signal })
      } catch (error) {
        const failure = classifyFailure(error, { timedOut: signal.aborted })
        if (failure === undefined) throw error
        const remainingMs = options.deadlineMs - (performance.now() - startedAtMs)
        const delayMs = failure.retryAfterMs ?? backoffDelayMs(attemptNumber - 1, backoff, random)
        // Stop when the attempts are used up, when waiting would pass the
        // deadline (Retry-After is honoured only up to it), or when the deadline has passed.
        if (!failure.retryable || attemptNumber >= maxAttempts || deadline.aborted || delayMs >= remainingMs) {
          throw toServiceError(failure, error, attemptNumber)
        }
        log.info({ event: 'outbound_retry', dependency: name, attempt: attemptNumber, reason: failure.reason, delayMs }, `Retrying call to ${name} in ${delayMs} ms`)
        await sleep(delayMs)
      }
    }
  }

  let closing: Promise<void> | undefined
  return {
    name,
    get breakerState () { return breaker.state },
    request,
    close () {
      // Once only: undici throws if a pool is closed twice.
      closing ??= (async () => {
        breaker.shutdown()
        await pool.close()
      })()
      return closing
    },
  }
}

/** Settles like `promise`, or rejects when `signal` aborts first. */
function withSignal<T> (promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    // Handlers first, so `promise` never goes unhandled, whichever settles first.
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
}
