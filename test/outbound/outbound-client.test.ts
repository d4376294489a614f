import { describe, expect, it, onTestFinished } from 'vitest'
import { loadConfig } from '../../src/config/load-config.ts'
import { createOutboundClient, type OutboundClientOptions } from '../../src/outbound/create-outbound-client.ts'
import { ServiceError } from '../../src/errors/service-error.ts'
import { captureLogs } from '../helpers/capture-logs.ts'
import { expectNoUnhandledRejections, startFakeUpstream } from '../helpers/fake-upstream.ts'

// The reusable client on its own, for what the GET-only sample route cannot
// show: other methods, 429, the concurrency cap, close().

async function client (url: string, overrides: Partial<OutboundClientOptions> = {}) {
  const logs = captureLogs(loadConfig({}))
  const outbound = await createOutboundClient({
    name: 'orders',
    baseUrl: new URL(url),
    attemptTimeoutMs: 2_000,
    deadlineMs: 5_000,
    retries: 2,
    maxConcurrency: 10,
    breaker: { errorThresholdPercentage: 50, volumeThreshold: 100, resetTimeoutMs: 10_000 },
    logger: logs.logger,
    ...overrides,
  })
  onTestFinished(() => outbound.close())
  return { outbound, logs }
}

async function rejection (promise: Promise<unknown>): Promise<ServiceError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason)
  if (!(error instanceof ServiceError)) throw new Error(`expected a ServiceError, got ${String(error)}`)
  return error
}

describe('the outbound client', () => {
  it('when a POST gets 503, then it is not retried: POST is not idempotent', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 503 }, { status: 200, body: {} }])
    const { outbound } = await client(upstream.url)
    const error = await rejection(outbound.request({ method: 'POST', path: '/orders', body: '{"n":1}', headers: { 'content-type': 'application/json' } }))
    expect(error.code).toBe('SVC_UPSTREAM_UNAVAILABLE')
    expect(upstream.requests.map(({ method, url }) => `${method} ${url}`)).toStrictEqual(['POST /orders'])
  })

  it('when a PUT gets 502 then 200, then it is retried once and resolves with the 200', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 502 }, { status: 200, body: { saved: true } }])
    const { outbound } = await client(upstream.url)
    const response = await outbound.request({ method: 'PUT', path: '/orders/7', body: '{}' })
    expect(response).toMatchObject({ statusCode: 200, body: '{"saved":true}' })
    expect(upstream.requests.map(({ method, url }) => `${method} ${url}`)).toStrictEqual(['PUT /orders/7', 'PUT /orders/7'])
  })

  it('when a GET gets 429 with Retry-After: 1, then it waits that long, retries, and the 429s do not count against the breaker', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 429, headers: { 'retry-after': '1' } }, { status: 200, body: [] }])
    const { outbound, logs } = await client(upstream.url, { breaker: { errorThresholdPercentage: 1, volumeThreshold: 1, resetTimeoutMs: 10_000 } })
    const startedAt = performance.now()
    const response = await outbound.request()
    expect(response.statusCode).toBe(200)
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(990)
    expect(upstream.requests).toHaveLength(2)
    expect(outbound.breakerState).toBe('closed')
    expect(logs.lines().filter((line) => line.event === 'outbound_retry').map((line) => [line.reason, line.delayMs])).toStrictEqual([['status_429', 1_000]])
  })

  it.each([400, 401, 403, 404, 409, 422])('when a GET gets %i, then the answer is returned as it is, after one request', async (status) => {
    const upstream = await startFakeUpstream([{ status, body: { problem: 'yours' } }])
    const { outbound } = await client(upstream.url)
    expect(await outbound.request()).toMatchObject({ statusCode: status, body: '{"problem":"yours"}' })
    expect(upstream.requests).toHaveLength(1)
  })

  it('when more calls than maxConcurrency are made at once, then the upstream never has more than maxConcurrency in flight', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 200, body: {}, delayMs: 150 }])
    const { outbound } = await client(upstream.url, { maxConcurrency: 2 })
    const responses = await Promise.all(Array.from({ length: 6 }, () => outbound.request()))
    expect(responses.map((response) => response.statusCode)).toStrictEqual([200, 200, 200, 200, 200, 200])
    expect(upstream.requests).toHaveLength(6)
    expect(upstream.maxInFlight()).toBe(2)
  })

  it('when closed, then later calls are refused without reaching the upstream', async () => {
    const upstream = await startFakeUpstream([{ status: 200, body: {} }])
    const { outbound } = await client(upstream.url)
    await outbound.request()
    await outbound.close()
    const error = await rejection(outbound.request())
    expect(error.code).toBe('SVC_UPSTREAM_UNAVAILABLE')
    expect(error.details).toMatchObject({ reason: 'ESHUTDOWN' })
    expect(upstream.requests).toHaveLength(1)
  })

  it('when the response is larger than 1 MiB, then the call fails with SVC_UPSTREAM_BAD_RESPONSE rather than buffering it', async () => {
    const upstream = await startFakeUpstream([{ status: 200, body: 'x'.repeat(1024 * 1024 + 1) }])
    const { outbound } = await client(upstream.url)
    const error = await rejection(outbound.request())
    expect(error.code).toBe('SVC_UPSTREAM_BAD_RESPONSE')
    expect(upstream.requests).toHaveLength(1)
  })
})
