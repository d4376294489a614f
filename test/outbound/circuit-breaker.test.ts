import { describe, expect, it } from 'vitest'
import type { FastifyInstance } from 'fastify'
import { buildTestApp } from '../helpers/test-app.ts'
import type { CapturedLogs } from '../helpers/capture-logs.ts'
import { expectNoUnhandledRejections, startFakeUpstream, type Behaviour } from '../helpers/fake-upstream.ts'

// The breaker, seen from outside: the responses the client gets, the requests
// the upstream receives, and the state-change events in the log.

const BREAKER_ENV = {
  UPSTREAM_RETRIES: '0',
  BREAKER_VOLUME_THRESHOLD: '3',
  BREAKER_ERROR_THRESHOLD_PERCENTAGE: '50',
  BREAKER_RESET_TIMEOUT_MS: '10000',
}
/** Short enough to wait for, long enough that a loaded machine does not turn half-open between two steps of a test. */
const SHORT_RESET_ENV = { BREAKER_RESET_TIMEOUT_MS: '1500' }

function stateChanges (logs: CapturedLogs) {
  return logs.lines()
    .filter((line) => line.event === 'breaker_state_change')
    .map(({ severity, dependency, state }) => ({ severity, dependency, state }))
}

const UNAVAILABLE = '502 SVC_UPSTREAM_UNAVAILABLE'
const BAD_RESPONSE = '502 SVC_UPSTREAM_BAD_RESPONSE'
const OPEN = '503 SVC_UPSTREAM_CIRCUIT_OPEN'
const OK = '200'

/** Status and error code of each of `times` calls, one after the other. */
async function callTimes (app: FastifyInstance, times: number): Promise<string[]> {
  const outcomes: string[] = []
  for (let i = 0; i < times; i++) {
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    outcomes.push(response.statusCode === 200 ? OK : `${response.statusCode} ${(response.json() as { code: string }).code}`)
  }
  return outcomes
}

async function openBreaker (script: Behaviour[], env: Record<string, string> = {}) {
  const upstream = await startFakeUpstream(script)
  const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', UPSTREAM_URL: upstream.url, ...BREAKER_ENV, ...env })
  expect(await callTimes(app, 3)).toStrictEqual([UNAVAILABLE, UNAVAILABLE, UNAVAILABLE])
  expect(app.upstream?.breakerState).toBe('open')
  return { upstream, app, logs }
}

/** Waits until the breaker logs that it is half-open (after BREAKER_RESET_TIMEOUT_MS). */
async function waitForHalfOpen (logs: CapturedLogs, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!stateChanges(logs).some((change) => change.state === 'half_open')) {
    if (Date.now() > deadline) throw new Error('the breaker did not turn half-open')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('the upstream circuit breaker', () => {
  it('when failures pass the threshold, then it opens with a WARNING event, and while open the client gets 503 with Retry-After and the upstream sees no request', async () => {
    expectNoUnhandledRejections()
    const { upstream, app, logs } = await openBreaker([{ status: 500 }])
    expect(stateChanges(logs)).toStrictEqual([{ severity: 'WARNING', dependency: 'upstream', state: 'open' }])

    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(503)
    // Seconds until the half-open probe: the 10 s reset timeout, less the time since it opened, rounded up.
    expect(response.headers['retry-after']).toMatch(/^(10|9)$/)
    expect(response.body).toBe('{"code":"SVC_UPSTREAM_CIRCUIT_OPEN","message":"An upstream service is failing; retry later"}')
    expect(await callTimes(app, 5)).toStrictEqual([OPEN, OPEN, OPEN, OPEN, OPEN])
    expect(upstream.requests).toHaveLength(3)
  })

  it('when fewer calls than BREAKER_VOLUME_THRESHOLD have failed, then it stays closed and every call reaches the upstream', async () => {
    const upstream = await startFakeUpstream([{ status: 500 }])
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', UPSTREAM_URL: upstream.url, ...BREAKER_ENV, BREAKER_VOLUME_THRESHOLD: '5' })
    expect(await callTimes(app, 4)).toStrictEqual([UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, UNAVAILABLE])
    expect(upstream.requests).toHaveLength(4)
    expect(stateChanges(logs)).toStrictEqual([])
  })

  it('when the upstream answers 404s, then they do not count as failures and the breaker stays closed', async () => {
    const upstream = await startFakeUpstream([{ status: 404 }])
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', UPSTREAM_URL: upstream.url, ...BREAKER_ENV })
    expect(await callTimes(app, 6)).toStrictEqual([BAD_RESPONSE, BAD_RESPONSE, BAD_RESPONSE, BAD_RESPONSE, BAD_RESPONSE, BAD_RESPONSE])
    expect(upstream.requests).toHaveLength(6)
    expect(stateChanges(logs)).toStrictEqual([])
  })

  it('when the reset timeout has passed, then exactly one probe reaches the upstream, and on success the breaker closes with an INFO event', async () => {
    expectNoUnhandledRejections()
    const { upstream, app, logs } = await openBreaker([{ status: 500 }, { status: 500 }, { status: 500 }, { status: 200, body: { back: true }, delayMs: 200 }], SHORT_RESET_ENV)
    await waitForHalfOpen(logs)
    expect(app.upstream?.breakerState).toBe('half_open')

    // Three calls at once: the first is the probe, the other two are refused while it is out.
    const responses = await Promise.all([1, 2, 3].map(() => app.inject({ method: 'GET', url: '/upstream' })))
    expect(responses.map((response) => response.statusCode === 200 ? OK : `${response.statusCode} ${(response.json() as { code: string }).code}`).sort())
      .toStrictEqual([OK, OPEN, OPEN])
    expect(upstream.requests).toHaveLength(4)
    expect(app.upstream?.breakerState).toBe('closed')
    expect(stateChanges(logs)).toStrictEqual([
      { severity: 'WARNING', dependency: 'upstream', state: 'open' },
      { severity: 'INFO', dependency: 'upstream', state: 'half_open' },
      { severity: 'INFO', dependency: 'upstream', state: 'closed' },
    ])
    // Closed again: calls flow.
    expect(await callTimes(app, 2)).toStrictEqual([OK, OK])
    expect(upstream.requests).toHaveLength(6)
  })

  it('when the half-open probe fails, then the breaker opens again and the upstream sees nothing more until the next reset timeout', async () => {
    expectNoUnhandledRejections()
    const { upstream, app, logs } = await openBreaker([{ status: 500 }], SHORT_RESET_ENV)
    await waitForHalfOpen(logs)
    expect(await callTimes(app, 1)).toStrictEqual([UNAVAILABLE]) // the probe, which fails
    expect(upstream.requests).toHaveLength(4)
    expect(app.upstream?.breakerState).toBe('open')
    const refused = await app.inject({ method: 'GET', url: '/upstream' })
    expect(refused.statusCode).toBe(503)
    expect(refused.headers['retry-after']).toMatch(/^[12]$/) // 1.5 s from the reopening, rounded up
    expect(upstream.requests).toHaveLength(4)
    expect(stateChanges(logs)).toStrictEqual([
      { severity: 'WARNING', dependency: 'upstream', state: 'open' },
      { severity: 'INFO', dependency: 'upstream', state: 'half_open' },
      { severity: 'WARNING', dependency: 'upstream', state: 'open' },
    ])
  })

  it('when the breaker opens in the middle of a call\'s retries, then the remaining retries are not sent', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 503 }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, ...BREAKER_ENV, UPSTREAM_RETRIES: '5' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    // Three failed attempts open it; the fourth attempt is refused by the breaker.
    expect(response.statusCode).toBe(503)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_CIRCUIT_OPEN' })
    expect(upstream.requests).toHaveLength(3)
  })

  it('when the breaker is open, then its opening is logged once with the dependency and until when, and each fast-failed request writes only its request line', async () => {
    const { app, logs } = await openBreaker([{ status: 500 }])
    const linesBefore = logs.lines().length
    const bytesBefore = logs.text().length
    const fastFailed = 20
    expect(await callTimes(app, fastFailed)).toStrictEqual(Array.from({ length: fastFailed }, () => OPEN))
    expect(logs.lines().filter((line) => line.event === 'breaker_state_change')).toMatchObject([{
      severity: 'WARNING',
      dependency: 'upstream',
      state: 'open',
      message: 'Circuit breaker for upstream opened; failing fast for 10000 ms',
      resetTimeoutMs: 10_000,
    }])
    // During an outage every byte of log is billed: one request line each, no stack.
    const during = logs.lines().slice(linesBefore)
    expect(during.map((line) => [line.severity, line.message])).toStrictEqual(Array.from({ length: fastFailed }, () => ['ERROR', 'GET /upstream 503']))
    expect(logs.text().slice(bytesBefore)).not.toContain('stack')
    expect((logs.text().length - bytesBefore) / fastFailed).toBeLessThan(400)
  })
})
