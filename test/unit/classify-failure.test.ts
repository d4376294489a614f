import { describe, expect, it } from 'vitest'
import { classifyFailure, UpstreamStatusError } from '../../src/outbound/classify-failure.ts'

// An unknown host cannot be tried for real here: resolving a name may send a
// DNS query off this machine, and the loopback guard refuses the connection
// before DNS anyway. So the mapping is checked on the error Node's resolver
// raises, with the same code and shape.
function nodeError (code: string, message: string): Error {
  return Object.assign(new Error(message), { code, syscall: 'getaddrinfo', errno: -3008, hostname: 'orders.invalid' })
}

describe('classifying a failed outbound attempt', () => {
  it('when the host is unknown (ENOTFOUND), then it is a retryable SVC_UPSTREAM_UNAVAILABLE (502) that counts against the upstream', () => {
    expect(classifyFailure(nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND orders.invalid'), { timedOut: false })).toStrictEqual({
      definition: { code: 'SVC_UPSTREAM_UNAVAILABLE', statusCode: 502, message: 'An upstream service is unavailable' },
      retryable: true,
      countsAgainstUpstream: true,
      reason: 'ENOTFOUND',
    })
  })

  it('when the attempt\'s signal fired, then it is a timeout (504), whatever undici threw', () => {
    const failure = classifyFailure(new DOMException('The operation was aborted due to timeout', 'TimeoutError'), { timedOut: true })
    expect(failure).toMatchObject({ definition: { code: 'SVC_UPSTREAM_TIMEOUT', statusCode: 504 }, retryable: true, countsAgainstUpstream: true })
  })

  it('when the upstream answered 429, then it is retryable, keeps Retry-After, and does not count against the upstream', () => {
    expect(classifyFailure(new UpstreamStatusError(429, 2_000), { timedOut: false })).toMatchObject({
      definition: { code: 'SVC_UPSTREAM_UNAVAILABLE' }, retryable: true, retryAfterMs: 2_000, countsAgainstUpstream: false, reason: 'status_429',
    })
  })

  it('when the upstream answered 500, then it counts against the upstream but is not retried', () => {
    expect(classifyFailure(new UpstreamStatusError(500, undefined), { timedOut: false })).toMatchObject({ retryable: false, countsAgainstUpstream: true })
  })

  it('when the breaker refused the call, then it is SVC_UPSTREAM_CIRCUIT_OPEN (503), not retried', () => {
    const open = Object.assign(new Error('Breaker is open'), { code: 'EOPENBREAKER' })
    expect(classifyFailure(open, { timedOut: false })).toMatchObject({ definition: { code: 'SVC_UPSTREAM_CIRCUIT_OPEN', statusCode: 503 }, retryable: false })
  })

  it('when the caller\'s code is wrong (a TypeError, an invalid undici argument), then it is not classified, so it surfaces as a bug', () => {
    expect(classifyFailure(new TypeError('x is not a function'), { timedOut: false })).toBeUndefined()
    expect(classifyFailure(Object.assign(new Error('invalid method'), { code: 'UND_ERR_INVALID_ARG' }), { timedOut: false })).toBeUndefined()
  })
})
