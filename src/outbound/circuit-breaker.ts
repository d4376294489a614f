import CircuitBreaker from 'opossum'
import type { FastifyBaseLogger } from 'fastify'

// One opossum breaker per dependency, with its state changes logged as
// structured events that log-based alert metrics can match:
//   { event: "breaker_state_change", dependency: "<name>", state: "open" | "half_open" | "closed" }
// WARNING on open, INFO on half-open and close.

export type BreakerState = 'closed' | 'open' | 'half_open'

export interface BreakerOptions {
  errorThresholdPercentage: number
  volumeThreshold: number
  resetTimeoutMs: number
}

export interface Breaker<A extends unknown[], R> {
  /** Runs the action, or rejects at once with code EOPENBREAKER while open. */
  fire: (...args: A) => Promise<R>
  readonly state: BreakerState
  /** Whole seconds until an open breaker lets a probe through; at least 1. */
  retryAfterSeconds: () => number
  /** Stops opossum's timers; later calls reject with code ESHUTDOWN. */
  shutdown: () => void
}

export interface CreateBreakerOptions extends BreakerOptions {
  dependency: string
  logger: FastifyBaseLogger
  /** Whether an error counts against the upstream. Errors that do not still reject. */
  isFailure: (error: unknown) => boolean
  now?: () => number
}

/** opossum's window for the error percentage and volume threshold (its default: 10 buckets of 1 s). */
const ROLLING_COUNT_TIMEOUT_MS = 10_000

export function createBreaker<A extends unknown[], R> (
  action: (...args: A) => Promise<R>,
  { dependency, logger, isFailure, errorThresholdPercentage, volumeThreshold, resetTimeoutMs, now = Date.now }: CreateBreakerOptions
): Breaker<A, R> {
  const breaker = new CircuitBreaker<A, R>(action, {
    name: dependency,
    errorThresholdPercentage,
    volumeThreshold,
    resetTimeout: resetTimeoutMs,
    rollingCountTimeout: ROLLING_COUNT_TIMEOUT_MS,
    // The client bounds each attempt itself, with an AbortSignal that also
    // cancels the request; opossum's timeout (10 s by default) would only
    // stop waiting and leave the request running.
    timeout: false,
    // Percentiles cost a sort per bucket and nothing here reads them.
    rollingPercentilesEnabled: false,
    errorFilter: (error: unknown) => !isFailure(error),
  })

  let openedAtMs = 0
  const event = 'breaker_state_change'
  breaker.on('open', () => {
    openedAtMs = now()
    logger.warn({ event, dependency, state: 'open', resetTimeoutMs }, `Circuit breaker for ${dependency} opened; failing fast for ${resetTimeoutMs} ms`)
  })
  breaker.on('halfOpen', () => {
    logger.info({ event, dependency, state: 'half_open' }, `Circuit breaker for ${dependency} half-open; letting one probe call through`)
  })
  breaker.on('close', () => {
    logger.info({ event, dependency, state: 'closed' }, `Circuit breaker for ${dependency} closed`)
  })

  return {
    fire: (...args) => breaker.fire(...args),
    get state () {
      if (breaker.opened) return 'open'
      return breaker.halfOpen ? 'half_open' : 'closed'
    },
    retryAfterSeconds () {
      const remainingMs = openedAtMs + resetTimeoutMs - now()
      return Math.max(1, Math.ceil(remainingMs / 1_000))
    },
    shutdown: () => breaker.shutdown(),
  }
}
