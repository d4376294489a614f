import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'

describe('probes', () => {
  it('when the process is up, then /health answers {"status":"ok"}', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/health' })
    expect(response.statusCode).toBe(200)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.body).toBe('{"status":"ok"}')
  })

  it('when boot has finished, then /ready answers 200', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/ready' })
    expect(response.statusCode).toBe(200)
    expect(response.body).toBe('{"status":"ready"}')
  })

  it('when the instance is draining, then /ready answers 503 and /health still 200', async () => {
    const { app } = await buildTestApp()
    app.readiness.beginDrain()
    const ready = await app.inject({ method: 'GET', url: '/ready' })
    expect(ready.statusCode).toBe(503)
    expect(ready.json()).toStrictEqual({ code: 'SVC_NOT_READY', message: 'The instance is not ready' })
    const health = await app.inject({ method: 'GET', url: '/health' })
    expect(health.statusCode).toBe(200)
  })

  it('when probes are called with request logging on, then they write no request log line', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' })
    await app.inject({ method: 'GET', url: '/health' })
    await app.inject({ method: 'GET', url: '/ready' })
    expect(logs.lines().filter((line) => line.httpRequest !== undefined)).toStrictEqual([])
  })

  it('when someone asks for /healthz, then it is not a route: Cloud Run reserves paths ending in z', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/healthz' })
    expect(response.statusCode).toBe(404)
    expect(app.printRoutes({ commonPrefix: false })).not.toMatch(/z\b/)
  })
})
