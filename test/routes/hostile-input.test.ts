import type { AddressInfo } from 'node:net'
import { SpanKind } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { buildTestApp } from '../helpers/test-app.ts'
import { rawRequest } from '../helpers/http.ts'
import { useTestTracing } from '../helpers/tracing.ts'

// Hostile or broken requests over a real socket, since some never reach
// Fastify: Node's HTTP parser rejects them first. None may produce a 5xx.

async function listeningApp () {
  const testApp = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'test-project' })
  await testApp.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = testApp.app.server.address() as AddressInfo
  return { ...testApp, port }
}

function statusLine (response: string): string {
  return response.split('\r\n', 1)[0] ?? ''
}

function jsonBody (response: string): unknown {
  return JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4))
}

/** The response's headers, lower-cased, as a client reads them. */
function headersOf (response: string): Record<string, string> {
  const head = response.slice(0, response.indexOf('\r\n\r\n')).split('\r\n').slice(1)
  return Object.fromEntries(head.map((line) => {
    const colon = line.indexOf(':')
    return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()]
  }))
}

/** What every error response carries, whether Fastify or Node's parser wrote it. */
function expectErrorResponseHeaders (response: string): void {
  const headers = headersOf(response)
  expect(headers).toMatchObject({
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': expect.stringContaining("default-src 'none'"),
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
  })
}

describe('hostile input', () => {
  it('when the URL has bad percent-encoding, then the client gets 400 with the error shape and headers, and one WARNING is logged', async () => {
    const { port, logs } = await listeningApp()
    const response = await rawRequest(port, 'GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request')
    expect(jsonBody(response)).toStrictEqual({ code: 'SVC_BAD_REQUEST', message: "'/%E0%A4%A' is not a valid url component" })
    expectErrorResponseHeaders(response)
    expect(logs.lines().filter((line) => line.severity === 'WARNING')).toMatchObject([{ code: 'SVC_BAD_REQUEST', reason: 'FST_ERR_BAD_URL' }])
  })

  it('when the headers are huge, then the client gets 431 with the error shape and headers, and one WARNING is logged', async () => {
    const { port, logs } = await listeningApp()
    const response = await rawRequest(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)
    expect(statusLine(response)).toBe('HTTP/1.1 431 Request Header Fields Too Large')
    expect(jsonBody(response)).toStrictEqual({ code: 'SVC_HEADERS_TOO_LARGE', message: 'Request line or headers are too large' })
    expectErrorResponseHeaders(response)
    expect(logs.lines().filter((line) => line.severity === 'WARNING')).toMatchObject([{ code: 'SVC_HEADERS_TOO_LARGE', reason: 'HPE_HEADER_OVERFLOW', remoteIp: '127.0.0.1' }])
    expect(logs.text()).not.toContain('aaaa')
  })

  it.each([
    ['missing', 'GET / HTTP/1.1\r\nConnection: close\r\n\r\n'],
    ['given twice', 'GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n'],
    ['holding a quote', 'GET / HTTP/1.1\r\nHost: a"b\r\nConnection: close\r\n\r\n'],
    ['holding a space', 'GET / HTTP/1.1\r\nHost: a b\r\nConnection: close\r\n\r\n'],
  ])('when Host is %s, then the client gets 400 with the error shape and headers (RFC 9112 §3.2), and one WARNING is logged', async (_kind, bytes) => {
    const { port, logs } = await listeningApp()
    const response = await rawRequest(port, bytes)
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request')
    expect(jsonBody(response)).toStrictEqual({ code: 'SVC_BAD_REQUEST', message: 'Bad request' })
    expectErrorResponseHeaders(response)
    expect(logs.lines().filter((line) => line.severity === 'WARNING').map(({ code }) => code)).toStrictEqual(['SVC_BAD_REQUEST'])
  })

  it('when an HTTP/1.0 request has no Host, then it is served: Host is required from HTTP/1.1 on', async () => {
    const { port } = await listeningApp()
    const response = await rawRequest(port, 'GET / HTTP/1.0\r\n\r\n')
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK')
  })

  it('when headers take longer than 10 s, or a body longer than 30 s, to arrive, then the client gets 408 within a second of that, with the error shape', async () => {
    const { port } = await listeningApp()
    const startedAt = performance.now()
    const timed = async (bytes: string) => {
      const response = await rawRequest(port, bytes, { timeoutMs: 40_000 })
      return { response, elapsedMs: performance.now() - startedAt }
    }
    const [slowHeaders, slowBody] = await Promise.all([
      timed('GET / HTTP/1.1\r\nHost: x\r\n'),
      timed('POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":'),
    ])
    for (const { response } of [slowHeaders, slowBody]) {
      expect(statusLine(response)).toBe('HTTP/1.1 408 Request Timeout')
      expect(jsonBody(response)).toStrictEqual({ code: 'SVC_REQUEST_TIMEOUT', message: 'The request took too long to arrive' })
      expectErrorResponseHeaders(response)
    }
    expect(slowHeaders.elapsedMs).toBeGreaterThanOrEqual(10_000)
    expect(slowHeaders.elapsedMs).toBeLessThan(11_500)
    expect(slowBody.elapsedMs).toBeGreaterThanOrEqual(30_000)
    expect(slowBody.elapsedMs).toBeLessThan(31_500)
  }, 45_000)

  it('when the URL is huge, then the client gets 431 rather than a 5xx', async () => {
    const { port } = await listeningApp()
    const response = await rawRequest(port, `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`)
    expect(statusLine(response)).toBe('HTTP/1.1 431 Request Header Fields Too Large')
  })

  it('when Content-Length is not a number, then the client gets 400 with the error shape', async () => {
    const { port } = await listeningApp()
    const response = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\nhello')
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request')
    expect(jsonBody(response)).toStrictEqual({ code: 'SVC_BAD_REQUEST', message: 'Bad request' })
  })

  it('when Content-Length is given twice with different values, then the client gets 400', async () => {
    const { port } = await listeningApp()
    const response = await rawRequest(port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 5\r\n\r\nhello')
    expect(statusLine(response)).toBe('HTTP/1.1 400 Bad Request')
  })

  it('when a GET carries a body, then the greeting is still served', async () => {
    const { port } = await listeningApp()
    const response = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"a":1}')
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK')
    expect(response).toMatch(/\r\n\r\nHello from Cloud Run! Host: .+, Time: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\n$/)
  })

  it('when a GET carries a malformed JSON body, then the body is ignored and the greeting served', async () => {
    const { port } = await listeningApp()
    const response = await rawRequest(port, 'GET / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\nConnection: close\r\n\r\n{"a":')
    expect(statusLine(response)).toBe('HTTP/1.1 200 OK')
    expect(response).toMatch(/\r\n\r\nHello from Cloud Run! /)
  })

  it.each([
    ['traceparent', 'garbage'],
    ['traceparent', '00-00000000000000000000000000000000-b7ad6b7169203331-01'],
    ['traceparent', `00-${'f'.repeat(5_000)}`],
    ['x-cloud-trace-context', 'not/a;trace'],
    ['x-cloud-trace-context', '105445aa7843bc8bf206b12000100000/99999999999999999999999;o=1'],
  ])('when %s is %j, then the request is served, the header ignored, and a new trace started', async (name, value) => {
    const tracing = useTestTracing()
    const { app, logs } = await buildTestApp({ LOG_REQUESTS: 'true', GOOGLE_CLOUD_PROJECT: 'test-project' }, { serverSpans: tracing.serverSpans })
    const response = await app.inject({ method: 'GET', url: '/', headers: { [name]: value } })
    expect(response.statusCode).toBe(200)
    const requestSpan = tracing.spans().find((span) => span.kind === SpanKind.SERVER)
    expect(requestSpan?.parentSpanContext).toBeUndefined()
    const traceId = requestSpan?.spanContext().traceId ?? ''
    expect(traceId).toMatch(/^[\da-f]{32}$/)
    expect(value.toLowerCase()).not.toContain(traceId)
    const requestLine = logs.lines().find((line) => line.httpRequest !== undefined)
    expect(requestLine?.['logging.googleapis.com/trace']).toBe(`projects/test-project/traces/${traceId}`)
  })
})
