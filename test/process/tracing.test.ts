import http from 'node:http'
import { describe, expect, it, onTestFinished } from 'vitest'
import { startServerProcess } from '../helpers/spawn-server.ts'
import { startHttpServer } from '../helpers/http.ts'
import { startOtlpReceiver, type ExportedSpan } from '../helpers/otlp-receiver.ts'
import { startFakeSecretManager } from '../helpers/fake-secret-manager.ts'
import { startOtlpGrpcReceiver } from '../helpers/otlp-grpc-receiver.ts'

// The real server process, its real SDK (the server span, undici's
// instrumentation, batch export) and a real OTLP/HTTP receiver on loopback.

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const CALLER_SPAN_ID = 'b7ad6b7169203331'
const SPAN_KIND_SERVER = 2

function get (port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<{ status: number, body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => { body += chunk })
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    }).on('error', reject)
  })
}

/** The IDs of a span's parent, grandparent and so on, up to the caller's span that has no record here. */
function ancestorIds (spans: ExportedSpan[], start: ExportedSpan | undefined): string[] {
  const byId = new Map(spans.map((span) => [span.spanId, span]))
  const ids: string[] = []
  for (let span = start; span?.parentSpanId !== undefined && span.parentSpanId !== ''; span = byId.get(span.parentSpanId)) ids.push(span.parentSpanId)
  return ids
}

/** The real server with `env`, one `GET /`, then SIGTERM: the drain exports what the request made. */
async function serveOneGreetingThenStop (env: Record<string, string>) {
  const server = await startServerProcess({ LOG_REQUESTS: 'true', ...env })
  await get(server.port, '/')
  server.child.kill('SIGTERM')
  expect(await server.exited).toBe(0)
  return server
}

/** The span ID of the greeting's request line, as the collector receives it: raw bytes. */
function greetingSpanIdBytes (logs: Array<Record<string, unknown>>): Buffer {
  const spanId = String(logs.find((line) => line.message === 'GET / 200')?.['logging.googleapis.com/spanId'])
  expect(spanId).toMatch(/^[\da-f]{16}$/)
  return Buffer.from(spanId, 'hex')
}

/** A metadata server that answers like Cloud Run's. */
async function startFakeMetadataServer () {
  const answers: Record<string, string> = {
    '/computeMetadata/v1/project/project-id': 'my-project',
    '/computeMetadata/v1/instance/region': 'projects/123456789/regions/europe-west1',
    '/computeMetadata/v1/instance/id': '00bf4bf02d1a2a8c',
  }
  return startHttpServer((request, response) => {
    const answer = request.headers['metadata-flavor'] === 'Google' ? answers[request.url ?? ''] : undefined
    response.statusCode = answer === undefined ? 404 : 200
    response.end(answer ?? 'not found')
  })
}

describe('traces from the server process', () => {
  it('when a request with a traceparent is served and SIGTERM follows, then its spans reach the collector before exit, joined to the caller and to the log line', async () => {
    const receiver = await startOtlpReceiver()
    const metadata = await startFakeMetadataServer()
    const server = await startServerProcess({
      LOG_REQUESTS: 'true',
      K_SERVICE: 'hello',
      K_REVISION: 'hello-00007-xyz',
      GCE_METADATA_HOST: `127.0.0.1:${metadata.port}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=test',
    })
    const response = await get(server.port, '/', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` })
    expect(response.status).toBe(200)
    expect((await get(server.port, '/health')).status).toBe(200)
    // Batched, not yet exported: the flush on SIGTERM must send them.
    expect(receiver.requests).toStrictEqual([])

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const exitedAtMs = performance.now()

    expect(receiver.requests.length).toBeGreaterThan(0)
    for (const request of receiver.requests) {
      expect(request.path).toBe('/v1/traces')
      expect(request.receivedAtMs).toBeLessThan(exitedAtMs)
    }
    const spans = receiver.spans()
    // /health is not traced: the one span is the request's server span.
    expect(spans).toHaveLength(1)
    const serverSpan = spans[0]
    expect(serverSpan).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: CALLER_SPAN_ID,
      name: 'GET /',
      kind: SPAN_KIND_SERVER,
      attributes: { 'http.request.method': 'GET', 'http.route': '/', 'url.path': '/', 'http.response.status_code': 200 },
    })

    expect(serverSpan?.resource).toMatchObject({
      'service.name': 'hello',
      'service.version': '0.1.0',
      'cloud.provider': 'gcp',
      'cloud.platform': 'gcp_cloud_run',
      'cloud.region': 'europe-west1',
      'faas.name': 'hello',
      'faas.version': 'hello-00007-xyz',
      'faas.instance': '00bf4bf02d1a2a8c',
      'gcp.project_id': 'my-project',
      'deployment.environment': 'test',
    })

    const requestLine = server.logs().find((line) => line.message === 'GET / 200')
    expect(requestLine).toMatchObject({
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/trace_sampled': true,
    })
    expect(spans.map((span) => span.spanId)).toContain(requestLine?.['logging.googleapis.com/spanId'])
    expect(server.stderr()).toBe('')
  })

  it('when a request calls out with fetch, then the client span is in the request\'s trace and the upstream receives its traceparent', async () => {
    const receiver = await startOtlpReceiver()
    const received: Array<string | undefined> = []
    const upstream = await startHttpServer((request, response) => {
      received.push(request.headers.traceparent as string | undefined)
      response.end('ok')
    })
    const server = await startServerProcess({ LOG_REQUESTS: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, 'test/fixtures/server-with-slow-route.ts')
    const response = await get(server.port, `/relay?url=${encodeURIComponent(`${upstream.url}/thing`)}`, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` })
    expect(response).toStrictEqual({ status: 200, body: '{"upstreamStatus":200}' })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const spans = receiver.spans()
    const SPAN_KIND_CLIENT = 3
    const clientSpan = spans.find((span) => span.kind === SPAN_KIND_CLIENT)
    expect(clientSpan).toMatchObject({ traceId: TRACE_ID, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } })
    expect(received).toStrictEqual([`00-${TRACE_ID}-${clientSpan?.spanId}-01`])
    // Its ancestors lead to this process's server span, then to the caller.
    const ancestors = ancestorIds(spans, clientSpan)
    expect(ancestors).toContain(spans.find((span) => span.kind === SPAN_KIND_SERVER)?.spanId)
    expect(ancestors.at(-1)).toBe(CALLER_SPAN_ID)
  })

  it('when GET /upstream calls through the outbound client, then its client span is a child of the server span named after the route, and the upstream receives its traceparent', async () => {
    const receiver = await startOtlpReceiver()
    const received: Array<string | undefined> = []
    const upstream = await startHttpServer((request, response) => {
      received.push(request.headers.traceparent as string | undefined)
      response.setHeader('content-type', 'application/json')
      response.end('{"items":[]}')
    })
    const server = await startServerProcess({ LOG_REQUESTS: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', UPSTREAM_URL: `${upstream.url}/items` })
    const response = await get(server.port, '/upstream', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` })
    expect(response).toStrictEqual({ status: 200, body: '{"upstream":{"items":[]}}' })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const spans = receiver.spans()
    const SPAN_KIND_CLIENT = 3
    const clientSpans = spans.filter((span) => span.kind === SPAN_KIND_CLIENT)
    expect(clientSpans).toHaveLength(1)
    const [clientSpan] = clientSpans
    expect(clientSpan).toMatchObject({ traceId: TRACE_ID, attributes: { 'http.request.method': 'GET', 'http.response.status_code': 200 } })
    expect(received).toStrictEqual([`00-${TRACE_ID}-${clientSpan?.spanId}-01`])
    const serverSpan = spans.find((span) => span.kind === SPAN_KIND_SERVER)
    expect(serverSpan).toMatchObject({ name: 'GET /upstream', parentSpanId: CALLER_SPAN_ID, attributes: { 'http.route': '/upstream' } })
    expect(ancestorIds(spans, clientSpan)).toStrictEqual([serverSpan?.spanId, CALLER_SPAN_ID])
  })

  it('when the metadata server never answers, then the boot does not wait for it and spans still reach the collector on SIGTERM', async () => {
    const receiver = await startOtlpReceiver()
    const hanging = await startHttpServer(() => {}) // accepts, never answers
    const server = await startServerProcess({
      LOG_REQUESTS: 'true',
      K_SERVICE: 'hello',
      GCE_METADATA_HOST: `127.0.0.1:${hanging.port}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    })
    expect((await get(server.port, '/')).status).toBe(200)
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    const [span] = receiver.spans()
    expect(span?.resource).toMatchObject({ 'service.name': 'hello', 'cloud.platform': 'gcp_cloud_run' })
    expect(span?.resource['cloud.region']).toBeUndefined()
  })

  it('when the default protocol is used, then the spans arrive as OTLP protobuf', async () => {
    const receiver = await startOtlpReceiver()
    const server = await serveOneGreetingThenStop({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/custom/traces` })
    expect(receiver.requests.map((request) => [request.path, request.contentType])).toStrictEqual([['/custom/traces', 'application/x-protobuf']])
    // The span ID in the request's log line, as raw bytes, is inside the message.
    expect(receiver.requests[0]?.body.includes(greetingSpanIdBytes(server.logs()))).toBe(true)
  })

  it('when the OTLP headers are a Secret Manager reference, then the collector receives the secret\'s headers and no log line shows them', async () => {
    const sm = await startFakeSecretManager()
    onTestFinished(() => sm.close())
    sm.on('projects/my-project/secrets/otlp-headers/versions/2', { value: 'x-vendor-key=vendor%20key%2012345,x-team=payments\n' })
    const receiver = await startOtlpReceiver()
    const server = await serveOneGreetingThenStop({
      SECRET_MANAGER_EMULATOR_HOST: sm.host,
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_HEADERS: 'sm://my-project/otlp-headers#2',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=checkout-team',
    })
    expect(receiver.requests.map((request) => [request.headers['x-vendor-key'], request.headers['x-team']])).toStrictEqual([['vendor key 12345', 'checkout-team']])
    const logged = server.logs().map((line) => JSON.stringify(line)).join('\n')
    expect(logged).toContain('"message":"GET / 200"')
    expect(logged).not.toMatch(/vendor key 12345|vendor%20key|checkout-team/)
  })

  it('when the protocol is grpc, then the spans arrive over gRPC with the configured headers as metadata', async () => {
    const receiver = await startOtlpGrpcReceiver()
    onTestFinished(() => receiver.close())
    const server = await serveOneGreetingThenStop({
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'X-Vendor-Key=grpc%20key%2012345',
    })
    expect(receiver.exports.map((received) => received.metadata['x-vendor-key'])).toStrictEqual(['grpc key 12345'])
    expect(receiver.exports[0]?.body.includes(greetingSpanIdBytes(server.logs()))).toBe(true)
  })

  it('when no endpoint is configured, then nothing is exported and nothing is printed, yet the logs follow the caller\'s trace and outbound calls carry it on', async () => {
    const received: Array<string | undefined> = []
    const upstream = await startHttpServer((request, response) => {
      received.push(request.headers.traceparent as string | undefined)
      response.end('ok')
    })
    const server = await startServerProcess({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'my-project' }, 'test/fixtures/server-with-slow-route.ts')
    await get(server.port, '/', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` })
    await get(server.port, `/relay?url=${encodeURIComponent(`${upstream.url}/thing`)}`, { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-00` })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.logs().find((line) => line.message === 'hello-cloud-run ready')).toMatchObject({ tracing: 'on, not exported' })
    const greetingLine = server.logs().find((line) => line.message === 'GET / 200')
    expect(greetingLine).toMatchObject({
      'logging.googleapis.com/trace': `projects/my-project/traces/${TRACE_ID}`,
      'logging.googleapis.com/spanId': expect.stringMatching(/^[\da-f]{16}$/),
      'logging.googleapis.com/trace_sampled': true,
    })
    expect(greetingLine?.['logging.googleapis.com/spanId']).not.toBe(CALLER_SPAN_ID)
    // The caller did not sample this one, and neither does the service: the flag goes on as 00.
    expect(received).toStrictEqual([expect.stringMatching(new RegExp(`^00-${TRACE_ID}-[\\da-f]{16}-00$`))])
    expect(server.logs().find((line) => String(line.message).startsWith('GET /relay'))).toMatchObject({ 'logging.googleapis.com/trace_sampled': false })
    expect(server.logs().filter((line) => line.severity !== 'INFO')).toStrictEqual([])
    expect(server.stderr()).toBe('')
  })

  it('when OTEL_SDK_DISABLED is true, then nothing is exported and log lines carry no trace fields', async () => {
    const receiver = await startOtlpReceiver()
    const server = await startServerProcess({ LOG_REQUESTS: 'true', OTEL_SDK_DISABLED: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, GOOGLE_CLOUD_PROJECT: 'my-project' })
    await get(server.port, '/', { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)
    expect(server.logs().find((line) => line.message === 'hello-cloud-run ready')).toMatchObject({ tracing: 'off' })
    const requestLine = server.logs().find((line) => line.message === 'GET / 200')
    expect(Object.keys(requestLine ?? {}).filter((key) => key.startsWith('logging.googleapis.com/'))).toStrictEqual([])
    expect(receiver.requests).toStrictEqual([])
  })
})
