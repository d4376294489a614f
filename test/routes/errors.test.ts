import { describe, expect, it } from 'vitest'
import type { FastifyPluginAsync } from 'fastify'
import { ServiceError } from '../../src/errors/service-error.ts'
import { errors } from '../../src/errors/catalogue.ts'
import { buildTestApp } from '../helpers/test-app.ts'

const failingRoutes: FastifyPluginAsync = async (app) => {
  app.get('/bug', async () => {
    const missing = undefined as unknown as { property: string }
    return missing.property // a TypeError: a bug
  })
  app.get('/broken-dependency', async () => {
    throw new Error('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2')
  })
  app.get('/operational', async () => {
    throw new ServiceError(errors.OVERLOADED, { message: 'pool exhausted at db-7', headers: { 'retry-after': '3' } })
  })
  app.post('/echo', async (request) => ({ received: request.body }))
  // A route with a parameter, as in docs/how-to/add-a-route.md.
  app.get<{ Params: { name: string } }>('/greet/:name', async (request) => ({ greeting: `Hello, ${request.params.name}` }))
}

describe('error responses', () => {
  it('when a route does not exist, then the client gets 404 with a stable code', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'GET', url: '/nope?x=1' })
    expect(response.statusCode).toBe(404)
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(response.json()).toStrictEqual({ code: 'SVC_ROUTE_NOT_FOUND', message: 'No route for GET /nope' })
  })

  it('when a route exists but not for the method, then the client gets 405 with Allow', async () => {
    const { app } = await buildTestApp()
    const response = await app.inject({ method: 'DELETE', url: '/health' })
    expect(response.statusCode).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD')
    expect(response.json()).toStrictEqual({ code: 'SVC_METHOD_NOT_ALLOWED', message: 'DELETE is not allowed on /health' })
  })

  it('when a route with a parameter exists but not for the method, then the client gets 405 with Allow, not 404', async () => {
    const { app } = await buildTestApp({}, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'DELETE', url: '/greet/Ada?loud=1' })
    expect(response.statusCode).toBe(405)
    expect(response.headers.allow).toBe('GET, HEAD')
    expect(response.json()).toStrictEqual({ code: 'SVC_METHOD_NOT_ALLOWED', message: 'DELETE is not allowed on /greet/Ada' })
  })

  it('when a path matches no route for any method, then the client gets 404, even beside a route with a parameter', async () => {
    const { app } = await buildTestApp({}, { routes: [failingRoutes] })
    for (const path of ['/greet', '/greet/Ada/again']) {
      const response = await app.inject({ method: 'DELETE', url: path })
      expect(response.statusCode, path).toBe(404)
      expect(response.json()).toStrictEqual({ code: 'SVC_ROUTE_NOT_FOUND', message: `No route for DELETE ${path}` })
    }
  })

  it('when a handler hits a bug, then the client gets a bare 500, the log has one ERROR line with the stack for Error Reporting, and the app keeps serving', async () => {
    const { app, logs, config } = await buildTestApp({}, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'GET', url: '/bug' })
    expect(response.statusCode).toBe(500)
    expect(response.headers['cache-control']).toBe('no-store')
    expect(response.json()).toStrictEqual({ code: 'SVC_INTERNAL', message: 'Internal server error' })
    const errorLines = logs.lines().filter((line) => line.severity === 'ERROR' && line.httpRequest === undefined)
    expect(errorLines).toHaveLength(1)
    expect(errorLines[0]).toMatchObject({
      message: "Cannot read properties of undefined (reading 'property')",
      code: 'SVC_INTERNAL',
      serviceContext: { service: config.serviceName, version: config.serviceVersion },
    })
    expect(errorLines[0]?.stack_trace).toMatch(/^TypeError: Cannot read properties of undefined .*\n\s+at /)
    expect(logs.lines().filter((line) => line.severity === 'CRITICAL')).toStrictEqual([])
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200)
  })

  it('when a handler fails unexpectedly, then the 500 body says nothing about internals and the log has them at ERROR', async () => {
    const { app, logs } = await buildTestApp({}, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'GET', url: '/broken-dependency' })
    expect(response.statusCode).toBe(500)
    expect(response.body).toBe('{"code":"SVC_INTERNAL","message":"Internal server error"}')
    const errorLine = logs.lines().find((line) => line.severity === 'ERROR' && line.err !== undefined)
    expect(errorLine?.message).toBe('connect ECONNREFUSED 10.1.2.3:5432 password=hunter2')
  })

  it('when an operational 5xx is raised, then the client sees the catalogue message and its headers, not the detail', async () => {
    const { app, logs } = await buildTestApp({}, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'GET', url: '/operational' })
    expect(response.statusCode).toBe(503)
    expect(response.headers['retry-after']).toBe('3')
    expect(response.json()).toStrictEqual({ code: 'SVC_OVERLOADED', message: 'The instance is overloaded, retry later' })
    expect(response.headers['cache-control']).toBe('no-store')
    const warning = logs.lines().find((line) => line.severity === 'WARNING')
    expect(warning).toMatchObject({ message: 'pool exhausted at db-7', code: 'SVC_OVERLOADED', err: { type: 'ServiceError', message: 'pool exhausted at db-7' } })
    // An expected failure: its stack would only name this service's own files.
    expect(JSON.stringify(warning)).not.toMatch(/stack|at .*\.ts:\d+/)
  })

  it('when a body is larger than BODY_LIMIT_BYTES, then the client gets 413', async () => {
    const { app } = await buildTestApp({ BODY_LIMIT_BYTES: '16' }, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'POST', url: '/echo', payload: { text: 'x'.repeat(64) } })
    expect(response.statusCode).toBe(413)
    expect(response.json()).toMatchObject({ code: 'SVC_PAYLOAD_TOO_LARGE' })
  })

  it('when a JSON body is malformed, then the client gets 400 saying so', async () => {
    const { app } = await buildTestApp({}, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/json' }, payload: '{"a":' })
    expect(response.statusCode).toBe(400)
    expect(response.json()).toStrictEqual({ code: 'SVC_BAD_REQUEST', message: 'Body is not valid JSON but content-type is set to \'application/json\'' })
  })

  it('when a body has an unsupported content type, then the client gets 415', async () => {
    const { app } = await buildTestApp({}, { routes: [failingRoutes] })
    const response = await app.inject({ method: 'POST', url: '/echo', headers: { 'content-type': 'application/x-thing' }, payload: 'abc' })
    expect(response.statusCode).toBe(415)
    expect(response.json()).toMatchObject({ code: 'SVC_UNSUPPORTED_MEDIA_TYPE' })
  })
})
