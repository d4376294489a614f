import net from 'node:net'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'
import { expectNoUnhandledRejections, startFakeUpstream } from '../helpers/fake-upstream.ts'

// GET /upstream against real HTTP servers on loopback. Backoff waits are
// short (up to 100 ms, then 200 ms) so these tests stay quick.

/** A loopback port with nothing listening on it: connecting is refused. */
async function closedPort (): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('GET /upstream', () => {
  it('when the upstream answers 200 with JSON, then the client gets 200 with it under "upstream", and the upstream got one GET on the configured path', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 200, body: { items: [1, 2], name: 'x' } }])
    const { app } = await buildTestApp({ UPSTREAM_URL: `${upstream.url}/api/items?limit=2` })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.body).toBe('{"upstream":{"items":[1,2],"name":"x"}}')
    expect(upstream.requests.map(({ method, url }) => ({ method, url }))).toStrictEqual([{ method: 'GET', url: '/api/items?limit=2' }])
    expect(upstream.requests[0]?.headers.accept).toBe('application/json')
    expect(upstream.requests[0]?.headers.authorization).toBeUndefined()
    expect(upstream.requests[0]?.headers['x-api-key']).toBeUndefined()
  })

  it('when UPSTREAM_URL is unset, then /upstream answers 503 with a clear code and /health and /ready stay 200', async () => {
    const { app, logs } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(503)
    expect(response.json()).toStrictEqual({ code: 'SVC_UPSTREAM_NOT_CONFIGURED', message: 'No upstream service is configured' })
    expect(logs.lines().find((line) => line.code === 'SVC_UPSTREAM_NOT_CONFIGURED')).toMatchObject({
      severity: 'WARNING', message: 'GET /upstream was called but UPSTREAM_URL is not set',
    })
    expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200)
  })

  it('when the upstream is down, then /health and /ready still answer 200: an outage does not take the instance out of rotation', async () => {
    const { app } = await buildTestApp({ UPSTREAM_URL: `http://127.0.0.1:${await closedPort()}`, UPSTREAM_RETRIES: '0' })
    expect((await app.inject({ method: 'GET', url: '/upstream' })).statusCode).toBe(502)
    expect((await app.inject({ method: 'GET', url: '/health' })).body).toBe('{"status":"ok"}')
    expect((await app.inject({ method: 'GET', url: '/ready' })).body).toBe('{"status":"ready"}')
  })

  it('when the upstream answers 500, then the client gets 502 SVC_UPSTREAM_UNAVAILABLE, nothing of the upstream\'s body, and 500 is not retried', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 500, body: { error: 'db password=hunter2 failed' } }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '2' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.body).toBe('{"code":"SVC_UPSTREAM_UNAVAILABLE","message":"An upstream service is unavailable"}')
    expect(upstream.requests).toHaveLength(1)
    expect(logs.lines().find((line) => line.code === 'SVC_UPSTREAM_UNAVAILABLE')).toMatchObject({
      severity: 'WARNING',
      message: 'Call to upstream failed (status_500) after 1 attempt(s)',
      err: { details: { dependency: 'upstream', reason: 'status_500', attempts: 1 } },
    })
  })

  it('when the upstream keeps answering 503, then it is tried 1 + UPSTREAM_RETRIES times and the client gets 502', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 503 }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '2' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_UNAVAILABLE' })
    expect(upstream.requests).toHaveLength(3)
    const retries = logs.lines().filter((line) => line.event === 'outbound_retry')
    expect(retries.map((line) => [line.severity, line.dependency, line.attempt, line.reason])).toStrictEqual([
      ['INFO', 'upstream', 1, 'status_503'],
      ['INFO', 'upstream', 2, 'status_503'],
    ])
  })

  it('when the upstream answers 503 with Retry-After: 1 and then 200, then the client gets 200 after the upstream\'s wait, from two requests', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 503, headers: { 'retry-after': '1' } }, { status: 200, body: { ok: true } }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '1', UPSTREAM_DEADLINE_MS: '5000' })
    const startedAt = performance.now()
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toStrictEqual({ upstream: { ok: true } })
    expect(upstream.requests).toHaveLength(2)
    expect(logs.lines().find((line) => line.event === 'outbound_retry')).toMatchObject({ delayMs: 1_000 })
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(990)
  })

  it('when Retry-After asks for longer than the deadline leaves, then the client is not made to wait: 502 at once, one request', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 503, headers: { 'retry-after': '30' } }, { status: 200, body: {} }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '2', UPSTREAM_DEADLINE_MS: '3000' })
    const startedAt = performance.now()
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(upstream.requests).toHaveLength(1)
    expect(performance.now() - startedAt).toBeLessThan(2_000)
  })

  it('when the upstream answers 404, then the client gets 502 SVC_UPSTREAM_BAD_RESPONSE and the 404 is not retried', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 404, body: { error: 'no such thing' } }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '3' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.body).toBe('{"code":"SVC_UPSTREAM_BAD_RESPONSE","message":"An upstream service gave an unusable response"}')
    expect(upstream.requests).toHaveLength(1)
    expect(logs.lines().find((line) => line.code === 'SVC_UPSTREAM_BAD_RESPONSE')).toMatchObject({ severity: 'WARNING', message: 'Upstream answered 404' })
  })

  it('when the upstream answers 200 with a body that is not JSON, then the client gets 502 SVC_UPSTREAM_BAD_RESPONSE', async () => {
    const upstream = await startFakeUpstream([{ status: 200, body: '<html>oops</html>' }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_BAD_RESPONSE' })
  })

  it('when nothing listens at the upstream\'s port, then the client gets 502 after 1 + UPSTREAM_RETRIES connection attempts', async () => {
    expectNoUnhandledRejections()
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: `http://127.0.0.1:${await closedPort()}`, UPSTREAM_RETRIES: '2' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_UNAVAILABLE' })
    expect(logs.lines().find((line) => line.code === 'SVC_UPSTREAM_UNAVAILABLE')).toMatchObject({
      message: 'Call to upstream failed (ECONNREFUSED) after 3 attempt(s)',
    })
  })

  it('when the upstream resets the connection, then the reset is retried and the client gets 502', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream(['reset'])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '1' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_UNAVAILABLE' })
    expect(upstream.requests).toHaveLength(2)
  })

  it('when the upstream hangs, then each attempt times out, is retried, and the client gets 504', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream(['hang'])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '200', UPSTREAM_RETRIES: '2', UPSTREAM_DEADLINE_MS: '10000' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(504)
    expect(response.body).toBe('{"code":"SVC_UPSTREAM_TIMEOUT","message":"An upstream service did not answer in time"}')
    expect(upstream.requests).toHaveLength(3)
    expect(logs.lines().find((line) => line.code === 'SVC_UPSTREAM_TIMEOUT')).toMatchObject({
      severity: 'WARNING', message: 'Call to upstream failed (timeout) after 3 attempt(s)',
    })
  })

  it('when the upstream answers 429 to every attempt, then the client gets 502 after 1 + UPSTREAM_RETRIES requests', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 429 }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_RETRIES: '1' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(502)
    expect(response.json()).toMatchObject({ code: 'SVC_UPSTREAM_UNAVAILABLE' })
    expect(upstream.requests).toHaveLength(2)
  })

  it('when the first answer is slower than the timeout and the second is fast, then the client gets the second one', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream([{ status: 200, body: { n: 1 }, delayMs: 2_000 }, { status: 200, body: { n: 2 } }])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '300', UPSTREAM_RETRIES: '1' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(200)
    expect(response.json()).toStrictEqual({ upstream: { n: 2 } })
    expect(upstream.requests).toHaveLength(2)
  })

  it('when the upstream hangs past UPSTREAM_DEADLINE_MS, then the call ends near the deadline with 504, however many retries are left', async () => {
    expectNoUnhandledRejections()
    const upstream = await startFakeUpstream(['hang'])
    const { app } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_TIMEOUT_MS: '1000', UPSTREAM_RETRIES: '10', UPSTREAM_DEADLINE_MS: '1500' })
    const startedAt = performance.now()
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    const elapsedMs = performance.now() - startedAt
    expect(response.statusCode).toBe(504)
    // Two attempts fit in 1.5 s (1 s each, the second cut by the deadline); time is not under test, so the slack is generous.
    expect(upstream.requests).toHaveLength(2)
    expect(elapsedMs).toBeGreaterThanOrEqual(1_400)
    expect(elapsedMs).toBeLessThan(3_000)
  })

  it('when UPSTREAM_API_KEY is set, then the upstream receives it as x-api-key and no log line or response contains it', async () => {
    expectNoUnhandledRejections()
    const apiKey = 'key-7f3a9c-never-log-me'
    const upstream = await startFakeUpstream([{ status: 503 }, { status: 200, body: { ok: true } }])
    const { app, logs } = await buildTestApp({ UPSTREAM_URL: upstream.url, UPSTREAM_API_KEY: apiKey, UPSTREAM_RETRIES: '1' })
    const response = await app.inject({ method: 'GET', url: '/upstream' })
    expect(response.statusCode).toBe(200)
    expect(upstream.requests.map((request) => request.headers['x-api-key'])).toStrictEqual([apiKey, apiKey])
    expect(response.body).not.toContain(apiKey)
    expect(logs.text()).not.toContain(apiKey)
    expect(logs.text()).toContain('outbound_retry')
  })
})
