// When to try an outbound call again, and how long to wait first. Pure
// functions: the client in create-outbound-client.ts applies them, and
// Secret Manager's retries at boot wait by the same backoff
// (src/secrets/secret-manager.ts).

/**
 * Methods that RFC 9110 §9.2.2 defines as idempotent: sending one twice has
 * the same effect as sending it once, so a retry cannot do harm upstream.
 */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE'])

/**
 * 502, 503 and 504 say a proxy or the upstream could not serve this time;
 * 429 says "later". Every other 4xx describes our request, which a retry
 * would only repeat; 500 and the rest of 5xx are treated as final answers.
 */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504])

export function isIdempotent (method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase())
}

export function isRetryableStatus (statusCode: number): boolean {
  return RETRYABLE_STATUSES.has(statusCode)
}

/** "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7). */
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/

export interface BackoffOptions {
  /** Upper bound of the first wait. */
  baseMs: number
  /** No wait is longer than this, however many attempts came before. */
  capMs: number
}

/**
 * Exponential backoff with full jitter: a uniformly random wait between 0
 * and min(cap, base * 2^retry). Spreading retries over the whole interval
 * keeps many clients that failed together from retrying together.
 * (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015.)
 *
 * @param retry 0 before the first retry, 1 before the second, …
 * @param random a number in [0, 1); Math.random in production.
 */
export function backoffDelayMs (retry: number, { baseMs, capMs }: BackoffOptions, random: () => number = Math.random): number {
  const ceilingMs = Math.min(capMs, baseMs * 2 ** retry)
  return Math.floor(random() * ceilingMs)
}

/**
 * Reads a Retry-After header (RFC 9110 §10.2.3): either delay-seconds or an
 * HTTP-date. Returns the wait in milliseconds, or undefined when the header
 * is absent or not understood (the caller falls back to its backoff).
 */
export function parseRetryAfterMs (value: string | string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const header = Array.isArray(value) ? value[0] : value
  if (header === undefined) return undefined
  const trimmed = header.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1_000
  // Only the IMF-fixdate form that RFC 9110 requires senders to use:
  // Date.parse alone would read "1.5" as a date in 2001.
  if (!IMF_FIXDATE.test(trimmed)) return undefined
  const dateMs = Date.parse(trimmed)
  if (Number.isNaN(dateMs)) return undefined
  return Math.max(0, dateMs - nowMs)
}
