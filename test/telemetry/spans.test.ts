import { describe, expect, it } from 'vitest'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { buildTestApp } from '../helpers/test-app.ts'
import { useTestTracing } from '../helpers/tracing.ts'

// The one SERVER span each request gets (src/plugins/external/tracing.ts),
// kept in memory. test/process/tracing.test.ts has the same through a real
// collector, with outbound client spans below it.

function only (spans: ReadableSpan[]): ReadableSpan {
  expect(spans).toHaveLength(1)
  return spans[0] as ReadableSpan
}

describe('the server span', () => {
  it('when GET / is served, then one SERVER span named after the route carries the request\'s attributes and its status', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, { serverSpans: tracing.serverSpans })
    const response = await app.inject({ method: 'GET', url: '/?token=hidden', headers: { 'user-agent': 'curl/8.5.0', 'x-forwarded-for': '198.51.100.7' } })
    expect(response.statusCode).toBe(200)
    const span = only(tracing.spans())
    expect(span).toMatchObject({ name: 'GET /', kind: SpanKind.SERVER, status: { code: SpanStatusCode.UNSET } })
    expect(span.attributes).toStrictEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'url.path': '/',
      'network.protocol.version': '1.1',
      'http.route': '/',
      'user_agent.original': 'curl/8.5.0',
      'client.address': '198.51.100.7',
      'http.response.status_code': 200,
    })
    expect(span.parentSpanContext).toBeUndefined()
  })

  it('when a hook throws, then the span is ERROR with the error\'s message and the exception recorded', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, {
      serverSpans: tracing.serverSpans,
      routes: [async (instance) => {
        instance.get('/guarded', { onRequest: async () => { throw new Error('guard failed') } }, async () => 'never')
      }],
    })
    expect((await app.inject({ method: 'GET', url: '/guarded' })).statusCode).toBe(500)
    const span = only(tracing.spans())
    expect([span.name, span.status]).toStrictEqual(['GET /guarded', { code: SpanStatusCode.ERROR, message: 'guard failed' }])
    expect(span.events.map((event) => [event.name, event.attributes?.['exception.message']])).toStrictEqual([['exception', 'guard failed']])
  })

  it('when a handler throws, then the span is ERROR with the exception recorded and the 500 in its attributes', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, {
      serverSpans: tracing.serverSpans,
      routes: [async (instance) => { instance.get('/fail', async function failingHandler () { throw new Error('database is down') }) }],
    })
    expect((await app.inject({ method: 'GET', url: '/fail' })).statusCode).toBe(500)
    const span = only(tracing.spans())
    expect(span).toMatchObject({
      name: 'GET /fail',
      status: { code: SpanStatusCode.ERROR, message: 'database is down' },
      attributes: { 'http.route': '/fail', 'http.response.status_code': 500 },
    })
    expect(span.events.map((event) => [event.name, event.attributes?.['exception.message']])).toStrictEqual([['exception', 'database is down']])
  })

  it('when a client error (404) is answered, then the span has no route, records the status and is not an error', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, { serverSpans: tracing.serverSpans })
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404)
    const span = only(tracing.spans())
    expect(span).toMatchObject({ name: 'GET', kind: SpanKind.SERVER, status: { code: SpanStatusCode.UNSET }, attributes: { 'http.response.status_code': 404 } })
    expect(span.attributes['http.route']).toBeUndefined()
    expect(span.events).toStrictEqual([])
  })

  it.each(['/health', '/ready', '/health?verbose=1'])('when the probe %s is called, then no span is made', async (url) => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, { serverSpans: tracing.serverSpans })
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200)
    expect(tracing.spans()).toStrictEqual([])
  })

  it('when TRACE_IGNORED_PATHS names other paths, then those are skipped and the probes traced', async () => {
    const env = { TRACE_IGNORED_PATHS: '/' }
    const tracing = useTestTracing(env)
    const { app } = await buildTestApp(env, { serverSpans: tracing.serverSpans })
    await app.inject({ method: 'GET', url: '/' })
    expect(tracing.spans()).toStrictEqual([])
    await app.inject({ method: 'GET', url: '/health' })
    expect(only(tracing.spans()).attributes['http.route']).toBe('/health')
  })

  it('when the sampler keeps no new traces, then a request without a sampled caller records nothing, and one with a sampled caller is recorded in its trace', async () => {
    const env = { OTEL_TRACES_SAMPLER_ARG: '0' }
    const tracing = useTestTracing(env)
    const { app } = await buildTestApp(env, { serverSpans: tracing.serverSpans })
    await app.inject({ method: 'GET', url: '/' })
    expect(tracing.spans()).toStrictEqual([])
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
    const span = only(tracing.spans())
    expect(span.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
    expect(span.parentSpanContext?.spanId).toBe('b7ad6b7169203331')
  })

  it('when half of new traces are sampled, then half the requests are, and exactly those whose lines say trace_sampled true have a recorded span, in the trace and with the span ID their lines name', async () => {
    const env = { OTEL_TRACES_SAMPLER_ARG: '0.5', LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' }
    const tracing = useTestTracing(env)
    const { app, logs } = await buildTestApp(env, { serverSpans: tracing.serverSpans })
    for (let request = 0; request < 400; request++) expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200)
    const lines = logs.lines().filter((line) => line.httpRequest !== undefined)
    expect(lines).toHaveLength(400)
    const sampled = lines.filter((line) => line['logging.googleapis.com/trace_sampled'] === true)
    // About 200, give or take 10: one decision per trace, on its trace ID.
    expect(sampled.length).toBeGreaterThan(150)
    expect(sampled.length).toBeLessThan(250)
    expect(tracing.spans().map((span) => `projects/my-project/traces/${span.spanContext().traceId} ${span.spanContext().spanId}`).sort())
      .toStrictEqual(sampled.map((line) => `${String(line['logging.googleapis.com/trace'])} ${String(line['logging.googleapis.com/spanId'])}`).sort())
  })
})
