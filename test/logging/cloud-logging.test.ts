import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { rawRequest } from '../helpers/http.ts'
import { loadConfig } from '../../src/config/load-config.ts'
import { captureLogs } from '../helpers/capture-logs.ts'
import { lineWriterOf } from '../../src/logging/cloud-logging.ts'
import { buildTestApp } from '../helpers/test-app.ts'

describe('log lines in Cloud Logging format', () => {
  it('when something is logged, then the line has severity, message and an RFC 3339 timestamp, and no msg/level/pid', () => {
    const logs = captureLogs(loadConfig({}))
    logs.logger.info({ answer: 42 }, 'hello')
    const [line] = logs.lines()
    expect(Object.keys(line ?? {}).sort()).toStrictEqual(['answer', 'message', 'severity', 'timestamp'])
    expect(line).toMatchObject({ severity: 'INFO', message: 'hello', answer: 42 })
    expect(line?.timestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
  })

  it.each([
    ['debug', 'DEBUG'], ['info', 'INFO'], ['warn', 'WARNING'], ['error', 'ERROR'], ['fatal', 'CRITICAL'],
  ] as const)('when logging at %s, then severity is %s', (level, severity) => {
    const logs = captureLogs(loadConfig({ LOG_LEVEL: 'debug' }))
    logs.logger[level]('x')
    expect(logs.lines()[0]?.severity).toBe(severity)
  })

  it('when LOG_LEVEL is warn, then info lines are not written', () => {
    const logs = captureLogs(loadConfig({ LOG_LEVEL: 'warn' }))
    logs.logger.info('quiet')
    logs.logger.warn('loud')
    expect(logs.lines().map((line) => line.message)).toStrictEqual(['loud'])
  })

  it('when an error is logged, then the line carries stack_trace and serviceContext for Error Reporting', () => {
    const logs = captureLogs(loadConfig({ K_SERVICE: 'svc', K_REVISION: 'svc-00002-xyz' }))
    const err = new Error('boom')
    logs.logger.error({ err }, 'it failed')
    expect(logs.lines()[0]).toMatchObject({
      severity: 'ERROR',
      message: 'it failed',
      stack_trace: err.stack,
      serviceContext: { service: 'svc', version: 'svc-00002-xyz' },
      err: { type: 'Error', message: 'boom' },
    })
  })

  it('when credentials appear in a headers object at the top of a line or one level down, then they are redacted', () => {
    const logs = captureLogs(loadConfig({}))
    logs.logger.info({
      headers: { authorization: 'Bearer abc', cookie: 'a=b', 'x-api-key': 'k', 'proxy-authorization': 'p', accept: '*/*' },
      res: { headers: { 'set-cookie': 's=1' } },
      payments: { headers: { authorization: 'Bearer pay' }, status: 502 },
    }, 'headers')
    const line = logs.lines()[0]
    expect(line?.headers).toStrictEqual({
      authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-api-key': '[REDACTED]', 'proxy-authorization': '[REDACTED]', accept: '*/*',
    })
    expect(line?.res).toStrictEqual({ headers: { 'set-cookie': '[REDACTED]' } })
    expect(line?.payments).toStrictEqual({ headers: { authorization: '[REDACTED]' }, status: 502 })
    expect(logs.text()).not.toMatch(/Bearer abc|a=b|s=1|Bearer pay/)
  })
})

describe('request log lines', () => {
  it('when the app logs through Fastify\'s wrapper of the logger, then request lines still take the hand-serialised path to the same destination', async () => {
    const { app } = await buildTestApp()
    expect(lineWriterOf(app.log)).toBeTypeOf('function')
    expect(lineWriterOf(app.log.child({}))).toBe(lineWriterOf(app.log))
  })

  it('when a request finishes, then one line carries httpRequest as Cloud Logging reads it', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'test-project' })
    await app.inject({
      method: 'GET',
      url: '/?a=1',
      headers: { 'user-agent': 'curl/8.5.0', host: 'hello.a.run.app', 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https' },
    })
    const requestLines = logs.lines().filter((line) => line.httpRequest !== undefined)
    expect(requestLines).toHaveLength(1)
    const [line] = requestLines
    expect(line).toMatchObject({ severity: 'INFO', message: 'GET /?a=1 200' })
    expect(line?.httpRequest).toStrictEqual({
      requestMethod: 'GET',
      requestUrl: 'https://hello.a.run.app/?a=1',
      status: 200,
      latency: expect.stringMatching(/^\d+\.\d{6}s$/),
      userAgent: 'curl/8.5.0',
      remoteIp: '203.0.113.9',
      protocol: 'HTTP/1.1',
      responseSize: expect.stringMatching(/^\d+$/),
    })
  })

  it('when a client forges extra X-Forwarded-For entries, then remoteIp is the one Google\'s front end appended', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' })
    await app.inject({ method: 'GET', url: '/', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } })
    expect(logs.lines().find((line) => line.httpRequest !== undefined)?.httpRequest).toMatchObject({ remoteIp: '198.51.100.7' })
  })

  it('when LOG_REQUESTS is false, then no request line is written', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'false' })
    await app.inject({ method: 'GET', url: '/' })
    expect(logs.lines()).toStrictEqual([])
  })

  it('when LOG_REQUESTS is not set, then no request line is written (Cloud Run writes its own request log)', async () => {
    const { app, logs } = await buildTestApp()
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200)
    expect((await app.inject({ method: 'GET', url: '/nope' })).statusCode).toBe(404)
    // The 404's own line, from the error handler, and no httpRequest line for either request.
    expect(logs.lines()).toStrictEqual([
      { severity: 'INFO', timestamp: expect.any(String), code: 'SVC_ROUTE_NOT_FOUND', statusCode: 404, message: 'No route for GET /nope' },
    ])
  })

  it('when a request fails with 500, then its request line is ERROR', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' }, {
      routes: [async (instance) => { instance.get('/fail', async () => { throw new Error('x') }) }],
    })
    await app.inject({ method: 'GET', url: '/fail' })
    expect(logs.lines().find((line) => line.httpRequest !== undefined)).toMatchObject({ severity: 'ERROR', message: 'GET /fail 500' })
  })

  it('when a client sends X-Forwarded-Host and an unknown X-Forwarded-Proto, then requestUrl names the Host it asked and the scheme it used', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' })
    await app.inject({ method: 'GET', url: '/', headers: { host: 'hello.a.run.app', 'x-forwarded-host': 'attacker.example', 'x-forwarded-proto': 'gopher' } })
    expect(logs.lines().find((line) => line.httpRequest !== undefined)?.httpRequest).toMatchObject({ requestUrl: 'http://hello.a.run.app/' })
  })

  it('when no proxy hop is trusted (TRUST_PROXY_HOPS=0), then X-Forwarded-Proto and X-Forwarded-For are not believed', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', TRUST_PROXY_HOPS: '0' })
    await app.inject({ method: 'GET', url: '/', headers: { host: 'hello.a.run.app', 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.7' } })
    expect(logs.lines().find((line) => line.httpRequest !== undefined)?.httpRequest).toMatchObject({ requestUrl: 'http://hello.a.run.app/', remoteIp: '127.0.0.1' })
  })

  it('when X-Forwarded-For holds no IP address where the client\'s should be, then remoteIp is the socket\'s peer', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' })
    await app.inject({ method: 'GET', url: '/', headers: { 'x-forwarded-for': 'not-an-ip"}{' } })
    const line = logs.lines().find((entry) => entry.httpRequest !== undefined)
    expect(line?.httpRequest).toMatchObject({ remoteIp: '127.0.0.1' })
    expect(logs.text()).not.toContain('not-an-ip')
  })

  it('when the request target is in absolute form, then requestUrl is that URL as sent, not glued to the Host', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' })
    await app.listen({ port: 0, host: '127.0.0.1' })
    const { port } = app.server.address() as AddressInfo
    await rawRequest(port, 'GET http://evil.example/x HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    const line = logs.lines().find((entry) => entry.httpRequest !== undefined)
    expect(line).toMatchObject({ message: 'GET http://evil.example/x 404', httpRequest: { requestUrl: 'http://evil.example/x', status: 404 } })
  })

  it('when a 404 answers a 15 KB URL with a 15 KB User-Agent, then no logged field holds more than 2 KB of them: two lines, under 12 KB together', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' })
    const path = `/${'a'.repeat(15_000)}`
    expect((await app.inject({ method: 'GET', url: path, headers: { 'user-agent': 'b'.repeat(15_000) } })).statusCode).toBe(404)
    expect(logs.lines().map((line) => line.message.slice(0, 20))).toStrictEqual(['No route for GET /aa', 'GET /aaaaaaaaaaaaaaa'])
    // Five fields carry them (the 404's message; the request line's message,
    // requestUrl and userAgent): each cut to 2,048 characters and a note.
    for (const line of logs.lines()) {
      for (const value of [line.message, ...Object.values((line.httpRequest ?? {}) as Record<string, unknown>)]) {
        expect(String(value).length).toBeLessThanOrEqual(2_048 + '… (12952 more characters)'.length + 'http://localhost:80'.length)
      }
    }
    expect(logs.text().length).toBeLessThan(12_000)
    expect((logs.lines()[1]?.httpRequest as { userAgent: string }).userAgent).toMatch(/^b{2048}… \(12952 more characters\)$/)
  })
})
