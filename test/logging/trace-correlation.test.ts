import { describe, expect, it } from 'vitest'
import { SpanKind } from '@opentelemetry/api'
import type { ReadableSpan } from '@opentelemetry/sdk-trace'
import { buildTestApp } from '../helpers/test-app.ts'
import { startHttpServer } from '../helpers/http.ts'
import { useTestTracing } from '../helpers/tracing.ts'
import { createMetadataServer } from '../../src/gcp/metadata-server.ts'
import { loadConfig } from '../../src/config/load-config.ts'

// Log lines carry the trace fields of the span active where they are written
// (the logger's mixin), and the request line those of the request's server
// span. These tests run the production propagator, sampler and server span
// over app.inject; test/process/tracing.test.ts checks the same against the
// real process and its exported spans.

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`

function logLinesWithTrace (lines: Array<Record<string, unknown>>) {
  return lines.filter((line) => line['logging.googleapis.com/spanId'] !== undefined)
}

function requestSpan (spans: ReadableSpan[]): ReadableSpan | undefined {
  return spans.find((span) => span.kind === SpanKind.SERVER)
}

describe('log-trace correlation', () => {
  it('when a request carries a W3C traceparent, then every line logged for it names that trace and a span of the request', async () => {
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' }, {
      serverSpans: tracing.serverSpans,
      routes: [async (instance) => {
        instance.get('/work', async (request) => { request.log.info('doing work'); return 'done' })
      }],
    })
    await app.inject({ method: 'GET', url: '/work', headers: { traceparent: TRACEPARENT } })
    const lines = logs.lines()
    expect(lines.map((line) => line.message)).toStrictEqual(['doing work', 'GET /work 200'])
    const spans = tracing.spans()
    // The request's span continues the caller's: same trace, the caller's span as parent.
    expect(requestSpan(spans)?.spanContext().traceId).toBe(TRACE_ID)
    expect(requestSpan(spans)?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')
    expect(lines[0]?.['logging.googleapis.com/spanId']).toBe(requestSpan(spans)?.spanContext().spanId)
    for (const line of lines) {
      expect(line).toMatchObject({
        'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
        'logging.googleapis.com/spanId': expect.stringMatching(/^[\da-f]{16}$/),
        'logging.googleapis.com/trace_sampled': true,
      })
      expect(spans.map((span) => span.spanContext().spanId)).toContain(line['logging.googleapis.com/spanId'])
    }
  })

  it('when a request carries X-Cloud-Trace-Context, then its decimal span ID becomes the parent, as 16 hex digits', async () => {
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' }, { serverSpans: tracing.serverSpans })
    // 12345678901234567890 = 0xab54a98ceb1f0ad2
    await app.inject({ method: 'GET', url: '/', headers: { 'x-cloud-trace-context': `${TRACE_ID.toUpperCase()}/12345678901234567890;o=1` } })
    const span = requestSpan(tracing.spans())
    expect(span?.spanContext().traceId).toBe(TRACE_ID)
    expect(span?.parentSpanContext?.spanId).toBe('ab54a98ceb1f0ad2')
    expect(logLinesWithTrace(logs.lines())[0]).toMatchObject({
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/trace_sampled': true,
    })
  })

  it('when the caller did not sample the trace, then nothing is recorded and the lines say trace_sampled false', async () => {
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' }, { serverSpans: tracing.serverSpans })
    await app.inject({ method: 'GET', url: '/', headers: { 'x-cloud-trace-context': `${TRACE_ID}/12345678901234567890;o=0` } })
    expect(tracing.spans()).toStrictEqual([])
    expect(logLinesWithTrace(logs.lines())[0]).toMatchObject({
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/trace_sampled': false,
    })
  })

  it('when both headers are present, then traceparent wins', async () => {
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' }, { serverSpans: tracing.serverSpans })
    await app.inject({
      method: 'GET',
      url: '/',
      headers: { traceparent: `00-${TRACE_ID}-00f067aa0ba902b7-00`, 'x-cloud-trace-context': `${'1'.repeat(32)}/1;o=1` },
    })
    expect(tracing.spans()).toStrictEqual([])
    expect(logLinesWithTrace(logs.lines())[0]).toMatchObject({
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/trace_sampled': false,
    })
  })

  it('when no project is configured on Cloud Run, then it is asked of the metadata server once and cached', async () => {
    const seen: Array<{ url: string | undefined, flavor: string | string[] | undefined }> = []
    const metadata = await startHttpServer((request, response) => {
      seen.push({ url: request.url, flavor: request.headers['metadata-flavor'] })
      response.setHeader('metadata-flavor', 'Google')
      response.end('project-from-metadata')
    })
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', K_SERVICE: 'hello', GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` }, { serverSpans: tracing.serverSpans })
    for (let i = 0; i < 3; i++) {
      await app.inject({ method: 'GET', url: '/', headers: { traceparent: TRACEPARENT } })
    }
    expect(seen).toStrictEqual([{ url: '/computeMetadata/v1/project/project-id', flavor: 'Google' }])
    const traced = logLinesWithTrace(logs.lines())
    expect(traced).toHaveLength(3)
    for (const line of traced) expect(line['logging.googleapis.com/trace']).toBe(`projects/project-from-metadata/traces/${TRACE_ID}`)
  })

  it('when the service is not on Cloud Run and no metadata host is set, then the metadata server is never asked', async () => {
    const metadata = createMetadataServer(loadConfig({}))
    await expect(metadata.get('project/project-id')).resolves.toBeUndefined()
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true' }, { serverSpans: tracing.serverSpans })
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: TRACEPARENT } })
    const [line] = logLinesWithTrace(logs.lines())
    expect(line?.['logging.googleapis.com/trace']).toBeUndefined()
    expect(tracing.spans().map((span) => span.spanContext().spanId)).toContain(line?.['logging.googleapis.com/spanId'])
  })

  it('when the metadata server is down, then requests are still served and a later request asks again', async () => {
    let calls = 0
    const metadata = await startHttpServer((_request, response) => {
      calls++
      response.statusCode = calls === 1 ? 503 : 200
      response.end(calls === 1 ? 'unavailable' : 'second-try-project')
    })
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', K_SERVICE: 'hello', GCE_METADATA_HOST: `127.0.0.1:${metadata.port}` }, { serverSpans: tracing.serverSpans })
    const first = await app.inject({ method: 'GET', url: '/', headers: { traceparent: TRACEPARENT } })
    expect(first.statusCode).toBe(200)
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: TRACEPARENT } })
    const traces = logLinesWithTrace(logs.lines()).map((line) => line['logging.googleapis.com/trace'])
    expect(traces).toStrictEqual([undefined, `projects/second-try-project/traces/${TRACE_ID}`])
  })

  it('when tracing is off (OTEL_SDK_DISABLED), then no line carries trace fields, whatever the request sent', async () => {
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project', OTEL_SDK_DISABLED: 'true' })
    await app.inject({ method: 'GET', url: '/', headers: { traceparent: TRACEPARENT } })
    expect(logs.lines().map((line) => line.message)).toStrictEqual(['GET / 200'])
    expect(logLinesWithTrace(logs.lines())).toStrictEqual([])
  })

  it('when a line is logged outside any request, then it carries no trace fields', async () => {
    useTestTracing()
    const { logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' })
    logs.logger.info('between requests')
    expect(logs.lines()).toStrictEqual([{ severity: 'INFO', timestamp: expect.any(String), message: 'between requests' }])
  })
})
