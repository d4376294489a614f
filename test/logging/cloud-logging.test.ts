import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../src/config/load-config.ts'
import { captureLogs } from '../helpers/capture-logs.ts'
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

  it('when credentials appear in logged headers, then they are redacted', () => {
    const logs = captureLogs(loadConfig({}))
    logs.logger.info({
      headers: { authorization: 'Bearer abc', cookie: 'a=b', 'x-api-key': 'k', 'proxy-authorization': 'p', accept: '*/*' },
      res: { headers: { 'set-cookie': 's=1' } },
    }, 'headers')
    const line = logs.lines()[0]
    expect(line?.headers).toStrictEqual({
      authorization: '[REDACTED]', cookie: '[REDACTED]', 'x-api-key': '[REDACTED]', 'proxy-authorization': '[REDACTED]', accept: '*/*',
    })
    expect(line?.res).toStrictEqual({ headers: { 'set-cookie': '[REDACTED]' } })
    expect(logs.text()).not.toMatch(/Bearer abc|a=b|s=1/)
  })
})

describe('request log lines', () => {
  it('when a request finishes, then one line carries httpRequest as Cloud Logging reads it', async () => {
    const { app, logs } = await buildTestApp({ GOOGLE_CLOUD_PROJECT: 'test-project' })
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
    const { app, logs } = await buildTestApp()
    await app.inject({ method: 'GET', url: '/', headers: { 'x-forwarded-for': '6.6.6.6, 198.51.100.7' } })
    expect(logs.lines().find((line) => line.httpRequest !== undefined)?.httpRequest).toMatchObject({ remoteIp: '198.51.100.7' })
  })

  it('when LOG_REQUESTS is false, then no request line is written', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'false' })
    await app.inject({ method: 'GET', url: '/' })
    expect(logs.lines()).toStrictEqual([])
  })

  it('when a request fails with 500, then its request line is ERROR', async () => {
    const { app, logs } = await buildTestApp({}, {
      routes: [async (instance) => { instance.get('/fail', async () => { throw new Error('x') }) }],
    })
    await app.inject({ method: 'GET', url: '/fail' })
    expect(logs.lines().find((line) => line.httpRequest !== undefined)).toMatchObject({ severity: 'ERROR', message: 'GET /fail 500' })
  })
})
