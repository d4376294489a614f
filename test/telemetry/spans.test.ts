import { describe, expect, it } from 'vitest'
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { buildTestApp } from '../helpers/test-app.ts'
import { useTestTracing } from '../helpers/tracing.ts'

// The spans @fastify/otel makes for each request, kept in memory. Over
// app.inject its "request" span is the server span; in the real process
// instrumentation-http's span sits above it (test/process/tracing.test.ts).

function byName (spans: ReadableSpan[], prefix: string): ReadableSpan | undefined {
  return spans.find((span) => span.name.startsWith(prefix))
}

describe('spans for a request', () => {
  it('when GET / is served, then a SERVER span with http.route has the handler span as its child', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, { fastifyOtel: tracing.fastifyOtel })
    const response = await app.inject({ method: 'GET', url: '/?name=x' })
    expect(response.statusCode).toBe(200)
    const spans = tracing.spans()
    const request = byName(spans, 'request')
    expect(request).toMatchObject({
      kind: SpanKind.SERVER,
      status: { code: SpanStatusCode.UNSET },
      attributes: { 'http.request.method': 'GET', 'http.route': '/', 'url.path': '/?name=x', 'http.response.status_code': 200 },
    })
    expect(request?.parentSpanContext).toBeUndefined()
    const handler = byName(spans, 'handler')
    expect(handler).toMatchObject({ kind: SpanKind.INTERNAL, attributes: { 'http.route': '/' } })
    expect(handler?.parentSpanContext?.spanId).toBe(request?.spanContext().spanId)
    expect(handler?.spanContext().traceId).toBe(request?.spanContext().traceId)
    // Hooks get no spans of their own (src/telemetry/fastify-instrumentation.ts).
    expect(spans.map((span) => span.name)).toStrictEqual(['handler - hello', 'request'])
  })

  it('when a hook throws, then the request span is ERROR though the hook has no span', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, {
      fastifyOtel: tracing.fastifyOtel,
      routes: [async (instance) => {
        instance.get('/guarded', { onRequest: async () => { throw new Error('guard failed') } }, async () => 'never')
      }],
    })
    expect((await app.inject({ method: 'GET', url: '/guarded' })).statusCode).toBe(500)
    expect(tracing.spans().map((span) => [span.name, span.status])).toStrictEqual([
      ['request', { code: SpanStatusCode.ERROR, message: 'guard failed' }],
    ])
  })

  it('when a handler throws, then the request and handler spans are ERROR with the exception recorded', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, {
      fastifyOtel: tracing.fastifyOtel,
      routes: [async (instance) => { instance.get('/fail', async function failingHandler () { throw new Error('database is down') }) }],
    })
    const response = await app.inject({ method: 'GET', url: '/fail' })
    expect(response.statusCode).toBe(500)
    const spans = tracing.spans()
    expect(byName(spans, 'request')).toMatchObject({
      status: { code: SpanStatusCode.ERROR, message: 'database is down' },
      attributes: { 'http.route': '/fail', 'http.response.status_code': 500 },
    })
    const handler = byName(spans, 'handler - failingHandler')
    expect(handler?.status).toStrictEqual({ code: SpanStatusCode.ERROR, message: 'database is down' })
    expect(handler?.events.map((event) => [event.name, event.attributes?.['exception.message']])).toStrictEqual([['exception', 'database is down']])
  })

  it('when a client error (404) is answered, then the span records the status without marking an error', async () => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, { fastifyOtel: tracing.fastifyOtel })
    expect((await app.inject({ method: 'GET', url: '/nowhere' })).statusCode).toBe(404)
    expect(byName(tracing.spans(), 'request')).toMatchObject({
      kind: SpanKind.SERVER,
      status: { code: SpanStatusCode.UNSET },
      attributes: { 'http.response.status_code': 404 },
    })
  })

  it.each(['/health', '/ready', '/health?verbose=1'])('when the probe %s is called, then no span is made', async (url) => {
    const tracing = useTestTracing()
    const { app } = await buildTestApp({}, { fastifyOtel: tracing.fastifyOtel })
    expect((await app.inject({ method: 'GET', url })).statusCode).toBe(200)
    expect(tracing.spans()).toStrictEqual([])
  })

  it('when TRACE_IGNORED_PATHS names other paths, then those are skipped and the probes traced', async () => {
    const env = { TRACE_IGNORED_PATHS: '/' }
    const tracing = useTestTracing(env)
    const { app } = await buildTestApp(env, { fastifyOtel: tracing.fastifyOtel })
    await app.inject({ method: 'GET', url: '/' })
    expect(tracing.spans()).toStrictEqual([])
    await app.inject({ method: 'GET', url: '/health' })
    expect(byName(tracing.spans(), 'request')?.attributes['http.route']).toBe('/health')
  })

  it('when the sampler keeps no new traces, then a request without a sampled caller records nothing', async () => {
    const env = { OTEL_TRACES_SAMPLER_ARG: '0' }
    const tracing = useTestTracing(env)
    const { app } = await buildTestApp(env, { fastifyOtel: tracing.fastifyOtel })
    await app.inject({ method: 'GET', url: '/' })
    expect(tracing.spans()).toStrictEqual([])
    // ...but a caller's sampled flag is respected (parent-based).
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } })
    expect(byName(tracing.spans(), 'request')?.spanContext().traceId).toBe('0af7651916cd43dd8448eb211c80319c')
  })
})
