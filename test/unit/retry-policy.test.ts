import { describe, expect, it } from 'vitest'
import { backoffDelayMs, isIdempotent, isRetryableStatus, parseRetryAfterMs } from '../../src/outbound/retry-policy.ts'

describe('retry policy', () => {
  it('when the method is GET, HEAD, OPTIONS, PUT or DELETE, then it is idempotent; POST and PATCH are not', () => {
    expect(['GET', 'head', 'OPTIONS', 'PUT', 'DELETE', 'TRACE'].map(isIdempotent)).toStrictEqual([true, true, true, true, true, true])
    expect(['POST', 'PATCH', 'CONNECT'].map(isIdempotent)).toStrictEqual([false, false, false])
  })

  it('when the status is 429, 502, 503 or 504, then it is retryable; no other 4xx or 5xx is', () => {
    const retryable = Array.from({ length: 200 }, (_, i) => 400 + i).filter(isRetryableStatus)
    expect(retryable).toStrictEqual([429, 502, 503, 504])
  })

  it('when backing off, then the wait is random within [0, min(cap, base * 2^retry))', () => {
    const options = { baseMs: 100, capMs: 2_000 }
    expect([0, 1, 2, 3, 4, 5, 10].map((retry) => backoffDelayMs(retry, options, () => 0.999_999))).toStrictEqual([99, 199, 399, 799, 1_599, 1_999, 1_999])
    expect(backoffDelayMs(3, options, () => 0)).toBe(0)
    expect(backoffDelayMs(3, options, () => 0.5)).toBe(400)
  })

  it('when Retry-After is delay-seconds, then it is read as milliseconds', () => {
    expect(parseRetryAfterMs('0')).toBe(0)
    expect(parseRetryAfterMs(' 120 ')).toBe(120_000)
    expect(parseRetryAfterMs(['3', '9'])).toBe(3_000)
  })

  it('when Retry-After is an HTTP-date, then it is the time from now until then, never negative', () => {
    const nowMs = Date.parse('2026-11-28T06:00:00Z')
    expect(parseRetryAfterMs('Sat, 28 Nov 2026 06:00:30 GMT', nowMs)).toBe(30_000)
    expect(parseRetryAfterMs('Sat, 28 Nov 2026 05:00:00 GMT', nowMs)).toBe(0)
  })

  it('when Retry-After is absent or malformed, then there is none and the backoff decides', () => {
    expect([undefined, '', '1.5', '-1', 'soon', '2026-11-28', 'Sat, 28 Nov 2026 06:00:30'].map((value) => parseRetryAfterMs(value)))
      .toStrictEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined])
  })
})
